import { LockMode, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { addDays, localDate } from '../domain/calendar';
import type { PromiseStatus } from '../domain/enums';
import { releaseLatestFirst } from '../domain/expectations';
import { parseMoney, type Money } from '../domain/money';
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
} from '../domain/promises';
import { LoanAccount } from '../entities/loan-account.entity';
import { Organization } from '../entities/organization.entity';
import type { Payment } from '../entities/payment.entity';
import { PromiseToPay, PromiseToPayMatch } from '../entities/promise-to-pay.entity';
import { badInput, notFound } from '../errors/app-error';
import { recordEvent } from '../events/outbox';
import { audit } from './audit';
import { organizationDays, organizationTimeZone } from './local-day';
import { findPage, type EntityPage, type PageArgs } from './pagination';
import type { Scope } from './scope';

/**
 * Promises to pay: recorded by collection staff, moved by the payments matched to the loan (inside the match's
 * transaction), taken back by reversals (inside the reversal's), and judged at window close by the maintenance
 * sweep. Every status change and its `promise.kept` / `promise.broken` event commit together. The rules are in
 * domain/promises.ts; days are the organization's local days.
 */

const NOTE_MAX = 1000;

/** Why a promise was re-judged; becomes the event's `reason`. */
type Cause =
  | { kind: 'payment'; paymentId: string }
  | { kind: 'reversal'; paymentId: string }
  | { kind: 'rematch'; paymentId: string };

/** The event payload: ids, amounts (minor units as strings), dates and states only. */
function promisePayload(p: PromiseToPay, reason: string, paymentId: string | null): Record<string, unknown> {
  return {
    promiseId: p.id,
    loanAccountId: p.loanAccount.id,
    status: p.status,
    paidMinor: p.paidMinor.toString(),
    requiredMinor: requiredMinor(p.amountMinor, p.thresholdPct).toString(),
    amountMinor: p.amountMinor.toString(),
    currency: p.currency,
    promisedDate: p.promisedDate,
    graceDays: p.graceDays,
    reason,
    paymentId,
  };
}

/** Re-derives a promise's status from what it has been paid, and announces the change if it is an event. */
function rejudge(tx: EntityManager, p: PromiseToPay, timeZone: string, now: Date, cause: Cause): void {
  // A cancelled promise keeps its tally (a reversal still takes back from it) but is never judged again.
  if (p.status === 'CANCELLED') return;
  const closed = isWindowClosed(promiseWindow(p, timeZone), localDate(now, timeZone));
  const before = p.status;
  const after = judgePromise(p.paidMinor, requiredMinor(p.amountMinor, p.thresholdPct), closed);
  if (after === before) return;
  p.status = after;
  p.evaluatedAt = after === 'OPEN' ? null : now;
  const type = promiseEvent(before, after);
  if (!type) return;
  const reason =
    type === 'promise.kept' ? 'payment' : cause.kind === 'payment' ? 'window_closed' : cause.kind;
  recordEvent(tx, {
    organizationId: p.organization.id,
    type,
    aggregateType: 'promise_to_pay',
    aggregateId: p.id,
    payload: promisePayload(p, reason, cause.paymentId),
  });
}

/**
 * Counts a payment just matched to a loan toward the loan's promises whose window holds the day it was received
 * (organization time): oldest promise first, what is left to the newest (domain `allocateToPromises`). Only the
 * loan's currency counts; cancelled promises take nothing. Idempotent: a payment already counted on this loan is
 * left alone; one counted on another loan (a finance re-match) is taken back from there first.
 * Returns how many promises it counted toward.
 */
