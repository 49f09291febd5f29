import { createHash } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { UnrecoverableError } from 'bullmq';
import { ConnectorError } from '../connectors/errors';
import type { LendingSystemConnector } from '../connectors/types';
import { money } from '../domain/money';
import { Discrepancy } from '../entities/discrepancy.entity';
import { LoanAccount } from '../entities/loan-account.entity';
import { Organization } from '../entities/organization.entity';
import { PaymentAllocation } from '../entities/payment-allocation.entity';
import { Payment } from '../entities/payment.entity';
import { Reversal } from '../entities/reversal.entity';
import { recordEvent } from '../events/outbox';
import type { Logger } from '../logger';
import { scopedFork } from './scope';
import type { SourceService } from './source.service';

/** A stable UUID derived from a string: the same logical posting always sends the same idempotency key. */
export function deterministicUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  h[6] = (h[6] & 0x0f) | 0x40;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const CLAIM_SECONDS = 120;

export type PostingOutcome = 'POSTED' | 'ALREADY_POSTED' | 'NOT_POSTABLE' | 'CLAIMED_ELSEWHERE' | 'FAILED';

/**
 * Posts matched payments to the lender exactly once (issue: lending systems §8):
 * - a claim (`UPDATE ... WHERE claim expired RETURNING`) lets one worker at a time post a payment;
 * - the lender transaction carries Lipa's payment id as external id and a deterministic idempotency key, so a retry
 *   after a timeout-after-commit finds the first posting instead of creating a second one;
 * - a permanent refusal becomes a POSTING_FAILED discrepancy; transient failures are retried by the job.
 */
export class PostingService {
  constructor(
    private readonly orm: MikroORM,
    private readonly sources: SourceService,
    private readonly logger: Logger,
  ) {}

  private async claim(organizationId: string, paymentId: string): Promise<boolean> {
    const rows = await this.orm.em.getConnection().execute<Array<{ id: string }>>(
      `update payment set posting_claimed_until = now() + make_interval(secs => ?), posting_attempts = posting_attempts + 1
        where id = ? and organization_id = ? and status in ('SUCCEEDED', 'PARTIALLY_REFUNDED')
          and reconciliation_state in ('MATCHED', 'POSTING_FAILED')
          and (posting_claimed_until is null or posting_claimed_until < now())
        returning id`,
      [CLAIM_SECONDS, paymentId, organizationId],
    );
    return rows.length === 1;
  }

  private async release(organizationId: string, paymentId: string, error: string | null): Promise<void> {
    await this.orm.em
      .getConnection()
      .execute(
        `update payment set posting_claimed_until = null, posting_error = ? where id = ? and organization_id = ?`,
        [error?.slice(0, 500) ?? null, paymentId, organizationId],
      );
  }

