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

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '../../fixtures/settlement', name));

async function parse(
  format: SettlementFormat,
  input: Iterable<Buffer | string> | string,
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

const plain = (l: ParsedSettlementLine) => ({ ...l, occurredAt: l.occurredAt.toISOString() });
const bytewise = (buf: Buffer) => [...buf].map((b) => Buffer.from([b]));
const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));

const base = {
  linkedTransactionId: null,
  payoutReference: null,
  feeMinor: 0n,
  currency: 'UGX',
  status: 'COMPLETED',
};

describe('MTN_MOMO_CSV', () => {
  const FIXTURE = fixture('mtn-momo.csv');
  const EXPECTED = [
    {
      ...base,
      lineNumber: 2,
      kind: 'PAYMENT',
      providerTransactionId: '4312298765',
      amountMinor: 50000n,
      netMinor: 50000n,
      occurredAt: '2026-11-20T07:15:30.000Z',
      reference: 'LN-2024-000187',
    },
    {
      ...base,
      lineNumber: 3,
      kind: 'PAYMENT',
      providerTransactionId: '4312298766',
      amountMinor: 75000n,
      netMinor: 74500n,
      feeMinor: 500n,
      occurredAt: '2026-11-20T08:00:00.000Z',
      reference: 'LN-2024-000188',
    },
    {
      ...base,
      lineNumber: 4,
      kind: 'REFUND',
      providerTransactionId: '4312298790',
      linkedTransactionId: '4312298765',
      amountMinor: 50000n,
      netMinor: -50000n,
      occurredAt: '2026-11-21T05:00:00.000Z',
      reference: 'LN-2024-000187',
    },
    {
      ...base,
      lineNumber: 5,
      kind: 'PAYMENT',
      providerTransactionId: '4312298791',
      amountMinor: 20000n,
      netMinor: 20000n,
      occurredAt: '2026-11-21T06:00:00.000Z',
      reference: null,
      status: 'FAILED',
    },
    {
      ...base,
      lineNumber: 6,
      kind: 'PAYOUT',
      providerTransactionId: '4312298792',
      amountMinor: 1000000n,
      netMinor: -1000000n,
      occurredAt: '2026-11-21T14:45:00.000Z',
      reference: 'LN-2024-000190',
      status: 'PENDING',
    },
    {
      ...base,
      lineNumber: 7,
      kind: 'FEE',
      providerTransactionId: '4312298793',
      amountMinor: 1500n,
      netMinor: -1500n,
      occurredAt: '2026-11-21T18:00:00.000Z',
      reference: null,
    },
  ];

  it('reads the partner-portal export, every field exactly', async () => {
    const { lines, issues } = await parse('MTN_MOMO_CSV', [FIXTURE]);
    expect(issues).toEqual([]);
    expect(lines.map(plain)).toEqual(EXPECTED);
  });

  it('gives the same result byte by byte, and keeps payer numbers and names out', async () => {
    const { lines } = await parse('MTN_MOMO_CSV', bytewise(FIXTURE));
    expect(lines.map(plain)).toEqual(EXPECTED);
    expect(json(lines)).not.toMatch(/2567721234|NAKATO|MUGISHA|AKELLO/);
  });

  it('matches header aliases and falls back to options.currency', async () => {
    const text =
      'transaction_id,externalId,Timestamp,AMOUNT,STATUS,transaction type\n' +
      '998877,LN-2024-000300,2026-11-20T10:00:00.000+03:00,"1,200.50",successful,Request To Pay\n';
    const { lines, issues } = await parse('MTN_MOMO_CSV', text, { currency: 'KES', payoutReference: 'PO-9' });
    expect(issues).toEqual([]);
    expect(lines.map(plain)).toEqual([
      {
        ...base,
        currency: 'KES',
        payoutReference: 'PO-9',
        lineNumber: 2,
        kind: 'PAYMENT',
        providerTransactionId: '998877',
        amountMinor: 120050n,
        netMinor: 120050n,
        occurredAt: '2026-11-20T07:00:00.000Z',
        reference: 'LN-2024-000300',
      },
    ]);
  });

  it('treats a file without a type column as payments', async () => {
    const { lines } = await parse('MTN_MOMO_CSV', 'Id,Date,Amount,Currency\n77,2026-11-20,50000,UGX\n');
    expect(lines.map((l) => [l.kind, l.occurredAt.toISOString()])).toEqual([
      ['PAYMENT', '2026-11-19T21:00:00.000Z'],
    ]);
  });

  it('refuses a file with neither a currency column nor a currency option', async () => {
    await expect(parse('MTN_MOMO_CSV', 'Id,Date,Amount\n77,2026-11-20 10:00:00,50000\n')).rejects.toThrow(
      /no Currency column/,
    );
    expect(
      (await parse('MTN_MOMO_CSV', 'Id,Date,Amount\n77,2026-11-20 10:00:00,50000\n', { currency: 'UGX' }))
        .lines,
    ).toHaveLength(1);
  });

  it('names missing columns', async () => {
    await expect(
      parse('MTN_MOMO_CSV', 'Financial Transaction Id,Amount,Currency\n1,2,UGX\n'),
    ).rejects.toThrow('missing column "Date"; found: Financial Transaction Id, Amount, Currency');
    await expect(parse('MTN_MOMO_CSV', 'foo,bar\n1,2\n')).rejects.toThrow(
      'missing columns "Financial Transaction Id", "Date", "Amount"; found: foo, bar (no header row in the first 30 rows)',
    );
    await expect(parse('MTN_MOMO_CSV', '')).rejects.toThrow(SettlementParseError);
  });

  const HEADER = 'Financial Transaction Id,External Transaction Id,Date,Status,Type,Amount,Currency';
  it.each([
    [
      'a missing id',
      ',LN-1,2026-11-20 10:00:00,SUCCESSFUL,PAYMENT,100,UGX',
      'Financial Transaction Id is empty',
    ],
    [
      'a bad amount',
      '1,LN-1,2026-11-20 10:00:00,SUCCESSFUL,PAYMENT,1oo,UGX',
      'Amount is not a decimal amount',
    ],
    [
      'fractional shillings',
      '1,LN-1,2026-11-20 10:00:00,SUCCESSFUL,PAYMENT,100.50,UGX',
      'Amount "100.50" has more decimal places than UGX allows (0)',
    ],
    [
      'an unknown currency',
      '1,LN-1,2026-11-20 10:00:00,SUCCESSFUL,PAYMENT,100,ABC',
      'unknown currency "ABC"',
    ],
    [
      'an impossible date',
      '1,LN-1,2026-04-31 10:00:00,SUCCESSFUL,PAYMENT,100,UGX',
      'Date "2026-04-31 10:00:00" is not a real date and time',
    ],
    [
      'an unknown status',
      '1,LN-1,2026-11-20 10:00:00,LOST,PAYMENT,100,UGX',
      'Status "LOST" is not a status Lipa knows',
    ],
    [
      'an unknown type',
      '1,LN-1,2026-11-20 10:00:00,SUCCESSFUL,CASH_IN,100,UGX',
      'Type "CASH_IN" is not a transaction type Lipa knows',
    ],
    ['a short row', '1,LN-1,2026-11-20 10:00:00', 'expected 7 fields, found 3'],
  ])('reports %s as an issue', async (_name, row, message) => {
    const { lines, issues } = await parse('MTN_MOMO_CSV', `${HEADER}\n${row}\n`);
    expect(lines).toEqual([]);
    expect(issues).toEqual([{ lineNumber: 2, message }]);
  });

  it.each([
    ['SUCCESSFUL', 'COMPLETED'],
    ['Success', 'COMPLETED'],
    ['COMPLETED', 'COMPLETED'],
    ['FAILED', 'FAILED'],
    ['REJECTED', 'FAILED'],
    ['TIMEOUT', 'FAILED'],
    ['PENDING', 'PENDING'],
    ['', 'COMPLETED'],
  ])('maps status %s to %s', async (status, expected) => {
    const { lines } = await parse(
      'MTN_MOMO_CSV',
      `${HEADER}\n1,LN-1,2026-11-20 10:00:00,${status},PAYMENT,100,UGX\n`,
    );
    expect(lines[0].status).toBe(expected);
  });

  it.each([
    ['DEBIT', 'PAYMENT'],
    ['PAYMENT', 'PAYMENT'],
    ['COLLECTION', 'PAYMENT'],
    ['REQUEST_TO_PAY', 'PAYMENT'],
    ['Payment', 'PAYMENT'],
    ['REFUND', 'REFUND'],
    ['REVERSAL', 'REVERSAL'],
    ['FEE', 'FEE'],
    ['TRANSFER', 'PAYOUT'],
    ['DISBURSEMENT', 'PAYOUT'],
    ['WITHDRAWAL', 'PAYOUT'],
  ])('maps type %s to %s', async (type, kind) => {
    const { lines } = await parse(
      'MTN_MOMO_CSV',
      `${HEADER}\n1,LN-1,2026-11-20 10:00:00,SUCCESSFUL,${type},-100,UGX\n`,
    );
    expect(lines.map((l) => [l.kind, l.amountMinor])).toEqual([[kind, 100n]]);
  });
});

