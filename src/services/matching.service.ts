import type { MikroORM } from '@mikro-orm/postgresql';
import { decideMatch, referenceKey, type LoanCandidate } from '../domain/matching';
import { countryForCurrency, normalizePhone } from '../domain/phone';
import { Discrepancy } from '../entities/discrepancy.entity';
import { LoanAccount } from '../entities/loan-account.entity';
import { Organization } from '../entities/organization.entity';
import { PaymentRequest } from '../entities/payment-request.entity';
import { Payment } from '../entities/payment.entity';
import { badInput, conflict, notFound } from '../errors/app-error';
import { recordEvent } from '../events/outbox';
import type { Queues } from '../jobs/queues';
import type { Logger } from '../logger';
import { audit } from './audit';
import { scopedFork, type Scope } from './scope';
import { applyPaymentToExpectations } from './expectations';
import { applyPaymentToPromises } from './promises';

interface CandidateRow {
  id: string;
  borrower_id: string | null;
  account_number: string;
  external_reference: string | null;
  currency: string;
  status: string;
  next_due_minor: string | null;
}

const toCandidate = (r: CandidateRow): LoanCandidate => ({
  loanId: r.id,
  borrowerId: r.borrower_id,
  accountNumber: r.account_number,
  externalReference: r.external_reference,
  currency: r.currency,
  status: r.status,
  nextDueMinor: r.next_due_minor === null ? null : BigInt(r.next_due_minor),
});

const CANDIDATE_COLUMNS = `l.id, l.borrower_id, l.account_number, l.external_reference, l.currency, l.status,
  (select i.total_outstanding_minor::text from installment i where i.loan_account_id = l.id and not i.complete order by i.number limit 1) as next_due_minor`;

/** Links succeeded payments to loans with the rules in domain/matching, storing the rule and its evidence. */
export class MatchingService {
  constructor(
    private readonly orm: MikroORM,
    private readonly queues: Queues,
    private readonly logger: Logger,
  ) {}

  /** Matches one payment if it is unmatched; returns whether it is now matched to a loan. */
  async matchPayment(organizationId: string, paymentId: string): Promise<boolean> {
    const em = scopedFork(this.orm.em, organizationId);
    const payment = await em.findOne(
      Payment,
      { id: paymentId },
      { populate: ['paymentSource', 'paymentSource.lendingSource'] },
    );
    // The job is enqueued after the payment committed; if it is not visible yet, let the job retry.
    if (!payment) throw new Error(`payment ${paymentId} is not visible yet`);
    if (payment.reconciliationState !== 'UNMATCHED')
      return payment.loanAccount !== null && payment.loanAccount !== undefined;
    if (payment.status !== 'SUCCEEDED') return false;
    const conn = em.getConnection();
    const lendingSourceId = payment.paymentSource.lendingSource?.id ?? null;
    const scopeSql = lendingSourceId ? 'and l.lending_source_id = ?' : '';
    const scopeArgs = lendingSourceId ? [lendingSourceId] : [];

    const key = referenceKey(payment.accountReference);
    const byReference = key
      ? (
          await conn.execute<CandidateRow[]>(
            `select ${CANDIDATE_COLUMNS} from loan_account l
              where l.organization_id = ? ${scopeSql} and l.missing_upstream_since is null
                and (l.account_number = ? or upper(l.external_reference) = ? or l.external_id = ?
                     or regexp_replace(l.account_number, '[^A-Z0-9]', '', 'g') = ? or regexp_replace(upper(coalesce(l.external_reference, '')), '[^A-Z0-9]', '', 'g') = ?)`,
            [
              organizationId,
              ...scopeArgs,
              payment.accountReference!.trim().toUpperCase(),
              payment.accountReference!.trim().toUpperCase(),
              payment.accountReference!.trim(),
              key,
              key,
            ],
          )
        ).map(toCandidate)
      : [];

    let requestLoan: LoanCandidate | null = null;
    if (payment.paymentRequestId) {
      const req = await em.findOne(PaymentRequest, { id: payment.paymentRequestId });
      if (req) {
        const rows = await conn.execute<CandidateRow[]>(
          `select ${CANDIDATE_COLUMNS} from loan_account l where l.organization_id = ? and l.id = ?`,
          [organizationId, req.loanAccount.id],
        );
        requestLoan = rows[0] ? toCandidate(rows[0]) : null;
      }
    }

    const phone = normalizePhone(payment.payerReference, countryForCurrency(payment.currency));
    const byPhone = phone
      ? (
          await conn.execute<CandidateRow[]>(
            `select ${CANDIDATE_COLUMNS} from loan_account l join borrower b on b.id = l.borrower_id
              where l.organization_id = ? ${scopeSql} and b.phone_number = ? and l.missing_upstream_since is null`,
            [organizationId, ...scopeArgs, phone],
          )
        ).map(toCandidate)
      : [];

    const decision = decideMatch({
      amountMinor: payment.amountMinor,
      currency: payment.currency,
      accountReference: payment.accountReference ?? null,
      requestLoan,
      byReference,
      byPhone,
    });
    await em.transactional(async (tx) => {
      const p = await tx.findOneOrFail(Payment, { id: paymentId });
      if (p.reconciliationState !== 'UNMATCHED') return;
      if (decision.outcome === 'MATCHED') {
        p.loanAccount = tx.getReference(LoanAccount, decision.loanId);
        p.reconciliationState = 'MATCHED';
        await applyPaymentToExpectations(tx, organizationId, p, decision.loanId);
        await applyPaymentToPromises(tx, organizationId, p, decision.loanId);
        p.matchRule = decision.rule;
        p.matchEvidence = decision.evidence;
        recordEvent(tx, {
          organizationId,
          type: 'payment.matched',
          aggregateType: 'payment',
          aggregateId: p.id,
          payload: { paymentId: p.id, loanAccountId: decision.loanId, rule: decision.rule },
        });
      } else {
        const dedupeKey = `unmatched:${p.id}`;
        if (!(await tx.findOne(Discrepancy, { dedupeKey }))) {
          const d = tx.create(Discrepancy, {
            organization: tx.getReference(Organization, organizationId),
            type: 'UNMATCHED_PAYMENT',
            dedupeKey,
            paymentSourceId: p.paymentSource.id,
            summary:
              decision.outcome === 'AMBIGUOUS'
                ? `Several loans could be meant (${decision.rule}); not guessed`
                : 'No loan matches this payment',
            payment: p,
            amountMinor: p.amountMinor,
            currency: p.currency,
            evidence: {
              paymentId: p.id,
              providerTransactionId: p.providerTransactionId,
              candidates: decision.outcome === 'AMBIGUOUS' ? decision.candidates : [],
              ...decision.evidence,
            },
          });
          tx.persist(d);
          recordEvent(tx, {
            organizationId,
            type: 'discrepancy.opened',
            aggregateType: 'discrepancy',
            aggregateId: d.id,
            payload: { discrepancyId: d.id, type: 'UNMATCHED_PAYMENT', paymentId: p.id },
          });
        }
      }
    });
    this.logger.debug({ paymentId, outcome: decision.outcome }, 'payment matching');
    return decision.outcome === 'MATCHED';
  }

