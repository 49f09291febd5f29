import { copyTimestamp } from '../../src/services/reconciliation/settlement-import.service';

describe('copyTimestamp (COPY text for timestamptz)', () => {
  it('equals toISOString across days, leap days, boundaries and outside the fast range', () => {
    const edges = [
      0,
      1,
      999,
      86_399_999,
      86_400_000,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(10000, 0, 1),
      -1,
      Date.UTC(1969, 11, 31, 12, 0, 0, 5),
      Date.UTC(-271821, 3, 20),
      8.64e15,
    ];
    for (const ms of edges) expect(copyTimestamp(new Date(ms))).toBe(new Date(ms).toISOString());
    // A seeded walk over ten years at millisecond resolution, twice (the second pass hits the day cache).
    let x = 12345;
    const next = () => (x = (x * 1103515245 + 12345) % 2147483648);
    const start = Date.UTC(2020, 0, 1);
    const samples = Array.from({ length: 5000 }, () => start + next() * 150 + (next() % 1000));
    for (let pass = 0; pass < 2; pass++)
      for (const ms of samples) expect(copyTimestamp(new Date(ms))).toBe(new Date(ms).toISOString());
  });

  it('throws like toISOString on an invalid date', () => {
    expect(() => copyTimestamp(new Date(NaN))).toThrow(RangeError);
  });
});
