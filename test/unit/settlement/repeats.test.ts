import { RepeatedKeyFinder, settlementLineKey } from '../../../src/domain/settlement';

/** A seeded generator, so a failure names the data it failed on. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ids = (found: Array<{ kind: string; key: string }> | null) =>
  new Set((found ?? []).map((k) => `${k.kind}/${k.key}`));

describe('settlementLineKey', () => {
  it("is the rail's id, else a payout's reference, else nothing", () => {
    expect(
      settlementLineKey({ kind: 'PAYMENT', providerTransactionId: 'QK1', payoutReference: 'po_1' }),
    ).toBe('QK1');
    expect(settlementLineKey({ kind: 'PAYOUT', providerTransactionId: null, payoutReference: 'po_1' })).toBe(
      'po_1',
    );
    // A payment's payout reference names the payout it was paid out in, not the payment.
    expect(
      settlementLineKey({ kind: 'PAYMENT', providerTransactionId: null, payoutReference: 'po_1' }),
    ).toBeNull();
    // An empty id is still an id, as it is in SQL (coalesce skips nulls only).
    expect(settlementLineKey({ kind: 'FEE', providerTransactionId: '', payoutReference: null })).toBe('');
  });

  it("keys a fee or adjustment by its id and its payout: a later payout may name the same payment's fee", () => {
    const fee = (payoutReference: string | null, kind: 'FEE' | 'ADJUSTMENT' = 'FEE') =>
      settlementLineKey({ kind, providerTransactionId: 'PM1', payoutReference });
    expect(fee('PO1')).toBe('PM1\u001fPO1');
    expect(fee('PO1', 'ADJUSTMENT')).toBe('PM1\u001fPO1');
    expect(fee('PO1')).not.toBe(fee('PO3'));
    // Without a payout (an M-Pesa charge row), its receipt alone, so overlapping statements list it once.
    expect(fee(null)).toBe('PM1');
    expect(
      settlementLineKey({ kind: 'FEE', providerTransactionId: null, payoutReference: 'PO1' }),
    ).toBeNull();
  });
});

describe('RepeatedKeyFinder', () => {
  it('lists every key given twice among 200,000, and few others', () => {
    const random = rng(7);
    const finder = new RepeatedKeyFinder();
    const repeated = new Set<string>();
    const seen: string[] = [];
    for (let i = 0; i < 200_000; i++) {
      // One in a hundred lines repeats an earlier one (sometimes a third time).
      if (seen.length > 0 && random() < 0.01) {
        const again = seen[Math.floor(random() * seen.length)];
        repeated.add(`PAYMENT/${again}`);
        finder.add('PAYMENT', again);
        continue;
      }
      const key = `MP${i.toString(36).toUpperCase()}X${Math.floor(random() * 1e6)}`;
      seen.push(key);
      finder.add('PAYMENT', key);
    }
    const found = ids(finder.result());
    expect(repeated.size).toBeGreaterThan(1_500);
    expect([...repeated].filter((r) => !found.has(r))).toEqual([]);
    // Candidates beyond the real repeats share a 32-bit hash with an earlier key: ~n²/2³³ = 5 expected here.
    expect(found.size - repeated.size).toBeLessThan(50);
  });

  it('tells kinds apart, skips lines without a key, and lists each candidate once', () => {
    const finder = new RepeatedKeyFinder();
    finder.add('PAYMENT', 'A1');
    finder.add('REVERSAL', 'A1'); // a reversal's own id may equal its payment's: not a repeat
    finder.add('PAYMENT', null);
    finder.add('PAYMENT', null);
    finder.add('PAYMENT', 'B2');
    finder.add('PAYMENT', 'B2');
    finder.add('PAYMENT', 'B2');
    expect(finder.result()).toEqual([{ kind: 'PAYMENT', key: 'B2' }]);
  });

  it('keeps a key that only shares a hash as a candidate, and still finds the real repeats', () => {
    // Every key hashes alike: all but the first become candidates. The run ranks them by the real key, so a stray
    // candidate costs a little work, never a wrong DUPLICATE.
    const finder = new RepeatedKeyFinder(100, () => 42);
    for (const k of ['a', 'b', 'c', 'b']) finder.add('PAYMENT', k);
    expect(ids(finder.result())).toEqual(new Set(['PAYMENT/b', 'PAYMENT/c']));
  });

  it('grows past its first table without losing what it saw', () => {
    const finder = new RepeatedKeyFinder();
    for (let i = 0; i < 100_000; i++) finder.add('PAYMENT', `k${i}`);
    for (let i = 0; i < 100_000; i += 1_000) finder.add('PAYMENT', `k${i}`);
    const found = ids(finder.result());
    const expected = Array.from({ length: 100 }, (_, i) => `PAYMENT/k${i * 1_000}`);
    expect(expected.filter((k) => !found.has(k))).toEqual([]);
    expect(found.size).toBeLessThan(110);
  });

  it('gives up (null: the run groups the lines itself) past its limit of candidates', () => {
    const finder = new RepeatedKeyFinder(3);
    for (const k of ['a', 'b', 'c', 'd']) finder.add('PAYMENT', k);
    for (const k of ['a', 'b', 'c']) finder.add('PAYMENT', k);
    expect(finder.result()).toHaveLength(3);
    finder.add('PAYMENT', 'd');
    expect(finder.result()).toBeNull();
    finder.add('PAYMENT', 'e');
    expect(finder.result()).toBeNull();
  });
});
