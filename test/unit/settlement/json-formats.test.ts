import fs from 'node:fs';
import path from 'node:path';
import {
  parseSettlement,
  SettlementParseError,
  type ParsedSettlementLine,
  type SettlementFormat,
  type SettlementLineIssue,
  type SettlementParseOptions,
} from '../../../src/domain/settlement';
import { roundTenths } from '../../../src/domain/settlement/formats/gocardless-payout-items';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '../../fixtures/settlement', name));

type Chunks = Iterable<Buffer | string> | AsyncIterable<Buffer | string>;

async function parse(
  format: SettlementFormat,
  input: Chunks | string,
  options?: SettlementParseOptions,
): Promise<{ lines: ParsedSettlementLine[]; issues: SettlementLineIssue[] }> {
  const lines: ParsedSettlementLine[] = [];
  const issues: SettlementLineIssue[] = [];
  for await (const item of parseSettlement(format, typeof input === 'string' ? [input] : input, options)) {
    if ('line' in item) lines.push(item.line);
    else issues.push(item.issue);
  }
  return { lines, issues };
}

/** A JSON document as one chunk. */
const j = (value: unknown) => [JSON.stringify(value)];

const plain = (l: ParsedSettlementLine) => ({ ...l, occurredAt: l.occurredAt.toISOString() });
const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));

