import type { PaymentStatus } from './enums';

/**
 * The one payment state machine (ARCHITECTURE invariant 5):
 * PENDING -> SUCCEEDED | FAILED; SUCCEEDED -> REVERSED | REFUNDED | PARTIALLY_REFUNDED | CHARGED_BACK;
 * PARTIALLY_REFUNDED -> REFUNDED | PARTIALLY_REFUNDED | CHARGED_BACK.
 */
const ALLOWED: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  PENDING: ['SUCCEEDED', 'FAILED'],
  SUCCEEDED: ['REVERSED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'CHARGED_BACK'],
  PARTIALLY_REFUNDED: ['REFUNDED', 'PARTIALLY_REFUNDED', 'CHARGED_BACK'],
  FAILED: [],
  REVERSED: [],
  REFUNDED: [],
  CHARGED_BACK: [],
};

export type TransitionResult =
  { ok: true; changed: boolean; to: PaymentStatus } | { ok: false; reason: string };

/** Whether `from -> to` is allowed. The same state again is an allowed no-op (duplicates are harmless). */
export function transition(from: PaymentStatus, to: PaymentStatus): TransitionResult {
  if (from === to && to !== 'PARTIALLY_REFUNDED') return { ok: true, changed: false, to };
  if (ALLOWED[from].includes(to)) return { ok: true, changed: true, to };
  return { ok: false, reason: `A ${from} payment cannot become ${to}` };
}

/** States in which the money is (still) with the lender's borrower account: counts towards balances. */
export function isSettledIn(status: PaymentStatus): boolean {
  return status === 'SUCCEEDED' || status === 'PARTIALLY_REFUNDED';
}
