import fc from 'fast-check';
import { addDays, isIsoDate, knownTimeZone, localDate } from '../../src/domain/calendar';
import {
  allocateToPromises,
  inWindow,
  isWindowClosed,
  judgePromise,
  PROMISE_LIMITS,
  promiseEvent,
  promiseTermsProblems,
  promiseWindow,
  requiredMinor,
} from '../../src/domain/promises';

describe('calendar days', () => {
  it('reads the local date of an instant in a time zone', () => {
    expect(localDate(new Date('2026-12-01T23:30:00Z'), 'UTC')).toBe('2026-12-01');
    // 23:30 UTC is 02:30 the next day in Nairobi (UTC+3)...
    expect(localDate(new Date('2026-12-01T23:30:00Z'), 'Africa/Nairobi')).toBe('2026-12-02');
    // ...and 20:59 UTC is still the same day there.
    expect(localDate(new Date('2026-12-01T20:59:59Z'), 'Africa/Nairobi')).toBe('2026-12-01');
    expect(localDate(new Date('2026-12-01T02:00:00Z'), 'America/New_York')).toBe('2026-11-30');
  });

  it('falls back to UTC for a missing or unknown time zone', () => {
    expect(knownTimeZone('Africa/Kampala')).toBe('Africa/Kampala');
    expect(knownTimeZone('Mars/Olympus_Mons')).toBe('UTC');
    expect(knownTimeZone(null)).toBe('UTC');
    expect(knownTimeZone('')).toBe('UTC');
  });

  it('moves dates across month, year and leap-day edges', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2027-02-28', 1)).toBe('2027-03-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-12-01', 0)).toBe('2026-12-01');
    expect(() => addDays('1 Dec 2026', 1)).toThrow(RangeError);
  });

  it('accepts only real calendar dates', () => {
    expect(isIsoDate('2026-12-01')).toBe(true);
    expect(isIsoDate('2028-02-29')).toBe(true);
    expect(isIsoDate('2027-02-29')).toBe(false);
    expect(isIsoDate('2026-13-45')).toBe(false);
    expect(isIsoDate('2026-1-5')).toBe(false);
    expect(isIsoDate('20261201')).toBe(false);
  });
});

