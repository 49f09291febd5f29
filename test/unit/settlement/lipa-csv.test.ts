import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {
  parseSettlement,
  SettlementParseError,
  type ParsedSettlementLine,
  type SettlementLineIssue,
  type SettlementParseOptions,
} from '../../../src/domain/settlement';

const FIXTURE = fs.readFileSync(path.join(__dirname, '../../fixtures/settlement/lipa.csv'));
const HEADER = 'provider_transaction_id,kind,amount,currency,occurred_at';

type Chunks = Iterable<Buffer | string> | AsyncIterable<Buffer | string>;

async function parse(
  input: Chunks | string,
  options?: SettlementParseOptions,
): Promise<{ lines: ParsedSettlementLine[]; issues: SettlementLineIssue[] }> {
  const lines: ParsedSettlementLine[] = [];
  const issues: SettlementLineIssue[] = [];
  const chunks = typeof input === 'string' ? [input] : input;
  for await (const item of parseSettlement('LIPA_CSV', chunks, options)) {
    if ('line' in item) lines.push(item.line);
    else issues.push(item.issue);
  }
  return { lines, issues };
}

const plain = (l: ParsedSettlementLine) => ({ ...l, occurredAt: l.occurredAt.toISOString() });

function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts)].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    out.push(buf.subarray(from, p));
    from = p;
  }
  out.push(buf.subarray(from));
  return out;
}

const EXPECTED = [
  {
    lineNumber: 2,
    kind: 'PAYMENT',
    providerTransactionId: 'SKL4X8Y2ZQ',
    linkedTransactionId: null,
    payoutReference: null,
    amountMinor: 150050n,
    netMinor: 150050n,
    feeMinor: 0n,
    currency: 'KES',
    occurredAt: '2026-11-20T11:03:11.000Z',
    reference: 'LN-2024-000187',
    status: 'COMPLETED',
  },
  {
    lineNumber: 3,
    kind: 'PAYMENT',
    providerTransactionId: 'SKL4X8Y3AB',
    linkedTransactionId: null,
    payoutReference: 'PO-2026-11-20',
    amountMinor: 50000n,
    netMinor: 49750n,
    feeMinor: 250n,
    currency: 'UGX',
    occurredAt: '2026-11-20T09:15:00.000Z',
    reference: 'LN-2024-000188',
    status: 'COMPLETED',
  },
  {
    lineNumber: 4,
    kind: 'REVERSAL',
    providerTransactionId: 'SKL4X8Y4CD',
    linkedTransactionId: 'SKL4X8Y2ZQ',
    payoutReference: null,
    amountMinor: 150050n,
    netMinor: -150050n,
    feeMinor: 0n,
    currency: 'KES',
    occurredAt: '2026-11-21T05:00:00.250Z',
    reference: 'LN-2024-000187',
    status: 'COMPLETED',
  },
  {
    lineNumber: 6,
    kind: 'FEE',
    providerTransactionId: null,
    linkedTransactionId: null,
    payoutReference: 'PO-2026-11-21',
    amountMinor: 3500n,
    netMinor: -3500n,
    feeMinor: 0n,
    currency: 'KES',
    occurredAt: '2026-11-21T23:59:59.000Z',
    reference: null,
    status: 'COMPLETED',
  },
  {
    lineNumber: 7,
    kind: 'PAYOUT',
    providerTransactionId: 'po_1QxYzKES0001',
    linkedTransactionId: null,
    payoutReference: 'PO-2026-11-22',
    amountMinor: 12000000n,
    netMinor: -12000000n,
    feeMinor: 0n,
    currency: 'KES',
    occurredAt: '2026-11-22T06:00:00.000Z',
    reference: null,
    status: 'PENDING',
  },
  {
    lineNumber: 8,
    kind: 'REFUND',
    providerTransactionId: 'SKL4X8Y5EF',
    linkedTransactionId: 'SKL4X8Y3AB',
    payoutReference: null,
    amountMinor: 1005n,
    netMinor: -1005n,
    feeMinor: 0n,
    currency: 'KES',
    occurredAt: '2026-11-22T11:30:00.000Z',
    reference: 'LN-2024-000190',
    status: 'FAILED',
  },
  {
    // The reference was a phone number typed as the account: dropped, never stored.
    lineNumber: 9,
    kind: 'PAYMENT',
    providerTransactionId: 'SKL4X8Y6GH',
    linkedTransactionId: null,
    payoutReference: null,
    amountMinor: 100n,
    netMinor: 100n,
    feeMinor: 0n,
    currency: 'KES',
    occurredAt: '2026-11-22T21:00:00.000Z',
    reference: null,
    status: 'COMPLETED',
  },
];