describe('STRIPE_BALANCE_TRANSACTIONS', () => {
  const FIXTURE = fixture('stripe-balance-transactions.json');
  const list = JSON.parse(FIXTURE.toString('utf8')) as { data: Record<string, unknown>[] };
  const PO = 'po_1QpayoutKES0007';
  const base = {
    linkedTransactionId: null,
    payoutReference: PO,
    feeMinor: 0n,
    currency: 'KES',
    reference: null,
    status: 'COMPLETED',
  };
  const EXPECTED = [
    {
      ...base,
      lineNumber: 1,
      kind: 'PAYMENT',
      providerTransactionId: 'ch_3QchgKES0001abc',
      amountMinor: 150000n,
      feeMinor: 5250n,
      netMinor: 144750n,
      occurredAt: '2026-01-15T00:00:00.000Z',
    },
    {
      // An expanded source: its id, and the charge it refunds.
      ...base,
      lineNumber: 2,
      kind: 'REFUND',
      providerTransactionId: 're_3QrefKES0002abc',
      linkedTransactionId: 'ch_3QchgKES0001abc',
      amountMinor: 50000n,
      netMinor: -50000n,
      occurredAt: '2026-01-16T00:00:00.000Z',
    },
    {
      ...base,
      lineNumber: 3,
      kind: 'CHARGEBACK',
      providerTransactionId: 'dp_1QdspKES0003abc',
      amountMinor: 20000n,
      feeMinor: 1500n,
      netMinor: -21500n,
      occurredAt: '2026-01-17T00:00:00.000Z',
    },
    {
      ...base,
      lineNumber: 4,
      // A dispute won back: magnitudes as ever, but the net credits the amount and the refunded fee.
      kind: 'ADJUSTMENT',
      providerTransactionId: 'dp_1QdspKES0003abc',
      amountMinor: 20000n,
      feeMinor: 1500n,
      netMinor: 21500n,
      occurredAt: '2026-01-18T00:00:00.000Z',
    },
    {
      ...base,
      lineNumber: 5,
      // No source (Stripe's own Radar fee): known by the balance transaction's own id.
      kind: 'FEE',
      providerTransactionId: 'txn_1QfeeKES0005abc',
      amountMinor: 999n,
      netMinor: -999n,
      occurredAt: '2026-01-18T00:00:00.000Z',
    },
    {
      // Stripe writes UGX x100 (connectors/money.ts STRIPE_EXPONENT_OVERRIDES): 5,000,000 is UGX 50,000.
      ...base,
      lineNumber: 6,
      kind: 'PAYMENT',
      providerTransactionId: 'py_3QchgUGX0006abc',
      amountMinor: 50000n,
      feeMinor: 1800n,
      netMinor: 48200n,
      currency: 'UGX',
      occurredAt: '2026-01-19T00:00:00.000Z',
      status: 'PENDING',
    },
    {
      ...base,
      lineNumber: 7,
      kind: 'PAYOUT',
      providerTransactionId: PO,
      amountMinor: 79001n,
      netMinor: -79001n,
      occurredAt: '2026-01-20T00:00:00.000Z',
    },
  ];

  it('reads a list object, every field exactly', async () => {
    const { lines, issues } = await parse('STRIPE_BALANCE_TRANSACTIONS', [FIXTURE]);
    expect(issues).toEqual([]);
    expect(lines.map(plain)).toEqual(EXPECTED);
  });

  it('reads a bare array the same way, in any chunking', async () => {
    const bare = Buffer.from(JSON.stringify(list.data), 'utf8');
    const { lines } = await parse(
      'STRIPE_BALANCE_TRANSACTIONS',
      [...bare].map((b) => Buffer.from([b])),
    );
    expect(lines.map(plain)).toEqual(EXPECTED);
  });

  it('never copies descriptions or billing details', async () => {
    const { lines } = await parse('STRIPE_BALANCE_TRANSACTIONS', [FIXTURE]);
    expect(json(lines)).not.toMatch(/JANE|DOE|0712345678|254712345678|Loan repayment|Radar/);
  });

  it('takes the payout reference from options unless the file has exactly one payout', async () => {
    const withoutPayout = list.data.filter((t) => t.type !== 'payout');
    let { lines } = await parse('STRIPE_BALANCE_TRANSACTIONS', j(withoutPayout), {
      payoutReference: 'po_OPTION',
    });
    expect(new Set(lines.map((l) => l.payoutReference))).toEqual(new Set(['po_OPTION']));
    ({ lines } = await parse('STRIPE_BALANCE_TRANSACTIONS', j(withoutPayout)));
    expect(new Set(lines.map((l) => l.payoutReference))).toEqual(new Set([null]));
    const twoPayouts = [...list.data, { ...list.data[6], id: 'txn_2', source: 'po_2' }];
    ({ lines } = await parse('STRIPE_BALANCE_TRANSACTIONS', j(twoPayouts)));
    expect(lines.map((l) => l.payoutReference)).toEqual([null, null, null, null, null, null, PO, 'po_2']);
  });

  it('reports a broken item as an issue and reads on', async () => {
    const items = [
      { ...list.data[0], amount: undefined },
      { ...list.data[0], currency: 'xyz' },
      { ...list.data[0], created: '2026-01-15' },
      { ...list.data[0], type: undefined },
      { ...list.data[0], amount: 12.5 },
      { ...list.data[0], currency: 'ugx', amount: 150, net: undefined },
      { ...list.data[0], status: 'lost' },
      { ...list.data[0], source: null },
      'txn_123',
      // net must be amount less fee: an edited file, where one of the three was changed.
      { ...list.data[0], net: 150000 },
      { ...list.data[0], net: 144750.5 },
      list.data[0],
    ];
    const { lines, issues } = await parse('STRIPE_BALANCE_TRANSACTIONS', j(items));
    expect(issues).toEqual([
      { lineNumber: 1, message: 'amount is missing' },
      { lineNumber: 2, message: 'unknown currency "XYZ"' },
      { lineNumber: 3, message: 'created is not a unix timestamp in seconds' },
      { lineNumber: 4, message: 'type is missing' },
      { lineNumber: 5, message: 'amount is not an integer number of minor units' },
      { lineNumber: 6, message: 'amount or fee is not a whole number of UGX units (Stripe writes UGX x100)' },
      { lineNumber: 7, message: 'status "lost" is not available or pending' },
      { lineNumber: 8, message: 'source is missing for a PAYMENT line' },
      { lineNumber: 9, message: 'item is not a balance transaction object' },
      { lineNumber: 10, message: 'net is not amount less fee' },
      { lineNumber: 11, message: 'net is not an integer number of minor units' },
    ]);
    expect(lines.map((l) => l.lineNumber)).toEqual([12]);
  });

  it.each([
    ['charge', undefined, 'PAYMENT'],
    ['payment', 'charge', 'PAYMENT'],
    ['refund', undefined, 'REFUND'],
    ['payment_refund', 'refund', 'REFUND'],
    ['refund_failure', 'refund_failure', 'REFUND'],
    ['adjustment', 'dispute', 'CHARGEBACK'],
    ['adjustment', 'dispute_reversal', 'ADJUSTMENT'],
    ['adjustment', 'other_adjustment', 'ADJUSTMENT'],
    ['payout', 'payout', 'PAYOUT'],
    ['payout_cancel', 'payout_reversal', 'PAYOUT'],
    ['payout_failure', undefined, 'PAYOUT'],
    ['stripe_fee', 'fee', 'FEE'],
    ['application_fee', undefined, 'FEE'],
    ['transfer', 'transfer', 'ADJUSTMENT'],
  ])('maps type %s / category %s to %s', async (type, category, kind) => {
    const item = { ...list.data[0], type, reporting_category: category };
    const { lines } = await parse('STRIPE_BALANCE_TRANSACTIONS', j([item]));
    expect(lines.map((l) => l.kind)).toEqual([kind]);
  });

  it('refuses what is not a Stripe export', async () => {
    await expect(parse('STRIPE_BALANCE_TRANSACTIONS', 'id,amount\n1,2\n')).rejects.toThrow(
      /^The file is not valid JSON( \(at character \d+\))?; STRIPE_BALANCE_TRANSACTIONS is JSON$/,
    );
    await expect(parse('STRIPE_BALANCE_TRANSACTIONS', j({ object: 'list', items: [] }))).rejects.toThrow(
      /"data" array/,
    );
    await expect(parse('STRIPE_BALANCE_TRANSACTIONS', '"txn_1"')).rejects.toThrow(SettlementParseError);
    await expect(
      parse('STRIPE_BALANCE_TRANSACTIONS', j({ object: 'list', data: [], has_more: true })),
    ).rejects.toThrow(/has_more/);
    await expect(parse('STRIPE_BALANCE_TRANSACTIONS', '')).rejects.toThrow('The file is empty');
    await expect(parse('STRIPE_BALANCE_TRANSACTIONS', ' \n')).rejects.toThrow('The file is empty');
  });

  it('does not quote the file in a JSON error', async () => {
    await expect(parse('STRIPE_BALANCE_TRANSACTIONS', '{"name": JANE DOE 0712345678}')).rejects.toThrow(
      /^(?!.*(JANE|0712345678)).*not valid JSON/,
    );
  });

  it('reads an empty list as no lines', async () => {
    expect(
      await parse('STRIPE_BALANCE_TRANSACTIONS', j({ object: 'list', data: [], has_more: false })),
    ).toEqual({
      lines: [],
      issues: [],
    });
  });
});