export async function applyPaymentToPromises(
  tx: EntityManager,
  organizationId: string,
  payment: Payment,
  loanAccountId: string,
  now = new Date(),
): Promise<number> {
  const earlier = await tx.find(PromiseToPayMatch, { payment: payment.id });
  if (earlier.length > 0) {
    const promiseIds = earlier.map((m) => m.promiseToPay.id);
    if ((await tx.count(PromiseToPay, { id: { $in: promiseIds }, loanAccount: loanAccountId })) > 0) return 0;
    const counted = earlier.reduce((sum, m) => sum + m.amountMinor, 0n);
    await releasePaymentFromPromises(tx, payment.id, counted, now, 'rematch');
  }
  const amount = payment.amountMinor - payment.refundedMinor;
  if (amount <= 0n) return 0;
  // Any time zone is within a day of UTC, so this bound keeps every promise whose window can hold the payment.
  const receivedUtc = payment.receivedAt.toISOString().slice(0, 10);
  const candidates = await tx.find(
    PromiseToPay,
    {
      loanAccount: loanAccountId,
      currency: payment.currency,
      status: { $ne: 'CANCELLED' },
      promisedDate: { $gte: addDays(receivedUtc, -(PROMISE_LIMITS.maxGraceDays + 1)) },
    },
    { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } },
  );
  if (candidates.length === 0) return 0;
  const timeZone = await organizationTimeZone(tx, organizationId);
  const paidOn = localDate(payment.receivedAt, timeZone);
  const inside = candidates.filter((p) => inWindow(paidOn, promiseWindow(p, timeZone)));
  const shares = allocateToPromises(
    inside.map((p) => ({
      id: p.id,
      requiredMinor: requiredMinor(p.amountMinor, p.thresholdPct),
      paidMinor: p.paidMinor,
    })),
    amount,
  );
  const byId = new Map(inside.map((p) => [p.id, p]));
  for (const share of shares) {
    const p = byId.get(share.id)!;
    p.paidMinor += share.amountMinor;
    tx.persist(
      tx.create(PromiseToPayMatch, {
        organization: tx.getReference(Organization, organizationId),
        promiseToPay: p,
        payment,
        amountMinor: share.amountMinor,
      }),
    );
    rejudge(tx, p, timeZone, now, { kind: 'payment', paymentId: payment.id });
  }
  return shares.length;
}

/**
 * Takes back `amountMinor` of what a payment counted toward promises (a reversal, refund or charge-back), latest
 * promised date first. A kept promise that falls short is re-opened while its window is open; with the window
 * closed it becomes PARTIALLY_KEPT or BROKEN and `promise.broken` is emitted. Returns how many promises changed.
 */
export async function releasePaymentFromPromises(
  tx: EntityManager,
  paymentId: string,
  amountMinor: bigint,
  now = new Date(),
  reason: 'reversal' | 'rematch' = 'reversal',
): Promise<number> {
  if (amountMinor <= 0n) return 0;
  const matches = await tx.find(PromiseToPayMatch, { payment: paymentId });
  if (matches.length === 0) return 0;
  // Locked and read fresh before the tallies are changed: a concurrent payment may be counting toward them too.
  const promises = await tx.find(
    PromiseToPay,
    { id: { $in: matches.map((m) => m.promiseToPay.id) } },
    { lockMode: LockMode.PESSIMISTIC_WRITE },
  );
  const promiseById = new Map(promises.map((p) => [p.id, p]));
  const timeZone = await organizationTimeZone(tx, promises[0].organization.id);
  const released = releaseLatestFirst(
    matches.map((m) => ({
      id: m.id,
      dueDate: promiseById.get(m.promiseToPay.id)!.promisedDate,
      amountMinor: m.amountMinor,
    })),
    amountMinor,
  );
  const matchById = new Map(matches.map((m) => [m.id, m]));
  for (const r of released) {
    const m = matchById.get(r.id)!;
    const p = promiseById.get(m.promiseToPay.id)!;
    p.paidMinor = p.paidMinor > r.amountMinor ? p.paidMinor - r.amountMinor : 0n;
    m.amountMinor -= r.amountMinor;
    if (m.amountMinor === 0n) tx.remove(m);
    rejudge(tx, p, timeZone, now, { kind: reason, paymentId });
  }
  return released.length;
}

/**
 * Judges open promises whose window has closed (in their organization's time zone): PARTIALLY_KEPT if something
 * was paid, else BROKEN, with `promise.broken` emitted in the same statement. Across organizations (a maintenance
 * task); a promise is judged once, so running it again emits nothing. Returns how many were judged.
 */