  async postPayment(
    organizationId: string,
    paymentId: string,
    opts: { finalAttempt?: boolean } = {},
  ): Promise<PostingOutcome> {
    if (!(await this.claim(organizationId, paymentId))) return 'CLAIMED_ELSEWHERE';
    const em = scopedFork(this.orm.em, organizationId);
    const payment = await em.findOneOrFail(
      Payment,
      { id: paymentId },
      {
        populate: [
          'loanAccount',
          'loanAccount.lendingSource',
          'loanAccount.lendingSource.credentialsEncrypted',
        ],
      },
    );
    const loan = payment.loanAccount;
    if (!loan) {
      await this.release(organizationId, paymentId, 'Not matched to a loan');
      return 'NOT_POSTABLE';
    }
    if (loan.currency !== payment.currency) {
      await em.transactional(async (tx) => {
        await this.raise(
          tx,
          organizationId,
          'CURRENCY_MISMATCH',
          `currency:${payment.id}`,
          `Payment in ${payment.currency} matched to a ${loan.currency} loan; nothing was posted`,
          payment,
          loan,
          {
            paymentCurrency: payment.currency,
            loanCurrency: loan.currency,
          },
        );
      });
      await this.release(organizationId, paymentId, 'Currency mismatch');
      return 'NOT_POSTABLE';
    }

    const connector = this.sources.lendingConnector(loan.lendingSource);
    const log = this.logger.child({ paymentId, loanAccountId: loan.id });
    try {
      // Overpayment: post what the lender can accept (its live outstanding), raise the rest.
      const fresh = await connector.getLoan({ loanExternalId: loan.externalId });
      const outstanding = fresh.outstanding.amountMinor > 0n ? fresh.outstanding.amountMinor : 0n;
      const postMinor =
        payment.amountMinor - payment.refundedMinor < outstanding
          ? payment.amountMinor - payment.refundedMinor
          : outstanding;
      const overMinor = payment.amountMinor - payment.refundedMinor - postMinor;
      let transactionId: string | null = null;
      let alreadyPosted = false;
      if (postMinor > 0n) {
        const posted = await connector.postRepayment({
          loanExternalId: loan.externalId,
          amount: money(postMinor, payment.currency),
          valueDate: payment.receivedAt,
          externalId: payment.id,
          idempotencyKey: deterministicUuid(`post:${payment.id}`),
          channel: payment.rail,
          receiptNumber: payment.providerTransactionId.slice(0, 50),
          note: `Lipa payment ${payment.id}`,
        });
        transactionId = posted.transactionId;
        alreadyPosted = posted.alreadyPosted;
      }
      const after = await connector.getLoan({ loanExternalId: loan.externalId }).catch(() => null);
      await em.transactional(async (tx) => {
        const p = await tx.findOneOrFail(Payment, { id: paymentId });
        const l = await tx.findOneOrFail(LoanAccount, { id: loan.id });
        const org = tx.getReference(Organization, organizationId);
        p.reconciliationState = 'POSTED';
        p.postedAt = new Date();
        p.lenderTransactionId = transactionId;
        p.postedAmountMinor = postMinor;
        p.postingError = null;
        p.postingClaimedUntil = null;
        if (postMinor > 0n)
          tx.persist(
            tx.create(PaymentAllocation, {
              organization: org,
              payment: p,
              loanAccount: l,
              amountMinor: postMinor,
              currency: p.currency,
              kind: 'POSTED',
            }),
          );
        if (overMinor > 0n) {
          tx.persist(
            tx.create(PaymentAllocation, {
              organization: org,
              payment: p,
              loanAccount: l,
              amountMinor: overMinor,
              currency: p.currency,
              kind: 'OVERPAYMENT',
            }),
          );
          await this.raise(
            tx,
            organizationId,
            'OVERPAYMENT',
            `overpayment:${p.id}`,
            `Payment exceeds the lender's outstanding balance by ${overMinor} minor units; that part was not posted`,
            p,
            l,
            {
              postedMinor: postMinor.toString(),
              overpaidMinor: overMinor.toString(),
              lenderOutstandingMinor: outstanding.toString(),
            },
            overMinor,
          );
        }
        const before = l.lenderOutstandingMinor;
        // The lender owns the ledger: take its figure after posting, never compute our own.
        if (after) l.lenderOutstandingMinor = after.outstanding.amountMinor;
        recordEvent(tx, {
          organizationId,
          type: 'payment.posted',
          aggregateType: 'payment',
          aggregateId: p.id,
          payload: {
            paymentId: p.id,
            loanAccountId: l.id,
            lenderTransactionId: transactionId,
            postedMinor: postMinor.toString(),
            currency: p.currency,
            alreadyPosted,
          },
        });
        if (after && before !== l.lenderOutstandingMinor) {
          recordEvent(tx, {
            organizationId,
            type: 'loan.balance_changed',
            aggregateType: 'loan_account',
            aggregateId: l.id,
            payload: {
              loanAccountId: l.id,
              lenderOutstandingMinor: l.lenderOutstandingMinor.toString(),
              previousLenderOutstandingMinor: before.toString(),
              currency: l.currency,
              reason: 'payment_posted',
              paymentId: p.id,
            },
          });
        }
      });
      log.info({ postedMinor: postMinor.toString(), alreadyPosted }, 'payment posted to lender');
      return alreadyPosted ? 'ALREADY_POSTED' : 'POSTED';
    } catch (err) {
      const permanent = err instanceof ConnectorError && !err.retryable;
      if (!permanent && !opts.finalAttempt) {
        await this.release(organizationId, paymentId, (err as Error).message);
        throw err;
      }
      await em.transactional(async (tx) => {
        const p = await tx.findOneOrFail(Payment, { id: paymentId });
        p.reconciliationState = 'POSTING_FAILED';
        p.postingClaimedUntil = null;
        p.postingError = (err as Error).message.slice(0, 500);
        await this.raise(
          tx,
          organizationId,
          'POSTING_FAILED',
          `posting:${p.id}`,
          `The lender did not accept the repayment: ${(err as Error).message}`.slice(0, 500),
          p,
          loan,
          {
            connectorCode: err instanceof ConnectorError ? err.code : null,
            providerCode: err instanceof ConnectorError ? (err.providerCode ?? null) : null,
          },
        );
      });
      log.warn({ err }, 'posting failed permanently');
      if (permanent) throw new UnrecoverableError(`posting ${paymentId} refused: ${(err as Error).message}`);
      return 'FAILED';
    }
  }

