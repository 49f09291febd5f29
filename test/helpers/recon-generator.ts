/**
 * A seeded generator of reconciliation data and its ground truth, for the generator-based tests and the benchmark.
 *
 * Everything about payment `i` is derived from (seed, i), so a dataset of a million payments is never held in
 * memory: payments are streamed into PostgreSQL with COPY, the statement is streamed as LIPA_CSV chunks, and the
 * expected outcome of every line and payment is counted in a third pass over the same indexes.
 *
 * Each payment falls in one category (rates are fractions of payments):
 *   EXACT          on the statement once, same id and amount                      -> MATCHED
 *   MISSING        paid in Lipa, absent from the statement                         -> MISSING_IN_SETTLEMENT
 *   DUPLICATE      on the statement twice                                          -> MATCHED + DUPLICATE
 *   DRIFT_WITHIN   settled amount differs by 1..tolerance minor units              -> MATCHED_WITHIN_TOLERANCE
 *   DRIFT_OUTSIDE  differs by more than the tolerance                              -> AMOUNT_MISMATCH
 *   NO_RECEIPT     the statement line has no transaction id, only the reference    -> MATCHED_FUZZY
 *   AMBIGUOUS      two Lipa payments with one reference and amount, two id-less lines: never guessed
 *                  -> 2 x UNMATCHED (lines) and 2 x MISSING_IN_SETTLEMENT (payments)
 *   REVERSED_OPEN  paid, then reversed by the rail; Lipa still counts it received -> MATCHED + MISSING_AT_RAIL
 *   REVERSED_KNOWN paid and reversed, and Lipa knows                              -> MATCHED + reversal MATCHED
 * plus UNKNOWN statement lines (money Lipa never heard of) -> UNMATCHED. Every line lags its payment by up to
 * `maxLagSeconds`, so lines near the period's end fall outside it and must still settle their payments.
 * With `payoutSize`, lines are grouped into payouts of that many payments with a fee each, and a PAYOUT line per
 * group (a `payoutShortRate` share of them short by 100 minor units -> PAYOUT_MISMATCH).
 */
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { currencyExponent, formatMinor } from '../../src/domain/money';

export type Category =
  | 'EXACT'
  | 'MISSING'
  | 'DUPLICATE'
  | 'DRIFT_WITHIN'
  | 'DRIFT_OUTSIDE'
  | 'NO_RECEIPT'
  | 'AMBIGUOUS'
  | 'REVERSED_OPEN'
  | 'REVERSED_KNOWN';

export interface ReconRates {
  missing: number;
  duplicate: number;
  driftWithin: number;
  driftOutside: number;
  noReceipt: number;
  ambiguous: number;
  reversedOpen: number;
  reversedKnown: number;
  /** Extra statement lines per payment that match nothing in Lipa. */
  unknown: number;
}

export const DEFAULT_RATES: ReconRates = {
  missing: 0.01,
  duplicate: 0.01,
  driftWithin: 0.02,
  driftOutside: 0.005,
  noReceipt: 0.005,
  ambiguous: 0.002,
  reversedOpen: 0.002,
  reversedKnown: 0.002,
  unknown: 0.005,
};

export interface ReconGenOptions {
  seed: number;
  payments: number;
  from: Date;
  to: Date;
  currency?: string;
  rates?: Partial<ReconRates>;
  /** The run's tolerance, so drift can be generated just inside and just outside it. */
  toleranceMinor?: bigint;
  toleranceBasisPoints?: number;
  maxLagSeconds?: number;
  payoutSize?: number;
  payoutShortRate?: number;
}

export interface GeneratedPayment {
  id: string;
  ptx: string;
  amountMinor: bigint;
  currency: string;
  receivedAt: Date;
  reference: string;
  status: 'SUCCEEDED' | 'REVERSED';
}

export interface GeneratedLine {
  ptx: string | null;
  kind: 'PAYMENT' | 'REVERSAL' | 'PAYOUT';
  amountMinor: bigint;
  feeMinor: bigint;
  occurredAt: Date;
  reference: string | null;
  linked: string | null;
  payoutReference: string | null;
  /** What a correct run says about this line, and (for payment lines) which Lipa payment it is. */
  expected: string;
  paymentPtx: string | null;
  category: Category | 'UNKNOWN' | 'PAYOUT';
}