export async function sweepPromises(orm: MikroORM, now = new Date(), limit = 5000): Promise<number> {
  // requiredMinor() in SQL (the unit tests pin the rule; the sweep's integration test this statement).
  const required = (alias: string) => `(${alias}.amount_minor * ${alias}.threshold_pct + 99) / 100`;
  const today = await organizationDays(
    orm,
    `select p.organization_id from promise_to_pay p where p.status = 'OPEN' and p.promised_date < ?::date`,
    now,
  );
  if (today === null) return 0;
  const rows = await orm.em.getConnection().execute<Array<{ n: number }>>(
    `with today as (
       select * from jsonb_to_recordset(?::jsonb) as t(organization_id text, day date)
     ), closed as (
       update promise_to_pay p
          set status = case when p.paid_minor > 0 then 'PARTIALLY_KEPT' else 'BROKEN' end,
              evaluated_at = ?, updated_at = now()
        where p.id in (select q.id from promise_to_pay q join today t on t.organization_id = q.organization_id
                        where q.status = 'OPEN' and q.promised_date + q.grace_days < t.day
                          and q.paid_minor < ${required('q')}
                        order by q.promised_date, q.id limit ?)
          and p.status = 'OPEN' and p.paid_minor < ${required('p')}
       returning p.id, p.organization_id, p.loan_account_id, p.status, p.paid_minor, p.amount_minor,
                 p.threshold_pct, p.currency, p.promised_date, p.grace_days
     ), events as (
       insert into outbox_event (id, organization_id, created_at, updated_at, type, aggregate_type, aggregate_id, payload)
       select lipa_id('oev', row_number() over (order by c.id), (select lipa_id_time())), c.organization_id, now(), now(),
              'promise.broken', 'promise_to_pay', c.id,
              jsonb_build_object('promiseId', c.id, 'loanAccountId', c.loan_account_id, 'status', c.status,
                'paidMinor', c.paid_minor::text,
                'requiredMinor', (${required('c')})::text,
                'amountMinor', c.amount_minor::text, 'currency', c.currency,
                'promisedDate', to_char(c.promised_date, 'YYYY-MM-DD'), 'graceDays', c.grace_days,
                'reason', 'window_closed', 'paymentId', null)
       from closed c
       returning 1
     )
     select count(*)::int as n from events`,
    [today, now, limit],
  );
  return rows[0]?.n ?? 0;
}

export interface RecordPromiseToPayInput {
  loanAccountId: string;
  /** Decimal string at the currency's exponent, in the loan's currency. */
  amount: { amount: string; currency: string };
  /** `YYYY-MM-DD`, from today to {@link PROMISE_LIMITS.maxDaysAhead} days ahead (organization time). */
  promisedDate: string;
  /** 0 to 30; default 0. */
  graceDays?: number | null;
  /** 1 to 100; default 100. */
  thresholdPct?: number | null;
  /** Free text for the audit log only. */
  note?: string | null;
}

/**
 * Records a promise on a loan of the caller's organization. An open promise on the same loan is superseded
 * (CANCELLED): a borrower has one current promise. Bad input throws BAD_USER_INPUT and stores nothing; an unknown
 * loan (or another organization's) is NOT_FOUND.
 */