describe('AIRTEL_MONEY_CSV', () => {
  const FIXTURE = fixture('airtel-money.csv');
  const EXPECTED = [
    {
      ...base,
      lineNumber: 4,
      kind: 'PAYMENT',
      providerTransactionId: 'MP261120.1015.A12345',
      amountMinor: 50000n,
      netMinor: 50000n,
      occurredAt: '2026-11-20T07:15:30.000Z',
      reference: 'LN-2024-000187',
    },
    {
      ...base,
      lineNumber: 5,
      kind: 'PAYMENT',
      providerTransactionId: 'MP261120.1102.B23456',
      amountMinor: 30000n,
      netMinor: 30000n,
      occurredAt: '2026-11-20T08:02:00.000Z',
      reference: 'LN-2024-000188',
      status: 'FAILED',
    },
    {
      ...base,
      lineNumber: 6,
      kind: 'REFUND',
      providerTransactionId: 'MP261121.0900.C34567',
      linkedTransactionId: 'MP261120.1015.A12345',
      amountMinor: 50000n,
      netMinor: -50000n,
      occurredAt: '2026-11-21T06:00:00.000Z',
      reference: 'LN-2024-000187',
    },
    {
      ...base,
      lineNumber: 7,
      kind: 'PAYOUT',
      providerTransactionId: 'MP261121.1000.D45678',
      amountMinor: 250000n,
      netMinor: -250000n,
      occurredAt: '2026-11-21T07:00:00.000Z',
      reference: null,
      status: 'PENDING',
    },
    {
      // The merchant reference holds a name: dropped.
      ...base,
      lineNumber: 8,
      kind: 'PAYMENT',
      providerTransactionId: 'MP261121.1100.E56789',
      amountMinor: 15000n,
      netMinor: 15000n,
      occurredAt: '2026-11-21T08:00:00.000Z',
      reference: null,
      status: 'PENDING',
    },
  ];

  it('reads the merchant-portal export after its preamble, every field exactly', async () => {
    const { lines, issues } = await parse('AIRTEL_MONEY_CSV', [FIXTURE]);
    expect(issues).toEqual([]);
    expect(lines.map(plain)).toEqual(EXPECTED);
  });

  it('gives the same result byte by byte, and keeps payer numbers and names out', async () => {
    const { lines } = await parse('AIRTEL_MONEY_CSV', bytewise(FIXTURE));
    expect(lines.map(plain)).toEqual(EXPECTED);
    expect(json(lines)).not.toMatch(/2567521234|GRACE|ATIM|OKELLO/);
  });

  it.each([
    ['TS', 'COMPLETED'],
    ['SUCCESS', 'COMPLETED'],
    ['SUCCESSFUL', 'COMPLETED'],
    ['TF', 'FAILED'],
    ['FAILED', 'FAILED'],
    ['TIP', 'PENDING'],
    ['TA', 'PENDING'],
    ['PENDING', 'PENDING'],
    ['AMBIGUOUS', 'PENDING'],
  ])('maps status %s to %s', async (status, expected) => {
    const { lines } = await parse(
      'AIRTEL_MONEY_CSV',
      `TXN ID,Reference,Date,Amount,Currency,Status\nMP1,LN-1,2026-11-20 10:00:00,100,UGX,${status}\n`,
    );
    expect(lines.map((l) => l.status)).toEqual([expected]);
  });

  it('matches the other id and amount aliases', async () => {
    const { lines } = await parse(
      'AIRTEL_MONEY_CSV',
      'Reference Id,External Reference,Date Time,Transaction Amount,Currency\nMP9,LN-2,20-11-2026 10:00,"1,000",KES\n',
    );
    expect(lines.map(plain)).toEqual([
      {
        ...base,
        currency: 'KES',
        lineNumber: 2,
        kind: 'PAYMENT',
        providerTransactionId: 'MP9',
        amountMinor: 100000n,
        netMinor: 100000n,
        occurredAt: '2026-11-20T07:00:00.000Z',
        reference: 'LN-2',
      },
    ]);
  });

  it('refuses a status it does not know and a row without an id', async () => {
    const { issues } = await parse(
      'AIRTEL_MONEY_CSV',
      'TXN ID,Date,Amount,Currency,Status\nMP1,2026-11-20 10:00:00,100,UGX,TX\n,2026-11-20 10:00:00,100,UGX,TS\n',
    );
    expect(issues).toEqual([
      { lineNumber: 2, message: 'Status "TX" is not a status Lipa knows' },
      { lineNumber: 3, message: 'Airtel Money Id is empty' },
    ]);
  });
});
