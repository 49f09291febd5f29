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

const FIXTURE = fs.readFileSync(path.join(__dirname, '../../fixtures/settlement/mpesa-statement.csv'));
const HEADER =
  'Receipt No.,Completion Time,Initiation Time,Details,Transaction Status,Paid In,Withdrawn,Balance,Reason Type,Other Party Info,Linked Transaction ID,A/C No.';

async function parse(
  input: Iterable<Buffer | string> | string,
  options?: SettlementParseOptions,
): Promise<{ lines: ParsedSettlementLine[]; issues: SettlementLineIssue[] }> {
  const lines: ParsedSettlementLine[] = [];
  const issues: SettlementLineIssue[] = [];
  for await (const item of parseSettlement(
    'MPESA_STATEMENT_CSV',
    typeof input === 'string' ? [input] : input,
    options,
  )) {
    if ('line' in item) lines.push(item.line);
    else issues.push(item.issue);
  }
  return { lines, issues };
}

const plain = (l: ParsedSettlementLine) => ({ ...l, occurredAt: l.occurredAt.toISOString() });

/** One statement row with the given cells, the rest blank. */
function row(
  cells: Partial<
    Record<
      | 'receipt'
      | 'completion'
      | 'status'
      | 'paidIn'
      | 'withdrawn'
      | 'reason'
      | 'details'
      | 'linked'
      | 'account',
      string
    >
  >,
): string {
  return [
    cells.receipt ?? 'SKL4X8Y2ZQ',
    cells.completion ?? '2026-11-20 14:03:11',
    '',
    cells.details ?? '',
    cells.status ?? 'Completed',
    cells.paidIn ?? '',
    cells.withdrawn ?? '',
    '',
    cells.reason ?? '',
    '254712345678 - JANE DOE',
    cells.linked ?? '',
    cells.account ?? '',
  ]
    .map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c))
    .join(',');
}

const base = {
  linkedTransactionId: null,
  payoutReference: null,
  feeMinor: 0n,
  currency: 'KES',
  status: 'COMPLETED',
};

const EXPECTED = [
  {
    ...base,
    lineNumber: 6,
    kind: 'PAYMENT',
    providerTransactionId: 'SKL4X8Y2ZQ',
    amountMinor: 150000n,
    netMinor: 150000n,
    occurredAt: '2026-11-20T11:03:11.000Z',
    reference: 'LN-2024-000187',
  },
  {
    ...base,
    lineNumber: 7,
    kind: 'FEE',
    providerTransactionId: 'SKL4X8Y2ZR',
    amountMinor: 2200n,
    netMinor: -2200n,
    occurredAt: '2026-11-20T11:03:11.000Z',
    reference: null,
  },
  {
    // Day-first time; the payer typed a phone number as the account, so there is no reference.
    ...base,
    lineNumber: 8,
    kind: 'PAYMENT',
    providerTransactionId: 'SKM1A2B3C4',
    amountMinor: 200000n,
    netMinor: 200000n,
    occurredAt: '2026-11-20T15:45:00.000Z',
    reference: null,
  },
  {
    ...base,
    lineNumber: 10,
    kind: 'REVERSAL',
    providerTransactionId: 'SKN5D6E7F8',
    linkedTransactionId: 'SKL4X8Y2ZQ',
    amountMinor: 150000n,
    netMinor: -150000n,
    occurredAt: '2026-11-21T06:00:00.000Z',
    reference: 'LN-2024-000187',
  },
  {
    ...base,
    lineNumber: 11,
    kind: 'PAYOUT',
    providerTransactionId: 'SKP9G8H7J6',
    amountMinor: 5000000n,
    netMinor: -5000000n,
    occurredAt: '2026-11-21T14:30:00.000Z',
    reference: null,
  },
  {
    ...base,
    lineNumber: 13,
    kind: 'PAYMENT',
    providerTransactionId: 'SKQ1W2E3R4',
    amountMinor: 75000n,
    netMinor: 75000n,
    occurredAt: '2026-11-21T17:00:00.000Z',
    reference: 'LN-2024-000201',
    status: 'FAILED',
  },
  {
    // Pending: no completion time yet, so the initiation time.
    ...base,
    lineNumber: 14,
    kind: 'PAYMENT',
    providerTransactionId: 'SKR7T8Y9U0',
    amountMinor: 1234550n,
    netMinor: 1234550n,
    occurredAt: '2026-11-21T18:10:05.000Z',
    reference: 'LN-2024-000205',
    status: 'PENDING',
  },
];