export async function recordPromiseToPay(
  scope: Scope,
  input: RecordPromiseToPayInput,
  now = new Date(),
): Promise<PromiseToPay> {
  const organizationId = scope.principal.organizationId;
  const loan = await scope.em.findOne(LoanAccount, { id: input.loanAccountId });
  if (!loan) throw notFound('Loan account', input.loanAccountId);
  let amount: Money;
  try {
    amount = parseMoney(input.amount.amount, input.amount.currency, { allowTrailingZeros: false });
  } catch (err) {
    throw badInput((err as Error).message);
  }
  if (amount.currency !== loan.currency)
    throw badInput(`The loan is in ${loan.currency}; promise ${loan.currency}, not ${amount.currency}`);
  const timeZone = await organizationTimeZone(scope.em, organizationId);
  const terms = {
    amountMinor: amount.amountMinor,
    promisedDate: input.promisedDate,
    graceDays: input.graceDays ?? PROMISE_LIMITS.defaultGraceDays,
    thresholdPct: input.thresholdPct ?? PROMISE_LIMITS.defaultThresholdPct,
  };
  const problems = promiseTermsProblems(terms, localDate(now, timeZone));
  if (problems.length) throw badInput(problems.join('; '));
  const note = input.note?.trim() || null;
  if (note && note.length > NOTE_MAX) throw badInput(`note must be at most ${NOTE_MAX} characters`);

  return scope.em.transactional(async (tx) => {
    // Two promises recorded at once on one loan must not both stay open: recordings on a loan take turns.
    await tx
      .getConnection()
      .execute(
        'select pg_advisory_xact_lock(hashtextextended(?, 0))',
        [`promise_to_pay:${loan.id}`],
        'all',
        tx.getTransactionContext(),
      );
    const superseded = await tx.find(
      PromiseToPay,
      { loanAccount: loan.id, status: 'OPEN' },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    );
    const promise = tx.create(PromiseToPay, {
      organization: tx.getReference(Organization, organizationId),
      loanAccount: tx.getReference(LoanAccount, loan.id),
      amountMinor: amount.amountMinor,
      currency: amount.currency,
      promisedDate: terms.promisedDate,
      graceDays: terms.graceDays,
      thresholdPct: terms.thresholdPct,
      createdBy: scope.principal.actorId,
      createdAt: now,
    });
    tx.persist(promise);
    for (const old of superseded) {
      old.status = 'CANCELLED';
      audit(tx, scope.principal, 'promise_to_pay.cancelled', 'promise_to_pay', old.id, {
        supersededBy: promise.id,
      });
    }
    audit(tx, scope.principal, 'promise_to_pay.recorded', 'promise_to_pay', promise.id, {
      loanAccountId: loan.id,
      amountMinor: amount.amountMinor.toString(),
      currency: amount.currency,
      promisedDate: terms.promisedDate,
      graceDays: terms.graceDays,
      thresholdPct: terms.thresholdPct,
      note,
      superseded: superseded.map((p) => p.id),
    });
    return promise;
  });
}

export interface PromiseToPayFilterInput {
  status?: PromiseStatus[] | null;
  loanAccountId?: string | null;
  /** Promised on or after (`YYYY-MM-DD`). */
  promisedFrom?: string | null;
  /** Promised on or before (`YYYY-MM-DD`). */
  promisedTo?: string | null;
}

/** A newest-first page of the organization's promises. */
export async function listPromisesToPay(
  scope: Scope,
  filter: PromiseToPayFilterInput | null | undefined,
  page: PageArgs,
): Promise<EntityPage<PromiseToPay>> {
  const and: Array<FilterQuery<PromiseToPay>> = [];
  if (filter?.status?.length) and.push({ status: { $in: filter.status } });
  if (filter?.loanAccountId) and.push({ loanAccount: filter.loanAccountId });
  if (filter?.promisedFrom) and.push({ promisedDate: { $gte: filter.promisedFrom } });
  if (filter?.promisedTo) and.push({ promisedDate: { $lte: filter.promisedTo } });
  return findPage(scope.em, PromiseToPay, and.length ? { $and: and } : {}, page);
}

/** The promises of many loans in one query, newest first per loan (for `LoanAccount.promisesToPay`). */
export async function promisesOfLoans(
  scope: Scope,
  loanAccountIds: readonly string[],
): Promise<Map<string, PromiseToPay[]>> {
  const out = new Map<string, PromiseToPay[]>(loanAccountIds.map((id) => [id, []]));
  if (loanAccountIds.length === 0) return out;
  const rows = await scope.em.find(
    PromiseToPay,
    { loanAccount: { $in: [...loanAccountIds] } },
    { orderBy: { id: 'desc' } },
  );
  for (const p of rows) out.get(p.loanAccount.id)?.push(p);
  return out;
}
