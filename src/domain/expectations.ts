import type { ExpectedPaymentStatus } from './enums';

/**
 * Expected payments: what each installment asks of the borrower, and how far Lipa's payments (and the lender's own
 * record) cover it. Pure rules; the service applies them in the payment's transaction.
 */
export interface Expectation {
  id: string;
  /** ISO date (YYYY-MM-DD). */
  dueDate: string;
  amountMinor: bigint;
  /** Covered by Lipa's matched payments. */
  metMinor: bigint;
  /** What the lender reports paid on the installment (payments Lipa never saw, e.g. cash at a branch). */
  lenderPaidMinor: bigint;
}

/**
 * How much of an expectation is covered. Lipa's matches count at once; the lender's figure counts payments made
 * elsewhere. Once Lipa's payment is posted the lender's figure includes it too, so the larger of the two is taken,
 * never the sum.
 */
export function coveredMinor(e: Pick<Expectation, 'metMinor' | 'lenderPaidMinor'>): bigint {
  return e.metMinor > e.lenderPaidMinor ? e.metMinor : e.lenderPaidMinor;
}

export function remainingMinor(e: Expectation): bigint {
  const r = e.amountMinor - coveredMinor(e);
  return r > 0n ? r : 0n;
}

/** The status for a day (`today` as YYYY-MM-DD, the lender's calendar date). */
export function expectationStatus(e: Omit<Expectation, 'id'>, today: string): ExpectedPaymentStatus {
  const covered = coveredMinor(e);
  if (covered >= e.amountMinor) return 'MET';
  if (e.dueDate < today) return 'OVERDUE';
  return covered > 0n ? 'PARTLY_MET' : 'OPEN';
}

/**
 * Spreads a payment over the loan's open expectations, oldest due date first (the order lenders apply repayments
 * in). Returns the amount given to each; what is left over (an overpayment, or no expectations at all) is not
 * allocated.
 */
export function allocateOldestFirst(
  expectations: readonly Expectation[],
  amountMinor: bigint,
): Array<{ id: string; amountMinor: bigint }> {
  if (amountMinor <= 0n) return [];
  const ordered = [...expectations].sort((a, b) =>
    a.dueDate === b.dueDate ? (a.id < b.id ? -1 : 1) : a.dueDate < b.dueDate ? -1 : 1,
  );
  const out: Array<{ id: string; amountMinor: bigint }> = [];
  let left = amountMinor;
  for (const e of ordered) {
    if (left === 0n) break;
    const room = remainingMinor(e);
    if (room === 0n) continue;
    const take = room < left ? room : left;
    out.push({ id: e.id, amountMinor: take });
    left -= take;
  }
  return out;
}

/**
 * Takes back `amountMinor` of a payment's allocations (a reversal or refund), latest due date first, so the
 * oldest installment stays covered longest. Returns the reduction per allocation id.
 */
export function releaseLatestFirst(
  allocations: ReadonlyArray<{ id: string; dueDate: string; amountMinor: bigint }>,
  amountMinor: bigint,
): Array<{ id: string; amountMinor: bigint }> {
  const ordered = [...allocations].sort((a, b) =>
    a.dueDate === b.dueDate ? (a.id < b.id ? 1 : -1) : a.dueDate < b.dueDate ? 1 : -1,
  );
  const out: Array<{ id: string; amountMinor: bigint }> = [];
  let left = amountMinor;
  for (const a of ordered) {
    if (left <= 0n) break;
    const take = a.amountMinor < left ? a.amountMinor : left;
    out.push({ id: a.id, amountMinor: take });
    left -= take;
  }
  return out;
}