export interface GroundTruth {
  /** Outcome counts for statement lines inside the period, keyed `KIND:OUTCOME`. */
  lineOutcomes: Record<string, number>;
  /** Discrepancies a correct run raises, by type (lines in period plus Lipa-side findings). */
  discrepancies: Record<string, number>;
  statementPaymentMinor: bigint;
  statementPaymentLines: number;
  paymentCount: number;
  lineCount: number;
  byCategory: Record<string, number>;
}

/** A 32-bit mix of (seed, i, k): deterministic, uniform enough for test data. */
function hash32(seed: number, i: number, k: number): number {
  let h = (seed ^ Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(k + 7, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
const uniform = (seed: number, i: number, k: number) => hash32(seed, i, k) / 4294967296;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function base32(n: number, len: number): string {
  let s = '';
  for (let j = 0; j < len; j++) {
    s = CROCKFORD[n % 32] + s;
    n = Math.floor(n / 32);
  }
  return s;
}

export class ReconDataset {
  readonly currency: string;
  readonly rates: ReconRates;
  private readonly bounds: Array<[Category, number]>;
  private readonly tolMinor: bigint;
  private readonly tolBp: bigint;
  private readonly maxLagMs: number;

  constructor(readonly options: ReconGenOptions) {
    this.currency = options.currency ?? 'UGX';
    this.rates = { ...DEFAULT_RATES, ...options.rates };
    const r = this.rates;
    let acc = 0;
    const order: Array<[Category, number]> = [
      ['MISSING', r.missing],
      ['DUPLICATE', r.duplicate],
      ['DRIFT_WITHIN', r.driftWithin],
      ['DRIFT_OUTSIDE', r.driftOutside],
      ['NO_RECEIPT', r.noReceipt],
      ['AMBIGUOUS', r.ambiguous],
      ['REVERSED_OPEN', r.reversedOpen],
      ['REVERSED_KNOWN', r.reversedKnown],
    ];
    this.bounds = order.map(([c, rate]) => [c, (acc += rate)]);
    this.tolMinor = options.toleranceMinor ?? 0n;
    this.tolBp = BigInt(options.toleranceBasisPoints ?? 50);
    this.maxLagMs = (options.maxLagSeconds ?? 6 * 3600) * 1000;
  }

  category(i: number): Category {
    const u = uniform(this.options.seed, i, 1);
    for (const [c, bound] of this.bounds) if (u < bound) return c;
    return 'EXACT';
  }

  tolerance(amount: bigint): bigint {
    const relative = (amount * this.tolBp) / 10000n;
    return relative > this.tolMinor ? relative : this.tolMinor;
  }

  private ptx(i: number, suffix = ''): string {
    return `RT${base32(this.options.seed % 1024, 2)}${base32(i, 7)}${suffix}`;
  }

  /** The Lipa payments of index i (two for AMBIGUOUS). */
  payments(i: number): GeneratedPayment[] {
    const { seed, from, to } = this.options;
    const exp = currencyExponent(this.currency);
    const unit = 10n ** BigInt(exp);
    const amountMinor = BigInt(1000 + Math.floor(uniform(seed, i, 2) * 499_000)) * unit;
    const receivedAt = new Date(
      from.getTime() + Math.floor(uniform(seed, i, 3) * (to.getTime() - from.getTime())),
    );
    const category = this.category(i);
    const base: GeneratedPayment = {
      id: `pay_${base32(Math.floor(from.getTime() / 1000), 10)}${base32(seed % 1048576, 4)}${base32(i, 12)}`,
      ptx: this.ptx(i),
      amountMinor,
      currency: this.currency,
      receivedAt,
      reference: `LN-${String(seed % 100).padStart(2, '0')}-${String(i).padStart(7, '0')}`,
      status: category === 'REVERSED_KNOWN' ? 'REVERSED' : 'SUCCEEDED',
    };
    if (category === 'NO_RECEIPT') base.ptx = `req:${base.ptx}`;
    if (category !== 'AMBIGUOUS') return [base];
    base.ptx = `req:${base.ptx}`;
    return [
      base,
      {
        ...base,
        id: base.id.slice(0, -12) + base32(i + 2 ** 50, 12),
        ptx: `${base.ptx}-B`,
        receivedAt: new Date(receivedAt.getTime() + 60_000),
      },
    ];
  }

  private inPeriod(d: Date): boolean {
    return d >= this.options.from && d < this.options.to;
  }

  /** Statement lines of index i, in file order, with what a correct run concludes about each. */
  lines(i: number): GeneratedLine[] {
    const { seed } = this.options;
    const [p, twin] = this.payments(i);
    const category = this.category(i);
    const lag = Math.floor(uniform(seed, i, 4) * this.maxLagMs);
    const occurredAt = new Date(p.receivedAt.getTime() + lag);
    const payout = this.options.payoutSize
      ? `PO-${String(seed % 100)}-${String(Math.floor(i / this.options.payoutSize)).padStart(6, '0')}`
      : null;
    const fee = this.options.payoutSize ? p.amountMinor / 100n : 0n;
    const line = (over: Partial<GeneratedLine>): GeneratedLine => ({
      ptx: p.ptx,
      kind: 'PAYMENT',
      amountMinor: p.amountMinor,
      feeMinor: fee,
      occurredAt,
      reference: p.reference,
      linked: null,
      payoutReference: payout,
      expected: 'MATCHED',
      paymentPtx: p.ptx,
      category,
      ...over,
    });
    const out: GeneratedLine[] = [];
    switch (category) {
      case 'MISSING':
        break;
      case 'EXACT':
        out.push(line({}));
        break;
      case 'DUPLICATE':
        out.push(line({}), line({ expected: 'DUPLICATE' }));
        break;
      case 'DRIFT_WITHIN':
      case 'DRIFT_OUTSIDE': {
        const tol = this.tolerance(p.amountMinor);
        const r = BigInt(Math.floor(uniform(seed, i, 5) * 1000));
        const delta = category === 'DRIFT_WITHIN' ? 1n + (r % tol) : tol + 1n + r;
        const sign = uniform(seed, i, 6) < 0.5 ? -1n : 1n;
        out.push(
          line({
            amountMinor: p.amountMinor + sign * delta,
            expected: category === 'DRIFT_WITHIN' ? 'MATCHED_WITHIN_TOLERANCE' : 'AMOUNT_MISMATCH',
          }),
        );
        break;
      }
      case 'NO_RECEIPT':
        out.push(line({ ptx: null, expected: 'MATCHED_FUZZY' }));
        break;
      case 'AMBIGUOUS':
        out.push(
          line({ ptx: null, expected: 'UNMATCHED', paymentPtx: null }),
          line({
            ptx: null,
            occurredAt: new Date(twin.receivedAt.getTime() + lag),
            expected: 'UNMATCHED',
            paymentPtx: null,
          }),
        );
        break;
      case 'REVERSED_OPEN':
      case 'REVERSED_KNOWN':
        out.push(
          line({}),
          line({
            ptx: `${p.ptx}R`,
            kind: 'REVERSAL',
            linked: p.ptx,
            feeMinor: 0n,
            occurredAt: new Date(occurredAt.getTime() + 3_600_000),
            expected: category === 'REVERSED_OPEN' ? 'MISSING_AT_RAIL' : 'MATCHED',
          }),
        );
        break;
    }
    if (uniform(seed, i, 7) < this.rates.unknown) {
      out.push(
        line({
          ptx: this.ptx(i, 'U'),
          reference: `LN-UNKNOWN-${i}`,
          amountMinor: p.amountMinor + 7n,
          expected: 'UNMATCHED',
          paymentPtx: null,
          category: 'UNKNOWN',
        }),
      );
    }
    return out;
  }

  /** PAYOUT line for the payout that index i closes (when i is the last of its group). */
  payoutLine(i: number): GeneratedLine | null {
    const size = this.options.payoutSize;
    if (!size || ((i + 1) % size !== 0 && i !== this.options.payments - 1)) return null;
    const first = i - (i % size);
    let net = 0n;
    let last = new Date(0);
    for (let j = first; j <= i; j++) {
      for (const l of this.lines(j)) {
        if (l.kind === 'PAYMENT' && l.expected !== 'DUPLICATE' && l.paymentPtx) {
          const pay = this.payments(j)[0];
          net += pay.amountMinor - l.feeMinor;
        } else if (l.kind === 'PAYMENT' && l.expected !== 'DUPLICATE') {
          net += l.amountMinor - l.feeMinor;
        } else if (l.kind === 'REVERSAL') net -= l.amountMinor;
        if (l.occurredAt > last) last = l.occurredAt;
      }
    }
    const short = uniform(this.options.seed, i, 8) < (this.options.payoutShortRate ?? 0);
    const ref = `PO-${String(this.options.seed % 100)}-${String(Math.floor(i / size)).padStart(6, '0')}`;
    return {
      ptx: ref,
      kind: 'PAYOUT',
      amountMinor: net - (short ? 100n : 0n),
      feeMinor: 0n,
      occurredAt: new Date(last.getTime() + 1000),
      reference: null,
      linked: null,
      payoutReference: ref,
      expected: short ? 'PAYOUT_MISMATCH' : 'MATCHED',
      paymentPtx: null,
      category: 'PAYOUT',
    };
  }

  *allLines(): Generator<GeneratedLine> {
    for (let i = 0; i < this.options.payments; i++) {
      yield* this.lines(i);
      const po = this.payoutLine(i);
      if (po) yield po;
    }
  }

  /** The statement as LIPA_CSV, in chunks of about `chunkBytes`. */
  *statementCsv(chunkBytes = 256 * 1024): Generator<string> {
    const exp = currencyExponent(this.currency);
    let buf =
      'provider_transaction_id,kind,amount,fee,currency,occurred_at,reference,linked_transaction_id,payout_reference\n';
    for (const l of this.allLines()) {
      buf +=
        [
          l.ptx ?? '',
          l.kind,
          formatMinor(l.amountMinor, exp),
          formatMinor(l.feeMinor, exp),
          this.currency,
          l.occurredAt.toISOString(),
          l.reference ?? '',
          l.linked ?? '',
          l.payoutReference ?? '',
        ].join(',') + '\n';
      if (buf.length >= chunkBytes) {
        yield buf;
        buf = '';
      }
    }
    if (buf) yield buf;
  }

  truth(): GroundTruth {
    const t: GroundTruth = {
      lineOutcomes: {},
      discrepancies: {},
      statementPaymentMinor: 0n,
      statementPaymentLines: 0,
      paymentCount: 0,
      lineCount: 0,
      byCategory: {},
    };
    const bump = (o: Record<string, number>, k: string, n = 1) => (o[k] = (o[k] ?? 0) + n);
    const TYPE: Record<string, string | undefined> = {
      DUPLICATE: 'DUPLICATE_PAYMENT',
      UNMATCHED: 'UNMATCHED_PAYMENT',
      AMOUNT_MISMATCH: 'SETTLEMENT_AMOUNT_MISMATCH',
      PAYOUT_MISMATCH: 'SETTLEMENT_AMOUNT_MISMATCH',
      MISSING_AT_RAIL: 'MISSING_AT_RAIL',
    };
    for (let i = 0; i < this.options.payments; i++) {
      const category = this.category(i);
      bump(t.byCategory, category);
      const payments = this.payments(i);
      t.paymentCount += payments.length;
      if (category === 'MISSING' || category === 'AMBIGUOUS')
        bump(t.discrepancies, 'MISSING_IN_SETTLEMENT', payments.length);
      const lines = [...this.lines(i)];
      const po = this.payoutLine(i);
      if (po) lines.push(po);
      for (const l of lines) {
        t.lineCount++;
        if (!this.inPeriod(l.occurredAt)) continue;
        bump(t.lineOutcomes, `${l.kind}:${l.expected}`);
        const type = TYPE[l.expected];
        if (type) bump(t.discrepancies, type);
        if (l.kind === 'PAYMENT') {
          t.statementPaymentLines++;
          t.statementPaymentMinor += l.amountMinor;
        }
      }
    }
    return t;
  }
}

const PAYMENT_COLUMNS =
  'id, organization_id, payment_source_id, rail, provider_transaction_id, amount_minor, currency, status, ' +
  'reconciliation_state, account_reference, received_at';

/** Streams the dataset's Lipa payments into the payment table with COPY (real rows, as ingest would leave them). */
export async function copyPayments(
  client: PoolClient,
  ds: ReconDataset,
  organizationId: string,
  sourceId: string,
  rail: string,
): Promise<number> {
  const stream = client.query(copyFrom(`COPY payment (${PAYMENT_COLUMNS}) FROM STDIN`));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  let buf = '';
  let count = 0;
  for (let i = 0; i < ds.options.payments; i++) {
    for (const p of ds.payments(i)) {
      count++;
      buf +=
        [
          p.id,
          organizationId,
          sourceId,
          rail,
          p.ptx,
          p.amountMinor.toString(),
          p.currency,
          p.status,
          'UNMATCHED',
          p.reference,
          p.receivedAt.toISOString(),
        ].join('\t') + '\n';
    }
    if (buf.length > 256 * 1024) {
      if (!stream.write(buf)) await new Promise((r) => stream.once('drain', r));
      buf = '';
    }
  }
  stream.end(buf);
  await done;
  return count;
}
