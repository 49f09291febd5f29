import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = 0;
let lastRandom: Buffer = Buffer.alloc(10);

function encode(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = CROCKFORD[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/**
 * A ULID (48-bit ms timestamp + 80 random bits, Crockford base32). Monotonic within a process: ids made in the
 * same millisecond increment the random part, so ids sort in creation order and serve as keyset cursors.
 */
export function ulid(now: number = Date.now()): string {
  let rand: Buffer;
  if (now <= lastTime) {
    rand = Buffer.from(lastRandom);
    for (let i = rand.length - 1; i >= 0; i--) {
      if (rand[i] === 0xff) rand[i] = 0;
      else {
        rand[i]++;
        break;
      }
    }
    now = lastTime;
  } else {
    rand = randomBytes(10);
  }
  lastTime = now;
  lastRandom = rand;
  return encode(BigInt(now), 10) + encode(BigInt('0x' + rand.toString('hex')), 16);
}

/** Prefixed, sortable entity id such as `pay_01JD3W...`. */
export function newId(prefix: string): string {
  return `${prefix}_${ulid()}`;
}

export const ID_PREFIXES = {
  organization: 'org',
  apiKey: 'key',
  lendingSource: 'lsrc',
  paymentSource: 'psrc',
  borrower: 'bor',
  loanAccount: 'loan',
  installment: 'inst',
  inboundEvent: 'evt',
  payment: 'pay',
  paymentAllocation: 'alloc',
  paymentRequest: 'preq',
  reversal: 'rev',
  discrepancy: 'disc',
  reconciliationRun: 'recon',
  settlementLine: 'stl',
  promiseToPay: 'ptp',
  contactAttempt: 'cta',
  outboxEvent: 'oev',
  webhookEndpoint: 'whep',
  webhookDelivery: 'whd',
  auditLog: 'aud',
  syncRun: 'sync',
  expectedPayment: 'exp',
} as const;