describe('MPESA_STATEMENT_CSV', () => {
  it('reads the org-portal statement after its preamble, every field exactly', async () => {
    const { lines, issues } = await parse([FIXTURE]);
    expect(issues).toEqual([]);
    expect(lines.map(plain)).toEqual(EXPECTED);
  });

  it('never lets a name, phone number or the details text into its output', async () => {
    const { lines } = await parse([FIXTURE]);
    const out = JSON.stringify(lines, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    for (const secret of [
      'JANE',
      'WANJIKU',
      'DOE',
      'PETER',
      'PETE',
      'OTIENO',
      'Kisumu',
      'MARY',
      'AKINYI',
      'JOHN',
      'KAMAU',
      'KCB',
      'Pay Bill',
      'Reversal of',
    ])
      expect(out).not.toContain(secret);
    expect(out).not.toMatch(/2547\d{8}|07\d{8}|0722000111/);
  });

  it('never puts personal data in issue messages either', async () => {
    const text = [
      HEADER,
      row({ receipt: '254712345678', paidIn: '100.00' }),
      row({ receipt: 'JANE DOE', paidIn: '100.00' }),
      row({ paidIn: 'JANE DOE' }),
      row({ paidIn: '100', completion: '0712345678' }),
    ].join('\n');
    const { issues } = await parse(text);
    expect(issues).toEqual([
      { lineNumber: 2, message: 'receipt number is not 8-20 letters and digits' },
      { lineNumber: 3, message: 'receipt number is not 8-20 letters and digits' },
      { lineNumber: 4, message: 'Paid In is not a decimal amount' },
      { lineNumber: 5, message: 'Completion Time is not a date and time' },
    ]);
  });

  it('gives the same result for 1-byte chunks and any chunking', async () => {
    const whole = (await parse([FIXTURE])).lines.map(plain);
    expect((await parse([...FIXTURE].map((b) => Buffer.from([b])))).lines.map(plain)).toEqual(whole);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: FIXTURE.length }), { maxLength: 30 }), async (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let from = 0;
        for (const p of points) {
          chunks.push(FIXTURE.subarray(from, p));
          from = p;
        }
        chunks.push(FIXTURE.subarray(from));
        const { lines, issues } = await parse(chunks);
        expect(issues).toEqual([]);
        expect(lines.map(plain)).toEqual(whole);
      }),
      { numRuns: 150 },
    );
  });

  it('uses options.currency and options.payoutReference', async () => {
    const { lines } = await parse([FIXTURE], { currency: 'tzs', payoutReference: 'SETTLE-2026-11-21' });
    expect(new Set(lines.map((l) => l.currency))).toEqual(new Set(['TZS']));
    expect(new Set(lines.map((l) => l.payoutReference))).toEqual(new Set(['SETTLE-2026-11-21']));
  });

  it('matches header aliases ignoring case, punctuation and spaces', async () => {
    const text =
      'RECEIPT,completion date,STATUS,paid in,withdrawn,reason type,Account Number\n' +
      'SKL4X8Y2ZQ,2026-11-20T14:03:11,completed,"1,500.00",,,LN-2024-000187\n' +
      'SKL4X8Y2ZR,2026-11-20 14:03:11,Declined,,22,Pay Bill Charge,\n';
    const { lines, issues } = await parse(text);
    expect(issues).toEqual([]);
    expect(lines.map((l) => [l.kind, l.providerTransactionId, l.amountMinor, l.status, l.reference])).toEqual(
      [
        ['PAYMENT', 'SKL4X8Y2ZQ', 150000n, 'COMPLETED', 'LN-2024-000187'],
        ['FEE', 'SKL4X8Y2ZR', 2200n, 'FAILED', null],
      ],
    );
  });

  it.each([
    [{ withdrawn: '100.00', reason: 'Reversal' }, 'REVERSAL'],
    [{ withdrawn: '100.00', details: 'Reversal of SKL4X8Y2ZQ' }, 'REVERSAL'],
    [{ withdrawn: '100.00', reason: 'Business Pay Bill Charge' }, 'FEE'],
    [{ withdrawn: '100.00', details: 'Commission for July' }, 'FEE'],
    [{ withdrawn: '100.00', reason: 'Organization Settlement Account' }, 'PAYOUT'],
    [{ withdrawn: '100.00', details: 'Transfer to Bank' }, 'PAYOUT'],
    [{ withdrawn: '100.00', reason: 'Withdraw funds to bank' }, 'PAYOUT'],
    [{ withdrawn: '100.00', reason: 'Business Payment to Customer via API' }, 'ADJUSTMENT'],
    [{ paidIn: '100.00', reason: 'Pay Bill Online' }, 'PAYMENT'],
    [{ paidIn: '100.00', reason: 'Reversal' }, 'REVERSAL'],
  ])('classifies %j as %s', async (cells, kind) => {
    const { lines, issues } = await parse(`${HEADER}\n${row({ ...cells, linked: 'SKA0000001' })}\n`);
    expect(issues).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0].kind).toBe(kind);
    expect(lines[0].amountMinor).toBe(10000n);
    expect(lines[0].linkedTransactionId).toBe(kind === 'REVERSAL' ? 'SKA0000001' : null);
  });

  it('skips rows that move no money', async () => {
    const text = [
      HEADER,
      row({ paidIn: '', withdrawn: '' }),
      row({ paidIn: '-', withdrawn: '-' }),
      row({ paidIn: '0.00', withdrawn: '0' }),
    ].join('\r\n');
    expect(await parse(text)).toEqual({ lines: [], issues: [] });
  });

  it.each([
    ['a missing receipt', { receipt: '', paidIn: '10' }, 'missing receipt number (Receipt No.)'],
    [
      'a malformed receipt',
      { receipt: 'SK-1', paidIn: '10' },
      'receipt number "SK-1" is not 8-20 letters and digits',
    ],
    ['badly grouped thousands', { paidIn: '1,50' }, 'Paid In "1,50" is not a decimal amount'],
    [
      'too many decimals',
      { paidIn: '10.505' },
      'Paid In "10.505" has more decimal places than KES allows (2)',
    ],
    ['a negative Paid In', { paidIn: '-10' }, 'Paid In is negative'],
    ['money both ways', { paidIn: '10', withdrawn: '10' }, 'both Paid In and Withdrawn are set'],
    [
      'an impossible date',
      { paidIn: '10', completion: '2026-02-30 10:00:00' },
      'Completion Time "2026-02-30 10:00:00" is not a real date and time',
    ],
    [
      'an impossible day-first date',
      { paidIn: '10', completion: '31/11/2026 10:00:00' },
      'Completion Time "31/11/2026 10:00:00" is not a real date and time',
    ],
    ['no time at all', { paidIn: '10', completion: '' }, 'Completion Time is empty'],
    [
      'an unknown status',
      { paidIn: '10', status: 'Reversed!' },
      'Transaction Status is not Completed, Failed, Declined, Cancelled or Pending',
    ],
    [
      'an over-long account',
      { paidIn: '10', account: 'A'.repeat(101) },
      'A/C No. is longer than 100 characters',
    ],
  ])('reports %s as an issue', async (_name, cells, message) => {
    const { lines, issues } = await parse(`${HEADER}\n${row(cells)}\n`);
    expect(lines).toEqual([]);
    expect(issues).toEqual([{ lineNumber: 2, message }]);
  });

  it('names a missing required column', async () => {
    await expect(
      parse('Receipt No.,Completion Time,Paid In,Balance\nSKL4X8Y2ZQ,2026-11-20 14:03:11,10,10\n'),
    ).rejects.toThrow('missing column "Withdrawn"; found: Receipt No., Completion Time, Paid In, Balance');
  });

  it('refuses a file without a statement header in its first 30 rows', async () => {
    const preamble = Array.from({ length: 30 }, (_, i) => `Preamble row ${i + 1},x`).join('\n');
    await expect(parse(`${preamble}\n${HEADER}\n${row({ paidIn: '10' })}\n`)).rejects.toThrow(
      /missing columns "Receipt No\.", "Completion Time", "Paid In", "Withdrawn"; found: Preamble row 1, x \(no header row in the first 30 rows\)/,
    );
    const shorter = Array.from({ length: 29 }, (_, i) => `Preamble row ${i + 1},x`).join('\n');
    expect((await parse(`${shorter}\n${HEADER}\n${row({ paidIn: '10' })}\n`)).lines).toHaveLength(1);
  });

  it('refuses an empty file and reads nothing from a header alone', async () => {
    await expect(parse('')).rejects.toThrow(SettlementParseError);
    await expect(parse('\r\n\r\n')).rejects.toThrow('The file is empty');
    expect(await parse(`${HEADER}\r\n`)).toEqual({ lines: [], issues: [] });
  });

  it('refuses garbage', async () => {
    await expect(parse([Buffer.from([0, 159, 146, 150, 0, 10, 255])])).rejects.toThrow(/missing columns/);
  });
});