  /** A person's match (finance): links, closes the payment's unmatched discrepancy, and queues the posting. */
  async manualMatch(scope: Scope, paymentId: string, loanAccountId: string): Promise<Payment> {
    const payment = await scope.em.findOne(Payment, { id: paymentId });
    if (!payment) throw notFound('Payment', paymentId);
    const loan = await scope.em.findOne(LoanAccount, { id: loanAccountId });
    if (!loan) throw notFound('Loan account', loanAccountId);
    if (payment.status !== 'SUCCEEDED')
      throw badInput(`Only succeeded payments can be matched; this one is ${payment.status}`);
    if (!['UNMATCHED', 'MATCHED', 'POSTING_FAILED'].includes(payment.reconciliationState)) {
      throw conflict(
        `The payment is already ${payment.reconciliationState.toLowerCase().replace(/_/g, ' ')}; reverse it before matching it elsewhere`,
      );
    }
    if (loan.currency !== payment.currency)
      throw badInput(`The payment is in ${payment.currency} but the loan is in ${loan.currency}`);
    await scope.em.transactional(async (tx) => {
      const p = await tx.findOneOrFail(Payment, { id: paymentId });
      p.loanAccount = tx.getReference(LoanAccount, loan.id);
      p.reconciliationState = 'MATCHED';
      await applyPaymentToExpectations(tx, scope.principal.organizationId, p, loan.id);
      await applyPaymentToPromises(tx, scope.principal.organizationId, p, loan.id);
      p.matchRule = 'MANUAL';
      p.matchEvidence = { matchedBy: scope.principal.actorId };
      p.postingError = null;
      recordEvent(tx, {
        organizationId: scope.principal.organizationId,
        type: 'payment.matched',
        aggregateType: 'payment',
        aggregateId: p.id,
        payload: { paymentId: p.id, loanAccountId: loan.id, rule: 'MANUAL' },
      });
      const open = await tx.find(Discrepancy, {
        payment: p.id,
        type: 'UNMATCHED_PAYMENT',
        status: { $in: ['OPEN', 'IN_REVIEW'] },
      });
      for (const d of open) {
        d.status = 'RESOLVED';
        d.resolution = 'MATCHED_MANUALLY';
        d.note = `Matched to loan ${loan.accountNumber}`;
        d.resolvedBy = scope.principal.actorId;
        d.resolvedAt = new Date();
        recordEvent(tx, {
          organizationId: scope.principal.organizationId,
          type: 'discrepancy.resolved',
          aggregateType: 'discrepancy',
          aggregateId: d.id,
          payload: { discrepancyId: d.id, type: d.type, resolution: d.resolution },
        });
      }
      audit(tx, scope.principal, 'payment.matched_manually', 'payment', p.id, {
        loanAccountId: loan.id,
        resolvedDiscrepancies: open.map((d) => d.id),
      });
    });
    await this.queues.posting.add(
      'match-and-post',
      { organizationId: scope.principal.organizationId, paymentId },
      { jobId: `post-${paymentId}-manual-${Date.now()}` },
    );
    const fresh = scopedFork(this.orm.em, scope.principal.organizationId);
    return fresh.findOneOrFail(Payment, { id: paymentId });
  }
}
