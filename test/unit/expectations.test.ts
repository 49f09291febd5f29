import fc from 'fast-check';
import {
  allocateOldestFirst,
  coveredMinor,
  expectationStatus,
  releaseLatestFirst,
  remainingMinor,
  type Expectation,
} from '../../src/domain/expectations';

const e = (id: string, dueDate: string, amount: bigint, met = 0n, lenderPaid = 0n): Expectation => ({
  id,
  dueDate,
  amountMinor: amount,
  metMinor: met,
  lenderPaidMinor: lenderPaid,
});

describe('expected payments', () => {
  it('covers with the larger of Lipa and the lender, never the sum', () => {
    expect(coveredMinor({ metMinor: 50n, lenderPaidMinor: 0n })).toBe(50n);
    expect(coveredMinor({ metMinor: 50n, lenderPaidMinor: 50n })).toBe(50n);
    expect(coveredMinor({ metMinor: 0n, lenderPaidMinor: 70n })).toBe(70n);
    expect(remainingMinor(e('a', '2026-12-01', 100n, 120n))).toBe(0n);
  });

  it.each([
    [e('a', '2026-12-01', 100n), '2026-11-22', 'OPEN'],
    [e('a', '2026-12-01', 100n, 40n), '2026-11-22', 'PARTLY_MET'],
    [e('a', '2026-12-01', 100n, 100n), '2026-11-22', 'MET'],
    [e('a', '2026-12-01', 100n, 0n, 100n), '2026-12-09', 'MET'],
    [e('a', '2026-12-01', 100n, 40n), '2026-12-02', 'OVERDUE'],
    [e('a', '2026-12-01', 100n), '2026-12-01', 'OPEN'], // due today is not yet overdue
  ] as const)('status of %j on %s is %s', (x, today, status) => {
    expect(expectationStatus(x, today)).toBe(status);
  });

  it('pays the oldest installment first and leaves an overpayment unallocated', () => {
    const open = [e('b', '2026-12-01', 100n), e('a', '2026-11-01', 100n, 30n), e('c', '2027-01-01', 100n)];
    expect(allocateOldestFirst(open, 150n)).toEqual([
      { id: 'a', amountMinor: 70n },
      { id: 'b', amountMinor: 80n },
    ]);
    expect(allocateOldestFirst(open, 1000n).reduce((s, x) => s + x.amountMinor, 0n)).toBe(270n);
    expect(allocateOldestFirst(open, 0n)).toEqual([]);
    expect(allocateOldestFirst(open, -5n)).toEqual([]);
    expect(allocateOldestFirst([], 100n)).toEqual([]);
  });

  it('takes a reversal back from the latest installment first', () => {
    const allocations = [
      { id: 'm1', dueDate: '2026-11-01', amountMinor: 70n },
      { id: 'm2', dueDate: '2026-12-01', amountMinor: 80n },
    ];
    expect(releaseLatestFirst(allocations, 100n)).toEqual([
      { id: 'm2', amountMinor: 80n },
      { id: 'm1', amountMinor: 20n },
    ]);
    expect(releaseLatestFirst(allocations, 500n).reduce((s, x) => s + x.amountMinor, 0n)).toBe(150n);
  });

  const expectation = fc.record({
    id: fc.uuid(),
    dueDate: fc
      .date({ min: new Date('2026-01-01'), max: new Date('2027-12-31'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10)),
    amountMinor: fc.bigInt({ min: 1n, max: 10_000_000n }),
    metMinor: fc.bigInt({ min: 0n, max: 10_000_000n }),
    lenderPaidMinor: fc.bigInt({ min: 0n, max: 10_000_000n }),
  });

  it('never allocates more than the payment or than any installment has room for (property)', () => {
    fc.assert(
      fc.property(
        fc.array(expectation, { maxLength: 30 }),
        fc.bigInt({ min: 0n, max: 50_000_000n }),
        (open, amount) => {
          const shares = allocateOldestFirst(open, amount);
          const total = shares.reduce((s, x) => s + x.amountMinor, 0n);
          const room = open.reduce((s, x) => s + remainingMinor(x), 0n);
          expect(total).toBe(amount < room ? amount : room);
          for (const s of shares) {
            expect(s.amountMinor > 0n).toBe(true);
            expect(s.amountMinor <= remainingMinor(open.find((x) => x.id === s.id)!)).toBe(true);
          }
        },
      ),
    );
  });

  it('a full reversal gives back exactly what the payment took (property)', () => {
    fc.assert(
      fc.property(
        fc.array(expectation, { maxLength: 30 }),
        fc.bigInt({ min: 1n, max: 50_000_000n }),
        (open, amount) => {
          const shares = allocateOldestFirst(open, amount);
          const allocations = shares.map((s) => ({
            id: s.id,
            dueDate: open.find((x) => x.id === s.id)!.dueDate,
            amountMinor: s.amountMinor,
          }));
          const taken = shares.reduce((s, x) => s + x.amountMinor, 0n);
          const released = releaseLatestFirst(allocations, taken);
          expect(released.reduce((s, x) => s + x.amountMinor, 0n)).toBe(taken);
        },
      ),
    );
  });
});