describe('LIPA_CSV', () => {
  it('reads the fixture, every field exactly', async () => {
    const { lines, issues } = await parse([FIXTURE]);
    expect(issues).toEqual([]);
    expect(lines.map(plain)).toEqual(EXPECTED);
  });

  it('falls back to options.payoutReference only where the line names none', async () => {
    const { lines } = await parse([FIXTURE], { payoutReference: ' PO-OPTION ' });
    expect(lines.map((l) => l.payoutReference)).toEqual([
      'PO-OPTION',
      'PO-2026-11-20',
      'PO-OPTION',
      'PO-2026-11-21',
      'PO-2026-11-22',
      'PO-OPTION',
      'PO-OPTION',
    ]);
  });

  it('gives the same result byte by byte and for any chunking', async () => {
    const whole = (await parse([FIXTURE])).lines.map(plain);
    expect((await parse([...FIXTURE].map((b) => Buffer.from([b])))).lines.map(plain)).toEqual(whole);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: FIXTURE.length }), { maxLength: 30 }), async (cuts) => {
        const { lines, issues } = await parse(splitAt(FIXTURE, cuts));
        expect(issues).toEqual([]);
        expect(lines.map(plain)).toEqual(whole);
      }),
      { numRuns: 150 },
    );
  });

  it('reads CRLF files with a BOM, headers in any order and case', async () => {
    const text =
      '\uFEFF Occurred_At ,AMOUNT,Currency,Kind,Provider_Transaction_ID,Reference\r\n' +
      '2026-11-20T14:03:11+03:00,"1,5",KES,PAYMENT,SKL4X8Y2ZQ,LN-2024-000187\r\n' +
      '2026-11-20T14:03:11+0300,1.5,KES,PAYMENT,SKL4X8Y2ZQ,"LN-2024-000187, ""B"""\r\n';
    const { lines, issues } = await parse([Buffer.from(text, 'utf8')]);
    expect(issues).toEqual([{ lineNumber: 2, message: 'amount "1,5" is not a decimal amount' }]);
    expect(lines.map(plain)).toEqual([
      {
        lineNumber: 3,
        kind: 'PAYMENT',
        providerTransactionId: 'SKL4X8Y2ZQ',
        linkedTransactionId: null,
        payoutReference: null,
        amountMinor: 150n,
        netMinor: 150n,
        feeMinor: 0n,
        currency: 'KES',
        occurredAt: '2026-11-20T11:03:11.000Z',
        reference: 'LN-2024-000187, "B"',
        status: 'COMPLETED',
      },
    ]);
  });

  it('names a missing required column and lists what it found', async () => {
    await expect(
      parse('provider_transaction_id,kind,amount,occurred_at\nX,PAYMENT,1,2026-11-20T00:00:00Z\n'),
    ).rejects.toThrow('missing column "currency"; found: provider_transaction_id, kind, amount, occurred_at');
    await expect(parse('not,a,statement\n1,2,3\n')).rejects.toThrow(
      /^missing columns "provider_transaction_id", "kind", "amount", "currency", "occurred_at"; found: not, a, statement$/,
    );
  });

  it('refuses an empty file and reads nothing from a header alone', async () => {
    await expect(parse('')).rejects.toThrow(SettlementParseError);
    await expect(parse([])).rejects.toThrow(/empty/);
    await expect(parse('\n\r\n\n')).rejects.toThrow(/empty/);
    expect(await parse(`${HEADER}\n`)).toEqual({ lines: [], issues: [] });
    expect(await parse(`${HEADER}\n,,,,\n\n`)).toEqual({ lines: [], issues: [] });
  });

  it.each([
    ['a bad amount', 'SK1,PAYMENT,12abc,KES,2026-11-20T00:00:00Z', 'amount is not a decimal amount'],
    ['an exponent', 'SK1,PAYMENT,1e3,KES,2026-11-20T00:00:00Z', 'amount is not a decimal amount'],
    ['a blank amount', 'SK1,PAYMENT,,KES,2026-11-20T00:00:00Z', 'amount is empty'],
    [
      'too many decimals',
      'SK1,PAYMENT,10.555,KES,2026-11-20T00:00:00Z',
      'amount "10.555" has more decimal places than KES allows (2)',
    ],
    [
      'decimals on UGX',
      'SK1,PAYMENT,12.5,UGX,2026-11-20T00:00:00Z',
      'amount "12.5" has more decimal places than UGX allows (0)',
    ],
    [
      'a negative amount',
      'SK1,REFUND,-10.00,KES,2026-11-20T00:00:00Z',
      'amount must be a magnitude; use kind for the direction',
    ],
    [
      'an amount too large to store',
      'SK1,PAYMENT,99999999999999999999,KES,2026-11-20T00:00:00Z',
      'amount is too large',
    ],
    ['an unknown currency', 'SK1,PAYMENT,10,XYZ,2026-11-20T00:00:00Z', 'unknown currency "XYZ"'],
    [
      'a currency that is no code',
      'SK1,PAYMENT,10,Kenya Shillings,2026-11-20T00:00:00Z',
      'currency is not an ISO 4217 code',
    ],
    [
      'an impossible date',
      'SK1,PAYMENT,10,KES,2026-02-30T10:00:00+03:00',
      'occurred_at "2026-02-30T10:00:00+03:00" is not a real date and time',
    ],
    [
      'an impossible time',
      'SK1,PAYMENT,10,KES,2026-02-28T24:00:00Z',
      'occurred_at "2026-02-28T24:00:00Z" is not a real date and time',
    ],
    [
      'no offset',
      'SK1,PAYMENT,10,KES,2026-11-20 14:03:11',
      'occurred_at "2026-11-20 14:03:11" has no UTC offset (add Z or +03:00)',
    ],
    ['not a date', 'SK1,PAYMENT,10,KES,yesterday', 'occurred_at is not a date and time'],
    [
      'an unknown kind',
      'SK1,DEPOSIT,10,KES,2026-11-20T00:00:00Z',
      'kind "DEPOSIT" is not one of PAYMENT, REFUND, REVERSAL, CHARGEBACK, FEE, PAYOUT, ADJUSTMENT',
    ],
    [
      'a payment without id or reference',
      ',PAYMENT,10,KES,2026-11-20T00:00:00Z',
      'provider_transaction_id is required for PAYMENT lines (or give reference)',
    ],
    ['too few fields', 'SK1,PAYMENT,10,KES', 'expected 5 fields, found 4'],
    ['too many fields', 'SK1,PAYMENT,10,KES,2026-11-20T00:00:00Z,extra', 'expected 5 fields, found 6'],
    [
      'an over-long id',
      `${'A'.repeat(101)},PAYMENT,10,KES,2026-11-20T00:00:00Z`,
      'provider_transaction_id is longer than 100 characters',
    ],
  ])('reports %s as an issue and reads on', async (_name, row, message) => {
    const { lines, issues } = await parse(`${HEADER}\n${row}\nSK2,PAYMENT,1,KES,2026-11-20T00:00:00Z\n`);
    expect(issues).toEqual([{ lineNumber: 2, message }]);
    expect(lines.map((l) => [l.lineNumber, l.providerTransactionId, l.amountMinor])).toEqual([
      [3, 'SK2', 100n],
    ]);
  });

  it('accepts padded zero decimals and trailing empty cells', async () => {
    const { lines, issues } = await parse(`${HEADER}\nSK1,PAYMENT,50000.00,UGX,2026-11-20T00:00:00Z,,\n`);
    expect(issues).toEqual([]);
    expect(lines[0].amountMinor).toBe(50000n);
  });

  it('reports every problem of a row in one issue, without echoing personal data', async () => {
    const { issues } = await parse(
      `${HEADER},fee,status,reference\nSK1,PAYMENT,JANE DOE,KES,0712345678,-1,LOST,${'x'.repeat(101)}\n`,
    );
    expect(issues).toEqual([
      {
        lineNumber: 2,
        message:
          'amount is not a decimal amount; fee must be a magnitude; occurred_at is not a date and time; ' +
          'status "LOST" is not one of COMPLETED, FAILED, PENDING; reference is longer than 100 characters',
      },
    ]);
    expect(JSON.stringify(issues)).not.toMatch(/JANE|0712345678/);
  });

  it('allows a blank id for fee, adjustment and payout lines, and payments with a reference', async () => {
    const rows = [
      ',FEE,1,KES,2026-11-20T00:00:00Z,',
      ',ADJUSTMENT,1,KES,2026-11-20T00:00:00Z,',
      ',PAYOUT,1,KES,2026-11-20T00:00:00Z,',
      ',PAYMENT,1,KES,2026-11-20T00:00:00Z,LN-2024-000187',
      ',REFUND,1,KES,2026-11-20T00:00:00Z,LN-2024-000187',
      // A phone number is no reference: dropped, so the payment has nothing to be matched by.
      ',PAYMENT,1,KES,2026-11-20T00:00:00Z,+254712345678',
    ];
    const { lines, issues } = await parse(`${HEADER},reference\n${rows.join('\n')}\n`);
    expect(lines.map((l) => [l.kind, l.providerTransactionId, l.reference])).toEqual([
      ['FEE', null, null],
      ['ADJUSTMENT', null, null],
      ['PAYOUT', null, null],
      ['PAYMENT', null, 'LN-2024-000187'],
    ]);
    expect(issues).toEqual([
      { lineNumber: 6, message: 'provider_transaction_id is required for REFUND lines' },
      { lineNumber: 7, message: 'provider_transaction_id is required for PAYMENT lines (or give reference)' },
    ]);
  });

  it("reads the optional signed net, else derives it from the kind's usual direction", async () => {
    const rows = [
      // A credit adjustment and a refunded fee: against their kinds' usual direction, so the file says so.
      'D1,ADJUSTMENT,200.00,KES,2026-11-20T00:00:00Z,,200.00',
      ',FEE,35.00,KES,2026-11-20T00:00:00Z,,35.00',
      ',ADJUSTMENT,10.00,KES,2026-11-20T00:00:00Z,,-10.00',
      'SK1,PAYMENT,1500.00,KES,2026-11-20T00:00:00Z,25.00,',
      'SK2,REFUND,100.00,KES,2026-11-20T00:00:00Z,,',
      'SK3,PAYMENT,1.00,KES,2026-11-20T00:00:00Z,,1.001',
      'SK4,PAYMENT,1.00,KES,2026-11-20T00:00:00Z,,ten',
    ];
    const { lines, issues } = await parse(`${HEADER},fee,net\n${rows.join('\n')}\n`);
    expect(lines.map((l) => [l.kind, l.amountMinor, l.feeMinor, l.netMinor])).toEqual([
      ['ADJUSTMENT', 20000n, 0n, 20000n],
      ['FEE', 3500n, 0n, 3500n],
      ['ADJUSTMENT', 1000n, 0n, -1000n],
      ['PAYMENT', 150000n, 2500n, 147500n],
      ['REFUND', 10000n, 0n, -10000n],
    ]);
    expect(issues.map((i) => i.lineNumber)).toEqual([7, 8]);
    expect(issues.map((i) => i.message).join('; ')).toMatch(/^net .*; net /);
  });

  it('refuses an oversized record as a whole-file error', async () => {
    await expect(
      parse(`${HEADER}\nSK1,PAYMENT,1,KES,2026-11-20T00:00:00Z,"${'z'.repeat(70_000)}"\n`),
    ).rejects.toThrow(/larger than 65536 bytes/);
  });

  it('refuses an unterminated quote as a whole-file error', async () => {
    await expect(parse(`${HEADER}\n"SK1,PAYMENT,1,KES,2026-11-20T00:00:00Z\n`)).rejects.toThrow(
      /Unterminated/,
    );
  });

  it('refuses a bad currency option', async () => {
    await expect(parse(`${HEADER}\n`, { currency: 'ZZZ' })).rejects.toThrow('Unknown currency option "ZZZ"');
  });

  it('reads 200,000 generated lines', async () => {
    const n = 200_000;
    function* file(): Generator<string> {
      yield `${HEADER},fee,reference\n`;
      let buf = '';
      for (let i = 0; i < n; i++) {
        buf += `RT${i},PAYMENT,${1000 + (i % 5000)}.${String(i % 100).padStart(2, '0')},KES,2026-11-20T10:00:00Z,1.00,LN-2024-${String(i).padStart(6, '0')}\n`;
        if (buf.length > 60_000) {
          yield buf;
          buf = '';
        }
      }
      yield buf;
    }
    let count = 0;
    let issues = 0;
    let total = 0n;
    for await (const item of parseSettlement('LIPA_CSV', file())) {
      if ('line' in item) {
        count++;
        total += item.line.amountMinor;
      } else issues++;
    }
    expect(issues).toBe(0);
    expect(count).toBe(n);
    let expected = 0n;
    for (let i = 0; i < n; i++) expected += BigInt(1000 + (i % 5000)) * 100n + BigInt(i % 100);
    expect(total).toBe(expected);
  });
});
