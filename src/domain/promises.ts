import { addDays, isIsoDate, localDate } from './calendar';
import type { PromiseStatus } from './enums';

/**
 * Promises to pay (lending.md B2, hub definition): a borrower promises an amount by a date; payments matched to the
 * loan inside the promise's window count toward it, and it is judged kept or broken. Pure rules; the service applies
 * them in the transaction of the payment, reversal or sweep that moves a promise.
 */

/** Limits on what may be promised (recordPromiseToPay). */
export const PROMISE_LIMITS = Object.freeze({
  /** The promised date may be at most this many days after today. */
  maxDaysAhead: 90,
  maxGraceDays: 30,
  defaultGraceDays: 0,
  /** Share of the promised amount that must arrive for the promise to count as kept. */
  defaultThresholdPct: 100,
  /** 10^15 minor units: far beyond any loan, and `amount x thresholdPct` stays well inside a PostgreSQL bigint. */
  maxAmountMinor: 10n ** 15n,
});

/** The days (inclusive, `YYYY-MM-DD` in the organization's time zone) whose payments count toward a promise. */
export interface PromiseWindow {
  from: string;
  to: string;
}

/** Statuses a promise can be judged into (CANCELLED is a person's decision, never a judgement). */
export type JudgedPromiseStatus = Exclude<PromiseStatus, 'CANCELLED'>;

export type PromiseEventType = 'promise.kept' | 'promise.broken';

/** [local date the promise was made, promisedDate + graceDays]. */
export function promiseWindow(
  p: { createdAt: Date; promisedDate: string; graceDays: number },
  timeZone: string,
): PromiseWindow {
  return { from: localDate(p.createdAt, timeZone), to: addDays(p.promisedDate, p.graceDays) };
}

export function inWindow(date: string, window: PromiseWindow): boolean {
  return date >= window.from && date <= window.to;
}

/** Closed once its last day is over: on the last day itself the borrower can still pay. */
export function isWindowClosed(window: PromiseWindow, today: string): boolean {
  return today > window.to;
}

/**
 * What must arrive for the promise to be kept: `ceil(amount x thresholdPct / 100)` in minor units, so a threshold
 * never rounds in the borrower's favour (33% of 10 is 4, not 3).
 */
export function requiredMinor(amountMinor: bigint, thresholdPct: number): bigint {
  if (!Number.isInteger(thresholdPct)) throw new RangeError('thresholdPct must be an integer');
  const scaled = amountMinor * BigInt(thresholdPct);
  return scaled <= 0n ? 0n : (scaled + 99n) / 100n;
}

/**
 * The status for what has been paid so far. Kept as soon as enough has arrived (no need to wait for the window to
 * close); otherwise open while the window is, then partially kept (something arrived) or broken (nothing did).
 * The same rule re-judges a promise after a reversal takes money back.
 */
export function judgePromise(
  paidMinor: bigint,
  requiredMinor: bigint,
  windowClosed: boolean,
): JudgedPromiseStatus {
  if (paidMinor >= requiredMinor) return 'KEPT';
  if (!windowClosed) return 'OPEN';
  return paidMinor > 0n ? 'PARTIALLY_KEPT' : 'BROKEN';
}

/**
 * The event a status change announces: `promise.kept` whenever a promise becomes kept, `promise.broken` when an open
 * or kept promise ends up short with its window closed. Moves between the two short outcomes (a late reversal
 * turning PARTIALLY_KEPT into BROKEN) and re-openings are not announced: the promise was already reported broken,
 * or is not judged yet.
 */
export function promiseEvent(before: PromiseStatus, after: PromiseStatus): PromiseEventType | null {
  if (before === after) return null;
  if (after === 'KEPT') return 'promise.kept';
  if ((after === 'PARTIALLY_KEPT' || after === 'BROKEN') && (before === 'OPEN' || before === 'KEPT'))
    return 'promise.broken';
  return null;
}

/**
 * Shares a payment among the promises whose window it falls in, oldest promise first (ids are ULIDs, so id order is
 * creation order), each up to what it still needs. What is left goes to the newest: a payment in a promise's window is part of what the borrower paid toward
 * it, and keeping it counted means a later reversal of another payment does not re-open a promise this one also
 * covered. Returns the share of each promise; none for a non-positive amount.
 */
export function allocateToPromises(
  promises: ReadonlyArray<{ id: string; requiredMinor: bigint; paidMinor: bigint }>,
  amountMinor: bigint,
): Array<{ id: string; amountMinor: bigint }> {
  if (amountMinor <= 0n || promises.length === 0) return [];
  const ordered = [...promises].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const shares = new Map<string, bigint>();
  let left = amountMinor;
  for (const p of ordered) {
    if (left === 0n) break;
    const room = p.requiredMinor - p.paidMinor;
    if (room <= 0n) continue;
    const take = room < left ? room : left;
    shares.set(p.id, take);
    left -= take;
  }
  if (left > 0n) {
    const newest = ordered[ordered.length - 1].id;
    shares.set(newest, (shares.get(newest) ?? 0n) + left);
  }
  return ordered.filter((p) => shares.has(p.id)).map((p) => ({ id: p.id, amountMinor: shares.get(p.id)! }));
}

export interface PromiseTermsInput {
  amountMinor: bigint;
  promisedDate: string;
  graceDays: number;
  thresholdPct: number;
}

/**
 * What is wrong with a new promise's terms, as messages a person can act on (empty when it may be recorded).
 * `today` is the organization's local date.
 */
export function promiseTermsProblems(t: PromiseTermsInput, today: string): string[] {
  const problems: string[] = [];
  if (t.amountMinor <= 0n) problems.push('amount must be greater than zero');
  else if (t.amountMinor > PROMISE_LIMITS.maxAmountMinor)
    problems.push(`amount must be at most ${PROMISE_LIMITS.maxAmountMinor} minor units`);
  if (!isIsoDate(t.promisedDate)) {
    problems.push(`promisedDate must be a calendar date written YYYY-MM-DD, not "${t.promisedDate}"`);
  } else {
    const latest = addDays(today, PROMISE_LIMITS.maxDaysAhead);
    if (t.promisedDate < today)
      problems.push(`promisedDate ${t.promisedDate} is in the past (today is ${today})`);
    else if (t.promisedDate > latest)
      problems.push(
        `promisedDate must be at most ${PROMISE_LIMITS.maxDaysAhead} days ahead (on or before ${latest})`,
      );
  }
  if (!Number.isInteger(t.graceDays) || t.graceDays < 0 || t.graceDays > PROMISE_LIMITS.maxGraceDays)
    problems.push(`graceDays must be a whole number from 0 to ${PROMISE_LIMITS.maxGraceDays}`);
  if (!Number.isInteger(t.thresholdPct) || t.thresholdPct < 1 || t.thresholdPct > 100)
    problems.push('thresholdPct must be a whole number from 1 to 100');
  return problems;
}
