import { LockMode } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { allocateOldestFirst, expectationStatus, releaseLatestFirst } from '../domain/expectations';
import { ExpectedPayment, ExpectedPaymentMatch } from '../entities/expected-payment.entity';
import { LoanAccount } from '../entities/loan-account.entity';
import { Organization } from '../entities/organization.entity';
import { Payment } from '../entities/payment.entity';
import { organizationDays, organizationToday } from './local-day';

/**
 * Expected payments, applied inside the caller's transaction (the sync that re-reads installments, the match that
 * assigns a payment to a loan, the reversal that takes it back), so the expectation and the change that moved it
 * commit together. The rules are in domain/expectations.ts. "Today" is the organization's local day (as for promises
 * to pay): an installment due on the 1st in Nairobi is overdue from 00:00 on the 2nd there, 21:00 UTC on the 1st.
 */

export const todayUtc = (now = new Date()): string => now.toISOString().slice(0, 10);

function restatus(e: ExpectedPayment, today: string, now = new Date()): void {
  const status = expectationStatus(e, today);
  e.status = status;
  if (status === 'MET') {
    e.metAt ??= now;
    e.overdueNotifiedAt = null;
  } else {
    e.metAt = null;
  }
}

/** Upserts the loan's expectations from the lender's schedule (one per installment) and re-derives their status. */
export async function expectationsFromInstallments(
  tx: EntityManager,
  organizationId: string,
  loan: LoanAccount,
  installments: ReadonlyArray<{
    number: number;
    dueDate: string;
    totalDue: { amountMinor: bigint };
    totalPaid: { amountMinor: bigint };
  }>,
  today?: string,
): Promise<void> {
  today ??= await organizationToday(tx, organizationId);
  const existing = await tx.find(
    ExpectedPayment,
    { loanAccount: loan.id },
    { lockMode: LockMode.PESSIMISTIC_WRITE },
  );
  const byNumber = new Map(existing.map((e) => [e.installmentNumber, e]));
  for (const i of installments) {
    if (i.totalDue.amountMinor <= 0n) continue;
    let e = byNumber.get(i.number);
    if (!e) {
      e = tx.create(ExpectedPayment, {
        organization: tx.getReference(Organization, organizationId),
        loanAccount: loan,
        installmentNumber: i.number,
        dueDate: i.dueDate,
        amountMinor: i.totalDue.amountMinor,
        currency: loan.currency,
      });
      tx.persist(e);
    }
    e.dueDate = i.dueDate;
    e.amountMinor = i.totalDue.amountMinor;
    e.lenderPaidMinor = i.totalPaid.amountMinor;
    restatus(e, today);
  }
}

/**
 * Spreads a payment just matched to a loan over the loan's open expectations, oldest first. Idempotent: a payment
 * already applied is left alone. Payments in another currency than the loan's cover nothing.
 */
export async function applyPaymentToExpectations(
  tx: EntityManager,
  organizationId: string,
  payment: Payment,
  loanAccountId: string,
  today?: string,
): Promise<number> {
  if ((await tx.count(ExpectedPaymentMatch, { payment: payment.id })) > 0) return 0;
  const open = await tx.find(
    ExpectedPayment,
    { loanAccount: loanAccountId, status: { $ne: 'MET' }, currency: payment.currency },
    { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { dueDate: 'asc', id: 'asc' } },
  );
  const amount = payment.amountMinor - payment.refundedMinor;
  const shares = allocateOldestFirst(open, amount);
  if (shares.length === 0) return 0;
  const day = today ?? (await organizationToday(tx, organizationId));
  const byId = new Map(open.map((e) => [e.id, e]));
  for (const s of shares) {
    const e = byId.get(s.id)!;
    e.metMinor += s.amountMinor;
    restatus(e, day);
    tx.persist(
      tx.create(ExpectedPaymentMatch, {
        organization: tx.getReference(Organization, organizationId),
        expectedPayment: e,
        payment,
        amountMinor: s.amountMinor,
      }),
    );
  }
  return shares.length;
}

/**
 * Takes back `amountMinor` of what a payment covered (a reversal, refund or charge-back), latest due date first,
 * and re-opens the expectations it had met: they become OPEN, PARTLY_MET or OVERDUE again (an overdue one is
 * announced again by the next sweep).
 */
export async function releasePaymentFromExpectations(
  tx: EntityManager,
  paymentId: string,
  amountMinor: bigint,
  today?: string,
): Promise<number> {
  const matches = await tx.find(
    ExpectedPaymentMatch,
    { payment: paymentId },
    { populate: ['expectedPayment'], lockMode: LockMode.PESSIMISTIC_WRITE },
  );
  if (!matches.length) return 0;
  today ??= await organizationToday(tx, matches[0].organization.id);
  const released = releaseLatestFirst(
    matches.map((m) => ({ id: m.id, dueDate: m.expectedPayment.dueDate, amountMinor: m.amountMinor })),
    amountMinor,
  );
  const byId = new Map(matches.map((m) => [m.id, m]));
  for (const r of released) {
    const m = byId.get(r.id)!;
    const e = m.expectedPayment;
    e.metMinor -= r.amountMinor;
    if (e.metMinor < 0n) e.metMinor = 0n;
    restatus(e, today);
    m.amountMinor -= r.amountMinor;
    if (m.amountMinor === 0n) tx.remove(m);
  }
  return released.length;
}

/**
 * Marks expectations past their due date (in their organization's local days) and not covered as OVERDUE and emits
 * `expected_payment.overdue` once for each (in the same statement, so the status and its event commit together).
 * Across organizations: a maintenance task. Returns how many became overdue.
 */
export async function sweepOverdueExpectations(
  orm: MikroORM,
  now = new Date(),
  limit = 5000,
): Promise<number> {
  const today = await organizationDays(
    orm,
    `select e.organization_id from expected_payment e
      where e.due_date < ?::date and e.overdue_notified_at is null
        and greatest(e.met_minor, e.lender_paid_minor) < e.amount_minor`,
    now,
  );
  if (today === null) return 0;
  const rows = await orm.em.getConnection().execute<Array<{ n: number }>>(
    `with today as (
       select * from jsonb_to_recordset(?::jsonb) as t(organization_id text, day date)
     ), due as (
       update expected_payment e set status = 'OVERDUE', overdue_notified_at = now(), updated_at = now()
        where e.id in (select x.id from expected_payment x join today t on t.organization_id = x.organization_id
                        where x.due_date < t.day and x.overdue_notified_at is null
                          and greatest(x.met_minor, x.lender_paid_minor) < x.amount_minor
                        order by x.due_date limit ?)
       returning e.id, e.organization_id, e.loan_account_id, e.installment_number, e.due_date, e.amount_minor,
                 e.currency, greatest(e.met_minor, e.lender_paid_minor) as covered_minor
     ), events as (
       insert into outbox_event (id, organization_id, created_at, updated_at, type, aggregate_type, aggregate_id, payload)
       select lipa_id('oev', row_number() over (order by d.id), (select lipa_id_time())), d.organization_id, now(), now(),
              'expected_payment.overdue', 'expected_payment', d.id,
              jsonb_build_object('expectedPaymentId', d.id, 'loanAccountId', d.loan_account_id,
                'installmentNumber', d.installment_number, 'dueDate', d.due_date,
                'amountMinor', d.amount_minor::text, 'coveredMinor', d.covered_minor::text,
                'remainingMinor', (d.amount_minor - d.covered_minor)::text, 'currency', d.currency)
       from due d
       returning 1
     )
     select count(*)::int as n from events`,
    [today, limit],
  );
  return rows[0]?.n ?? 0;
}
