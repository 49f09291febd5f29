import type { AgingBucket } from './enums';

/** Standard 30-day aging buckets from days past due (lending.md B1). */
export function agingBucket(daysPastDue: number): AgingBucket {
  if (daysPastDue <= 0) return 'CURRENT';
  if (daysPastDue <= 30) return 'D1_30';
  if (daysPastDue <= 60) return 'D31_60';
  if (daysPastDue <= 90) return 'D61_90';
  return 'D90_PLUS';
}

/** Inclusive day range of a bucket, for filtering (`max` null = open-ended). */
export function bucketRange(bucket: AgingBucket): { min: number; max: number | null } {
  switch (bucket) {
    case 'CURRENT':
      return { min: 0, max: 0 };
    case 'D1_30':
      return { min: 1, max: 30 };
    case 'D31_60':
      return { min: 31, max: 60 };
    case 'D61_90':
      return { min: 61, max: 90 };
    case 'D90_PLUS':
      return { min: 91, max: null };
  }
}

/**
 * ARCHITECTURE invariant 4: what the borrower owes now, from the lender's figure and what Lipa knows that the
 * lender does not yet. `balance = lenderOutstanding - unpostedPayments + unpostedReversals`.
 */
export function liveBalance(
  lenderOutstanding: bigint,
  unpostedPayments: bigint,
  unpostedReversals: bigint,
): bigint {
  return lenderOutstanding - unpostedPayments + unpostedReversals;
}