describe('promise to pay rules', () => {
  const nairobi = 'Africa/Nairobi';

  describe('window', () => {
    it('runs from the local day the promise was made to promisedDate + graceDays', () => {
      const w = promiseWindow(
        { createdAt: new Date('2026-12-01T08:00:00Z'), promisedDate: '2026-12-05', graceDays: 2 },
        nairobi,
      );
      expect(w).toEqual({ from: '2026-12-01', to: '2026-12-07' });
    });

    it('starts on the next day when the promise is made at 23:30 UTC in Nairobi', () => {
      const made = { createdAt: new Date('2026-12-01T23:30:00Z'), promisedDate: '2026-12-05', graceDays: 0 };
      expect(promiseWindow(made, nairobi).from).toBe('2026-12-02');
      expect(promiseWindow(made, 'UTC').from).toBe('2026-12-01');
    });

    it('ends on the promised date itself with no grace', () => {
      const w = promiseWindow(
        { createdAt: new Date('2026-12-01T08:00:00Z'), promisedDate: '2026-12-05', graceDays: 0 },
        nairobi,
      );
      expect(w.to).toBe('2026-12-05');
      expect(inWindow('2026-12-05', w)).toBe(true);
      expect(inWindow('2026-12-06', w)).toBe(false);
      expect(inWindow('2026-12-01', w)).toBe(true);
      expect(inWindow('2026-11-30', w)).toBe(false);
    });

    it('is still open on its last day and closed the day after', () => {
      const w = { from: '2026-12-01', to: '2026-12-07' };
      expect(isWindowClosed(w, '2026-12-06')).toBe(false);
      expect(isWindowClosed(w, '2026-12-07')).toBe(false);
      expect(isWindowClosed(w, '2026-12-08')).toBe(true);
    });

    it('counts a payment at 23:30 UTC on the promised date as the next (Nairobi) day, outside the window', () => {
      const w = promiseWindow(
        { createdAt: new Date('2026-12-01T08:00:00Z'), promisedDate: '2026-12-05', graceDays: 0 },
        nairobi,
      );
      expect(inWindow(localDate(new Date('2026-12-05T20:59:00Z'), nairobi), w)).toBe(true);
      expect(inWindow(localDate(new Date('2026-12-05T23:30:00Z'), nairobi), w)).toBe(false);
    });
  });

  describe('required amount', () => {
    it.each([
      [10_000n, 100, 10_000n],
      [10_000n, 50, 5_000n],
      [10n, 33, 4n], // 3.3 rounds up: a threshold never rounds in the borrower's favour
      [10n, 30, 3n], // exact
      [1n, 1, 1n], // 0.01 rounds up to one minor unit
      [99n, 1, 1n],
      [100n, 1, 1n],
      [101n, 1, 2n],
      [1_000_000_000_000_000n, 100, 1_000_000_000_000_000n], // beyond 2^53: bigint all the way
      [1_000_000_000_000_001n, 99, 990_000_000_000_001n],
    ])('ceil(%s x %i%%) = %s', (amount, pct, required) => {
      expect(requiredMinor(amount, pct)).toBe(required);
    });

    it('never asks for more than the amount nor less than the exact share', () => {
      fc.assert(
        fc.property(
          fc.bigInt({ min: 1n, max: 10n ** 15n }),
          fc.integer({ min: 1, max: 100 }),
          (amount, pct) => {
            const r = requiredMinor(amount, pct);
            expect(r <= amount).toBe(true);
            expect(r * 100n >= amount * BigInt(pct)).toBe(true);
            expect((r - 1n) * 100n < amount * BigInt(pct)).toBe(true);
          },
        ),
      );
    });

    it('refuses a fractional threshold rather than computing with floats', () => {
      expect(() => requiredMinor(100n, 50.5)).toThrow(RangeError);
    });
  });

  describe('judging', () => {
    const required = 5_000n;
    it.each([
      // paid, window closed, status
      [0n, false, 'OPEN'],
      [required - 1n, false, 'OPEN'],
      [required, false, 'KEPT'], // kept at once, before the window closes
      [required + 1n, false, 'KEPT'],
      [required, true, 'KEPT'],
      [required - 1n, true, 'PARTIALLY_KEPT'],
      [1n, true, 'PARTIALLY_KEPT'],
      [0n, true, 'BROKEN'],
    ] as const)('paid %s with window closed=%s is %s', (paid, closed, status) => {
      expect(judgePromise(paid, required, closed)).toBe(status);
    });

    it('re-judges a kept promise after a reversal: open again in the window, short after it', () => {
      // Kept with 5,000; the reversal takes 2,000 back.
      expect(judgePromise(3_000n, required, false)).toBe('OPEN');
      expect(judgePromise(3_000n, required, true)).toBe('PARTIALLY_KEPT');
      // The whole payment reversed.
      expect(judgePromise(0n, required, false)).toBe('OPEN');
      expect(judgePromise(0n, required, true)).toBe('BROKEN');
    });

    it('with threshold 1, 1% of the amount keeps the promise; with 100, one minor unit short does not', () => {
      expect(judgePromise(99n, requiredMinor(10_000n, 1), false)).toBe('OPEN');
      expect(judgePromise(100n, requiredMinor(10_000n, 1), false)).toBe('KEPT');
      expect(judgePromise(1n, requiredMinor(50n, 1), false)).toBe('KEPT');
      expect(judgePromise(9_999n, requiredMinor(10_000n, 100), true)).toBe('PARTIALLY_KEPT');
      expect(judgePromise(10_000n, requiredMinor(10_000n, 100), true)).toBe('KEPT');
    });
  });

  describe('events', () => {
    it.each([
      ['OPEN', 'KEPT', 'promise.kept'],
      ['PARTIALLY_KEPT', 'KEPT', 'promise.kept'], // a late-matched payment from inside the window
      ['BROKEN', 'KEPT', 'promise.kept'],
      ['OPEN', 'PARTIALLY_KEPT', 'promise.broken'],
      ['OPEN', 'BROKEN', 'promise.broken'],
      ['KEPT', 'PARTIALLY_KEPT', 'promise.broken'], // reversal after the window closed
      ['KEPT', 'BROKEN', 'promise.broken'],
      ['KEPT', 'OPEN', null], // reversal while the window is open: not judged yet
      ['PARTIALLY_KEPT', 'BROKEN', null], // already announced broken
      ['BROKEN', 'PARTIALLY_KEPT', null],
      ['OPEN', 'OPEN', null],
      ['KEPT', 'KEPT', null],
      ['OPEN', 'CANCELLED', null],
    ] as const)('%s -> %s announces %s', (before, after, event) => {
      expect(promiseEvent(before, after)).toBe(event);
    });
  });

  describe('allocation', () => {
    const p = (id: string, required: bigint, paid = 0n) => ({ id, requiredMinor: required, paidMinor: paid });

    it('gives a single promise the whole payment, beyond what it needs', () => {
      expect(allocateToPromises([p('a', 100n)], 150n)).toEqual([{ id: 'a', amountMinor: 150n }]);
      expect(allocateToPromises([p('a', 100n, 100n)], 40n)).toEqual([{ id: 'a', amountMinor: 40n }]);
    });

    it('fills the oldest first and leaves the rest with the newest', () => {
      expect(allocateToPromises([p('b', 100n), p('a', 60n, 20n)], 30n)).toEqual([
        { id: 'a', amountMinor: 30n },
      ]);
      expect(allocateToPromises([p('b', 100n), p('a', 60n, 20n)], 90n)).toEqual([
        { id: 'a', amountMinor: 40n },
        { id: 'b', amountMinor: 50n },
      ]);
      expect(allocateToPromises([p('b', 100n), p('a', 60n, 60n)], 500n)).toEqual([
        { id: 'b', amountMinor: 500n },
      ]);
    });

    it('allocates exactly the payment, never more or less', () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.bigInt({ min: 1n, max: 10_000n }), fc.bigInt({ min: 0n, max: 10_000n })), {
            minLength: 1,
            maxLength: 5,
          }),
          fc.bigInt({ min: 1n, max: 50_000n }),
          (specs, amount) => {
            const promises = specs.map(([req, paid], i) => p(`p${i}`, req, paid));
            const shares = allocateToPromises(promises, amount);
            expect(shares.reduce((s, x) => s + x.amountMinor, 0n)).toBe(amount);
            expect(shares.every((x) => x.amountMinor > 0n)).toBe(true);
          },
        ),
      );
    });

    it('allocates nothing for nothing', () => {
      expect(allocateToPromises([p('a', 100n)], 0n)).toEqual([]);
      expect(allocateToPromises([p('a', 100n)], -5n)).toEqual([]);
      expect(allocateToPromises([], 100n)).toEqual([]);
    });
  });

  describe('terms of a new promise', () => {
    const today = '2026-12-01';
    const ok = { amountMinor: 10_000n, promisedDate: '2026-12-05', graceDays: 0, thresholdPct: 100 };

    it('accepts today, the 90th day ahead, and the limits of grace and threshold', () => {
      expect(promiseTermsProblems(ok, today)).toEqual([]);
      expect(promiseTermsProblems({ ...ok, promisedDate: today }, today)).toEqual([]);
      expect(
        promiseTermsProblems({ ...ok, promisedDate: addDays(today, PROMISE_LIMITS.maxDaysAhead) }, today),
      ).toEqual([]);
      expect(promiseTermsProblems({ ...ok, graceDays: 30, thresholdPct: 1 }, today)).toEqual([]);
      expect(promiseTermsProblems({ ...ok, amountMinor: 1n }, today)).toEqual([]);
      expect(promiseTermsProblems({ ...ok, amountMinor: PROMISE_LIMITS.maxAmountMinor }, today)).toEqual([]);
    });

    it.each([
      [{ amountMinor: 0n }, /amount must be greater than zero/],
      [{ amountMinor: -1n }, /amount must be greater than zero/],
      [{ amountMinor: 10n ** 15n + 1n }, /amount must be at most 1000000000000000 minor units/],
      [{ promisedDate: '2026-11-30' }, /promisedDate 2026-11-30 is in the past \(today is 2026-12-01\)/],
      [{ promisedDate: '2027-03-02' }, /at most 90 days ahead \(on or before 2027-03-01\)/],
      [{ promisedDate: '9999-12-31' }, /at most 90 days ahead/],
      [{ promisedDate: '2026-02-30' }, /calendar date/],
      [{ graceDays: -1 }, /graceDays must be a whole number from 0 to 30/],
      [{ graceDays: 31 }, /graceDays/],
      [{ graceDays: 1.5 }, /graceDays/],
      [{ thresholdPct: 0 }, /thresholdPct must be a whole number from 1 to 100/],
      [{ thresholdPct: 101 }, /thresholdPct/],
    ])('rejects %j', (change, message) => {
      const problems = promiseTermsProblems({ ...ok, ...change }, today);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(message);
    });

    it('reports every problem at once', () => {
      expect(
        promiseTermsProblems(
          { amountMinor: 0n, promisedDate: '2020-01-01', graceDays: -1, thresholdPct: 0 },
          today,
        ),
      ).toHaveLength(4);
    });
  });
});