  /** Undoes a posted repayment at the lender after a rail reversal (exactly once). */
  async undoPosting(
    organizationId: string,
    paymentId: string,
    opts: { finalAttempt?: boolean } = {},
  ): Promise<'REVERSED' | 'NOT_NEEDED' | 'FAILED'> {
    const em = scopedFork(this.orm.em, organizationId);
    const payment = await em.findOneOrFail(
      Payment,
      { id: paymentId },
      {
        populate: [
          'loanAccount',
          'loanAccount.lendingSource',
          'loanAccount.lendingSource.credentialsEncrypted',
        ],
      },
    );
    if (payment.reconciliationState !== 'REVERSAL_PENDING' || !payment.loanAccount) return 'NOT_NEEDED';
    const loan = payment.loanAccount;
    const connector: LendingSystemConnector = this.sources.lendingConnector(loan.lendingSource);
    try {
      await connector.reverseRepayment({
        loanExternalId: loan.externalId,
        transactionId: payment.lenderTransactionId ?? null,
        externalId: payment.id,
        reversalExternalId: `REV-${payment.id}`,
        idempotencyKey: deterministicUuid(`undo:${payment.id}`),
        date: new Date(),
        note: `Reversed at the rail (Lipa payment ${payment.id})`,
      });
      const after = await connector.getLoan({ loanExternalId: loan.externalId }).catch(() => null);
      await em.transactional(async (tx) => {
        const p = await tx.findOneOrFail(Payment, { id: paymentId });
        const l = await tx.findOneOrFail(LoanAccount, { id: loan.id });
        p.reconciliationState = 'REVERSED_IN_LENDER';
        await tx.nativeUpdate(
          Reversal,
          { payment: p.id, lenderState: 'PENDING' },
          { lenderState: 'REVERSED', lenderReversedAt: new Date() },
        );
        const before = l.lenderOutstandingMinor;
        if (after) l.lenderOutstandingMinor = after.outstanding.amountMinor;
        recordEvent(tx, {
          organizationId,
          type: 'loan.balance_changed',
          aggregateType: 'loan_account',
          aggregateId: l.id,
          payload: {
            loanAccountId: l.id,
            lenderOutstandingMinor: l.lenderOutstandingMinor.toString(),
            previousLenderOutstandingMinor: before.toString(),
            currency: l.currency,
            reason: 'payment_reversed',
            paymentId: p.id,
          },
        });
      });
      return 'REVERSED';
    } catch (err) {
      const permanent = err instanceof ConnectorError && !err.retryable;
      if (!permanent && !opts.finalAttempt) throw err;
      await em.transactional(async (tx) => {
        const p = await tx.findOneOrFail(Payment, { id: paymentId });
        await tx.nativeUpdate(Reversal, { payment: p.id, lenderState: 'PENDING' }, { lenderState: 'FAILED' });
        await this.raise(
          tx,
          organizationId,
          'REVERSED_AFTER_POSTING',
          `reversed-after-posting:${p.id}`,
          `The payment was reversed at the rail but the lender refused to undo its repayment: ${(err as Error).message}`.slice(
            0,
            500,
          ),
          p,
          loan,
          {
            lenderTransactionId: p.lenderTransactionId,
          },
        );
      });
      return 'FAILED';
    }
  }

  private async raise(
    em: EntityManager,
    organizationId: string,
    type: Discrepancy['type'],
    dedupeKey: string,
    summary: string,
    payment: Payment,
    loan: LoanAccount,
    evidence: Record<string, unknown>,
    amountMinor?: bigint,
  ): Promise<void> {
    if (await em.findOne(Discrepancy, { dedupeKey })) return;
    const d = em.create(Discrepancy, {
      organization: em.getReference(Organization, organizationId),
      type,
      dedupeKey,
      paymentSourceId: payment.paymentSource.id,
      summary,
      payment,
      loanAccount: loan,
      amountMinor: amountMinor ?? payment.amountMinor,
      currency: payment.currency,
      evidence: {
        paymentId: payment.id,
        loanAccountId: loan.id,
        providerTransactionId: payment.providerTransactionId,
        ...evidence,
      },
    });
    em.persist(d);
    recordEvent(em, {
      organizationId,
      type: 'discrepancy.opened',
      aggregateType: 'discrepancy',
      aggregateId: d.id,
      payload: { discrepancyId: d.id, type, paymentId: payment.id },
    });
  }
}