describe('GOCARDLESS_PAYOUT_ITEMS', () => {
  const FIXTURE = fixture('gocardless-payout-items.json');
  const doc = JSON.parse(FIXTURE.toString('utf8')) as {
    payout_items: Record<string, unknown>[];
    payouts: Record<string, unknown>;
  };
  const base = {
    linkedTransactionId: null,
    payoutReference: 'PO0123',
    feeMinor: 0n,
    currency: 'GBP',
    occurredAt: '2026-11-19T10:00:00.000Z',
    reference: null,
    status: 'COMPLETED',
  };
  const EXPECTED = [
    {
      ...base,
      lineNumber: 1,
      kind: 'PAYMENT',
      providerTransactionId: 'PM0123',
      amountMinor: 1500n,
      netMinor: 1500n,
    },
    {
      ...base,
      lineNumber: 2,
      kind: 'FEE',
      providerTransactionId: 'PM0123',
      amountMinor: 13n,
      netMinor: -13n,
    },
    {
      ...base,
      lineNumber: 3,
      kind: 'PAYMENT',
      providerTransactionId: 'PM0124',
      amountMinor: 2000n,
      netMinor: 2000n,
    },
    { ...base, lineNumber: 4, kind: 'FEE', providerTransactionId: 'PM0124', amountMinor: 8n, netMinor: -8n },
    {
      ...base,
      lineNumber: 5,
      kind: 'REFUND',
      providerTransactionId: 'RF0042',
      linkedTransactionId: 'PM0120',
      amountMinor: 500n,
      netMinor: -500n,
    },
    {
      ...base,
      lineNumber: 6,
      kind: 'CHARGEBACK',
      providerTransactionId: 'PM0119',
      linkedTransactionId: 'PM0119',
      amountMinor: 1000n,
      netMinor: -1000n,
    },
    {
      ...base,
      lineNumber: 7,
      kind: 'ADJUSTMENT',
      providerTransactionId: 'PM0124',
      amountMinor: 0n,
      netMinor: 0n,
    },
    {
      ...base,
      lineNumber: 8,
      kind: 'PAYOUT',
      providerTransactionId: 'PO0123',
      amountMinor: 1980n,
      feeMinor: 20n,
      netMinor: -2000n,
    },
  ];

  it('reads payout items with the payout, every field exactly', async () => {
    const { lines, issues } = await parse('GOCARDLESS_PAYOUT_ITEMS', [FIXTURE]);
    expect(issues).toEqual([]);
    expect(lines.map(plain)).toEqual(EXPECTED);
    expect(json(lines)).not.toMatch(/JANE|DOE|LIPA-/);
  });

  it('rounds each item half away from zero: "-12.5" -> 13, "1500.0" -> 1500', () => {
    expect(roundTenths(-125n)).toBe(13n);
    expect(roundTenths(15000n)).toBe(1500n);
    expect(roundTenths(-124n)).toBe(12n);
    expect(roundTenths(125n)).toBe(13n);
    expect(roundTenths(4n)).toBe(0n);
    expect(roundTenths(-5n)).toBe(1n);
  });

  it("keeps each item's sign in netMinor: a credit adjustment adds to the payout, a fee refund too", async () => {
    const items = [
      { amount: '250.0', type: 'refund_funds_returned', links: { payment: 'PM0120', refund: 'RF0042' } },
      { amount: '-250.0', type: 'revenue_share', links: { payment: 'PM0124' } },
      { amount: '12.5', type: 'gocardless_fee', links: { payment: 'PM0123' } },
      { amount: '-0.4', type: 'surcharge_fee', links: { payment: 'PM0123' } },
      { amount: '99.6', type: 'a_type_gocardless_adds_later', links: { payment: 'PM0123' } },
    ];
    const { lines, issues } = await parse(
      'GOCARDLESS_PAYOUT_ITEMS',
      j({ payout_items: items, payouts: doc.payouts }),
    );
    expect(issues).toEqual([]);
    expect(lines.map((l) => [l.kind, l.amountMinor, l.netMinor])).toEqual([
      ['ADJUSTMENT', 250n, 250n],
      ['ADJUSTMENT', 250n, -250n],
      ['FEE', 13n, 13n],
      ['FEE', 0n, 0n],
      ['ADJUSTMENT', 100n, 100n],
      ['PAYOUT', 1980n, -2000n],
    ]);
  });

  it('marks the payout line failed when the payout bounced', async () => {
    const { lines } = await parse(
      'GOCARDLESS_PAYOUT_ITEMS',
      j({ ...doc, payouts: { ...doc.payouts, status: 'bounced' } }),
    );
    expect(lines.map((l) => l.status)).toEqual([...Array(7).fill('COMPLETED'), 'FAILED']);
  });

  it('uses the arrival date when the payout has no created_at', async () => {
    const { lines } = await parse(
      'GOCARDLESS_PAYOUT_ITEMS',
      j({ ...doc, payouts: { ...doc.payouts, created_at: undefined } }),
    );
    expect(new Set(lines.map((l) => l.occurredAt.toISOString()))).toEqual(
      new Set(['2026-11-20T00:00:00.000Z']),
    );
  });

  it('reads items alone with options and their own dates', async () => {
    const items = doc.payout_items
      .slice(0, 2)
      .map((it) => ({ ...it, created_at: '2026-11-18T09:30:00.000Z' }));
    const { lines, issues } = await parse('GOCARDLESS_PAYOUT_ITEMS', j({ payout_items: items, meta: {} }), {
      currency: 'EUR',
      payoutReference: 'PO9999',
    });
    expect(issues).toEqual([]);
    expect(lines.map(plain)).toEqual([
      { ...EXPECTED[0], currency: 'EUR', payoutReference: 'PO9999', occurredAt: '2026-11-18T09:30:00.000Z' },
      { ...EXPECTED[1], currency: 'EUR', payoutReference: 'PO9999', occurredAt: '2026-11-18T09:30:00.000Z' },
    ]);
  });

  it('refuses a file with no currency or no date', async () => {
    await expect(parse('GOCARDLESS_PAYOUT_ITEMS', j({ payout_items: doc.payout_items }))).rejects.toThrow(
      /no currency: include the payout/,
    );
    await expect(
      parse('GOCARDLESS_PAYOUT_ITEMS', j({ payout_items: doc.payout_items }), { currency: 'GBP' }),
    ).rejects.toThrow(/no dates: include the payout/);
    await expect(
      parse('GOCARDLESS_PAYOUT_ITEMS', j({ ...doc, payouts: { ...doc.payouts, currency: 'ZZZ' } })),
    ).rejects.toThrow('Unknown currency "ZZZ" in payouts.currency');
  });

  it('refuses JSON of the wrong shape', async () => {
    await expect(parse('GOCARDLESS_PAYOUT_ITEMS', j({ payouts: doc.payouts }))).rejects.toThrow(
      /"payout_items" array/,
    );
    await expect(parse('GOCARDLESS_PAYOUT_ITEMS', j([doc]))).rejects.toThrow(SettlementParseError);
    await expect(parse('GOCARDLESS_PAYOUT_ITEMS', '{"payout_items": [')).rejects.toThrow(/not valid JSON/);
    await expect(parse('GOCARDLESS_PAYOUT_ITEMS', j({ ...doc, payouts: 'PO0123' }))).rejects.toThrow(
      '"payouts" must be the payout object',
    );
  });

  it('reports broken items as issues', async () => {
    const items = [
      { amount: '12.55', type: 'payment_paid_out', links: { payment: 'PM1' } },
      { amount: 'abc', type: 'payment_paid_out', links: { payment: 'PM1' } },
      { type: 'payment_paid_out', links: { payment: 'PM1' } },
      { amount: '100.0', type: 'payment_paid_out', links: {} },
      { amount: '100.0', links: { payment: 'PM1' } },
      { amount: '100.0', type: 'some_future_type', links: {} },
      null,
    ];
    const { lines, issues } = await parse(
      'GOCARDLESS_PAYOUT_ITEMS',
      j({ payout_items: items, payouts: { ...doc.payouts, amount: 'x' } }),
    );
    expect(issues).toEqual([
      { lineNumber: 1, message: 'amount "12.55" has more than one decimal place' },
      { lineNumber: 2, message: 'amount is not a decimal string' },
      { lineNumber: 3, message: 'amount is missing' },
      { lineNumber: 4, message: 'links.payment is missing for a payment_paid_out item' },
      { lineNumber: 5, message: 'type is missing' },
      { lineNumber: 7, message: 'item is not a payout item object' },
      { lineNumber: 8, message: 'payouts.amount is not an integer number of minor units' },
    ]);
    expect(lines.map((l) => [l.lineNumber, l.kind, l.providerTransactionId, l.amountMinor])).toEqual([
      [6, 'ADJUSTMENT', null, 100n],
    ]);
  });
});

describe('parseSettlement', () => {
  it('refuses an unknown format when iterated', async () => {
    const gen = parseSettlement('QUICKBOOKS' as never, ['a,b\n']);
    await expect(gen.next()).rejects.toThrow(
      'Unknown settlement format "QUICKBOOKS"; expected one of LIPA_CSV, MPESA_STATEMENT_CSV, MTN_MOMO_CSV, AIRTEL_MONEY_CSV, STRIPE_BALANCE_TRANSACTIONS, GOCARDLESS_PAYOUT_ITEMS',
    );
  });

  it('passes on errors of the chunk source', async () => {
    async function* failing() {
      yield Buffer.from('provider_transaction_id,kind,amount,currency,occurred_at\n');
      throw new SettlementParseError('The file is larger than the 10-byte limit');
    }
    await expect(parse('LIPA_CSV', failing())).rejects.toThrow(/10-byte limit/);
  });
});
