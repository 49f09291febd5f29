import type { MikroORM } from '@mikro-orm/postgresql';
import { UnrecoverableError } from 'bullmq';
import { ConnectorError } from '../connectors/errors';
import type { MobileMoneyConnector, RailEvent } from '../connectors/types';
import { money } from '../domain/money';
import { transition } from '../domain/payment-state';
import type { PaymentStatus } from '../domain/enums';
import { Discrepancy } from '../entities/discrepancy.entity';
import { InboundEvent } from '../entities/inbound-event.entity';
import { Organization } from '../entities/organization.entity';
import { PaymentRequest } from '../entities/payment-request.entity';
import type { PaymentSource } from '../entities/payment-source.entity';
import { Payment } from '../entities/payment.entity';
import { Reversal } from '../entities/reversal.entity';
import { recordEvent } from '../events/outbox';
import type { Queues } from '../jobs/queues';
import type { Logger } from '../logger';
import type { EntityManager } from '@mikro-orm/postgresql';
import { scopedFork } from './scope';
import type { SourceService } from './source.service';
import { releasePaymentFromExpectations } from './expectations';
import { releasePaymentFromPromises } from './promises';

type PaymentEvent = Extract<RailEvent, { kind: 'PAYMENT' }>;
type ReversalEvent = Extract<RailEvent, { kind: 'REVERSAL' }>;

/** Raised when an event must wait for another (a reversal before its payment): the job retries later. */
export class RetryLaterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

const EVENT_FOR_STATUS: Partial<
  Record<
    PaymentStatus,
    'payment.received' | 'payment.failed' | 'payment.reversed' | 'payment.refunded' | 'payment.charged_back'
  >
> = {
  SUCCEEDED: 'payment.received',
  FAILED: 'payment.failed',
  REVERSED: 'payment.reversed',
  REFUNDED: 'payment.refunded',
  PARTIALLY_REFUNDED: 'payment.refunded',
  CHARGED_BACK: 'payment.charged_back',
};

/**
 * Turns stored callbacks into payments and reversals through the state machine (ARCHITECTURE invariants 2, 5, 6).
 * Unsigned callbacks are confirmed by a status query first; everything for one event commits in one transaction
 * together with its outbox rows; duplicates and replays are no-ops; events that do not fit become discrepancies.
 */
export class PaymentEventService {
  constructor(
    private readonly orm: MikroORM,
    private readonly sources: SourceService,
    private readonly queues: Queues,
    private readonly logger: Logger,
  ) {}

  async processInboundEvent(
    organizationId: string,
    inboundEventId: string,
    opts: { finalAttempt: boolean },
  ): Promise<{ status: string; payments: string[] }> {
    const em = scopedFork(this.orm.em, organizationId);
    const event = await em.findOne(
      InboundEvent,
      { id: inboundEventId },
      { populate: ['rawBody', 'paymentSource', 'paymentSource.credentialsEncrypted'] },
    );
    if (!event) return { status: 'missing', payments: [] };
    if (event.status !== 'RECEIVED') return { status: `already ${event.status.toLowerCase()}`, payments: [] };
    const source = event.paymentSource;
    const connector = this.sources.railConnector(source);

    let railEvents: RailEvent[];
    try {
      railEvents = connector.parseCallback({
        rawBody: event.rawBody,
        headers: event.headers,
        query: event.query,
      });
    } catch (err) {
      if (err instanceof ConnectorError && !err.retryable) {
        await this.markFailed(em, event, `Unreadable callback: ${err.message}`);
        throw new UnrecoverableError(`inbound event ${event.id} is unreadable`);
      }
      throw err;
    }

    // Network calls (confirmations) happen before the transaction, never inside it.
    const confirmed: RailEvent[] = [];
    for (const re of railEvents)
      confirmed.push(re.kind === 'PAYMENT' && re.needsConfirmation ? await this.confirm(connector, re) : re);

    const touched: string[] = [];
    const undo: string[] = [];
    try {
      await em.transactional(async (tx) => {
        for (const re of confirmed) {
          if (re.kind === 'PAYMENT') {
            const id = await this.applyPayment(tx, source, re, event);
            if (id) touched.push(id);
          } else if (re.kind === 'REVERSAL') {
            const reversedPosted = await this.applyReversal(tx, source, re, event, opts.finalAttempt);
            if (reversedPosted) undo.push(reversedPosted);
          }
        }
        event.status = confirmed.every((e) => e.kind === 'IGNORED') ? 'IGNORED' : 'PROCESSED';
        event.processedAt = new Date();
        event.attempts += 1;
        event.error = null;
      });
    } catch (err) {
      if (err instanceof RetryLaterError) {
        const fresh = scopedFork(this.orm.em, organizationId);
        await fresh.nativeUpdate(
          InboundEvent,
          { id: event.id },
          { attempts: event.attempts + 1, error: err.message },
        );
      }
      throw err;
    }
    for (const paymentId of touched) {
      await this.queues.posting
        .add('match-and-post', { organizationId, paymentId }, { jobId: `post-${paymentId}` })
        .catch((err) =>
          this.logger.warn(
            { err, paymentId },
            'could not enqueue posting; the posting sweeper will pick it up',
          ),
        );
    }
    for (const paymentId of undo) {
      await this.queues.posting
        .add('undo', { organizationId, paymentId }, { jobId: `undo-${paymentId}` })
        .catch((err) =>
          this.logger.warn(
            { err, paymentId },
            'could not enqueue the lender reversal; the sweeper will pick it up',
          ),
        );
    }
    return { status: event.status, payments: touched };
  }

  /** Unsigned rails: trust the rail's answer to a status query, not the callback body. */
  private async confirm(connector: MobileMoneyConnector, re: PaymentEvent): Promise<PaymentEvent> {
    if (!re.providerRequestId) return { ...re, status: 'PENDING', needsConfirmation: false };
    const status = await connector.getCollectionStatus({
      providerRequestId: re.providerRequestId,
      reference: re.providerRequestId,
    });
    return {
      ...re,
      status: status.status,
      providerTransactionId: status.providerTransactionId ?? re.providerTransactionId,
      amount: status.amount ?? re.amount,
      failureCode: status.failureCode ?? re.failureCode,
      failureMessage: status.failureMessage ?? re.failureMessage,
      needsConfirmation: false,
    };
  }

  private async markFailed(em: EntityManager, event: InboundEvent, error: string): Promise<void> {
    event.status = 'FAILED';
    event.error = error.slice(0, 1000);
    event.attempts += 1;
    await em.flush();
  }

  /** Applies a payment event; returns the payment id when it succeeded (to match and post). */
  async applyPayment(
    em: EntityManager,
    source: PaymentSource,
    re: PaymentEvent,
    event: InboundEvent,
  ): Promise<string | null> {
    const request = re.providerRequestId
      ? await em.findOne(
          PaymentRequest,
          { paymentSource: source, providerRequestId: re.providerRequestId },
          { populate: ['loanAccount'] },
        )
      : null;
    if (re.status === 'PENDING') return null;

    let payment: Payment | null = null;
    if (re.providerTransactionId)
      payment = await em.findOne(Payment, {
        paymentSource: source,
        providerTransactionId: re.providerTransactionId,
      });
    if (!payment && re.providerRequestId) {
      const byRequest = await em.find(
        Payment,
        { paymentSource: source, providerRequestId: re.providerRequestId },
        { orderBy: { id: 'asc' } },
      );
      // A failure row keyed on the request, then a real transaction: a new rail transaction, not a state flip.
      payment =
        byRequest.find(
          (p) =>
            !(
              p.status === 'FAILED' &&
              re.status === 'SUCCEEDED' &&
              p.providerTransactionId.startsWith('req:')
            ),
        ) ?? null;
    }

    if (payment) {
      // A payment first known only by its request (STK query without receipt) learns its rail receipt later.
      if (
        re.providerTransactionId &&
        payment.providerTransactionId.startsWith('req:') &&
        payment.status === re.status
      ) {
        payment.providerTransactionId = re.providerTransactionId;
      }
      const t = transition(payment.status, re.status);
      if (!t.ok) {
        await this.raiseOutOfOrder(em, source, payment, re, t.reason, event);
        return null;
      }
      if (!t.changed) return null;
      payment.status = re.status;
      if (re.failureCode) payment.failureCode = re.failureCode;
      this.emitStatusEvent(em, source, payment);
      if (request) this.settleRequest(request, payment);
      return re.status === 'SUCCEEDED' ? payment.id : null;
    }

    // A failure that names no money and no request Lipa made (a Transaction Status query that itself failed, e.g.
    // M-Pesa 2001 "initiator invalid"): nothing was paid, so there is nothing to reconcile. The InboundEvent stays.
    if (re.status === 'FAILED' && !request && !re.amount && !re.providerTransactionId) return null;
    const amount = re.amount ?? (request ? money(request.amountMinor, request.currency) : null);
    if (!amount) {
      await this.raiseDiscrepancy(em, source, {
        type: 'UNMATCHED_PAYMENT',
        dedupeKey: `no-amount:${source.id}:${re.providerEventId}`,
        summary: 'The rail reported a payment without an amount and Lipa has no request to take it from',
        evidence: {
          providerEventId: re.providerEventId,
          providerTransactionId: re.providerTransactionId,
          inboundEventId: event.id,
        },
      });
      return null;
    }
    payment = em.create(Payment, {
      organization: em.getReference(Organization, source.organization.id),
      paymentSource: source,
      rail: source.kind,
      providerTransactionId: re.providerTransactionId ?? `req:${re.providerRequestId ?? re.providerEventId}`,
      providerRequestId: re.providerRequestId,
      paymentRequestId: request?.id ?? null,
      amountMinor: amount.amountMinor,
      currency: amount.currency,
      status: re.status,
      accountReference: re.accountReference,
      payerReference: re.payerReference,
      receivedAt: re.occurredAt ?? new Date(),
      failureCode: re.failureCode,
      failureMessage: re.failureMessage?.slice(0, 500) ?? null,
      loanAccount: request?.loanAccount ?? null,
      reconciliationState: 'UNMATCHED',
    });
    em.persist(payment);
    this.emitStatusEvent(em, source, payment);
    if (request) this.settleRequest(request, payment);
    return re.status === 'SUCCEEDED' ? payment.id : null;
  }

  private settleRequest(request: PaymentRequest, payment: Payment): void {
    if (request.status !== 'PENDING' && request.status !== 'EXPIRED') return;
    if (payment.status === 'SUCCEEDED') request.status = 'SUCCEEDED';
    else if (payment.status === 'FAILED') request.status = 'FAILED';
    else return;
    request.paymentId = payment.id;
    request.failureCode = payment.failureCode ?? null;
  }

  private emitStatusEvent(em: EntityManager, source: PaymentSource, payment: Payment): void {
    const type = EVENT_FOR_STATUS[payment.status];
    if (!type) return;
    recordEvent(em, {
      organizationId: source.organization.id,
      type,
      aggregateType: 'payment',
      aggregateId: payment.id,
      payload: {
        paymentId: payment.id,
        sourceId: source.id,
        rail: payment.rail,
        status: payment.status,
        amountMinor: payment.amountMinor.toString(),
        currency: payment.currency,
        providerTransactionId: payment.providerTransactionId,
        loanAccountId: payment.loanAccount?.id ?? null,
      },
    });
  }

  /** Applies a reversal event; returns the payment id when its lender posting must now be undone. */
  async applyReversal(
    em: EntityManager,
    source: PaymentSource,
    re: ReversalEvent,
    event: InboundEvent,
    finalAttempt: boolean,
  ): Promise<string | null> {
    let reversal = await em.findOne(
      Reversal,
      { providerReversalId: re.providerReversalId, payment: { paymentSource: source } },
      { populate: ['payment'] },
    );
    let payment = reversal?.payment ?? null;
    if (!payment && re.originalProviderTransactionId) {
      payment = await em.findOne(Payment, {
        paymentSource: source,
        providerTransactionId: re.originalProviderTransactionId,
      });
    }
    if (!payment) {
      if (!finalAttempt)
        throw new RetryLaterError(`reversal ${re.providerReversalId} arrived before its payment; retrying`);
      await this.raiseDiscrepancy(em, source, {
        type: 'UNMATCHED_PAYMENT',
        dedupeKey: `orphan-reversal:${source.id}:${re.providerReversalId}`,
        summary: 'The rail reported a reversal of a payment Lipa never received',
        evidence: {
          providerReversalId: re.providerReversalId,
          originalProviderTransactionId: re.originalProviderTransactionId,
          inboundEventId: event.id,
        },
      });
      return null;
    }
    if (!reversal) {
      reversal = em.create(Reversal, {
        organization: em.getReference(Organization, source.organization.id),
        payment,
        amountMinor: re.amount?.amountMinor ?? payment.amountMinor,
        currency: re.amount?.currency ?? payment.currency,
        reason: 'Reversed at the rail',
        origin: 'RAIL',
        providerReversalId: re.providerReversalId,
        idempotencyKey: crypto.randomUUID(),
        status: 'PENDING',
      });
      em.persist(reversal);
    }
    if (re.status === 'PENDING' || reversal.status === re.status) return null;
    if (reversal.status !== 'PENDING') return null; // terminal already: a replay or a late contradicting result (kept in the inbox)
    reversal.status = re.status;
    reversal.failureCode = re.failureCode;
    if (re.status !== 'SUCCEEDED') return null;

    const refunded = payment.refundedMinor + reversal.amountMinor;
    const target: PaymentStatus =
      refunded >= payment.amountMinor
        ? reversal.origin === 'CHARGEBACK'
          ? 'CHARGED_BACK'
          : 'REVERSED'
        : 'PARTIALLY_REFUNDED';
    const t = transition(payment.status, target);
    if (!t.ok) {
      await this.raiseOutOfOrder(
        em,
        source,
        payment,
        { status: target, providerEventId: re.providerReversalId },
        t.reason,
        event,
      );
      return null;
    }
    payment.refundedMinor = refunded;
    payment.status = target;
    // What the payment covered of the loan's installments and promises is taken back, re-opening (or, once the
    // promise's window has closed, breaking) them.
    await releasePaymentFromExpectations(em, payment.id, reversal.amountMinor);
    await releasePaymentFromPromises(em, payment.id, reversal.amountMinor);
    // A posted payment must now be undone at the lender (the posting service does that, exactly once).
    const mustUndo = payment.reconciliationState === 'POSTED';
    if (mustUndo) {
      payment.reconciliationState = 'REVERSAL_PENDING';
      reversal.lenderState = 'PENDING';
    }
    this.emitStatusEvent(em, source, payment);
    return mustUndo ? payment.id : null;
  }

  private async raiseOutOfOrder(
    em: EntityManager,
    source: PaymentSource,
    payment: Payment,
    re: { status: PaymentStatus; providerEventId: string },
    reason: string,
    event: InboundEvent,
  ): Promise<void> {
    await this.raiseDiscrepancy(em, source, {
      type: 'UNMATCHED_PAYMENT',
      dedupeKey: `out-of-order:${payment.id}:${re.status}`,
      summary: `Out-of-order rail event kept, not applied: ${reason}`,
      evidence: {
        paymentId: payment.id,
        currentStatus: payment.status,
        reportedStatus: re.status,
        providerEventId: re.providerEventId,
        inboundEventId: event.id,
      },
      payment,
    });
  }

  /** Opens a discrepancy unless one with the same dedupe key exists (de-duplicated across events and runs). */
  async raiseDiscrepancy(
    em: EntityManager,
    source: PaymentSource,
    d: {
      type: Discrepancy['type'];
      dedupeKey: string;
      summary: string;
      evidence: Record<string, unknown>;
      payment?: Payment;
    },
  ): Promise<void> {
    if (await em.findOne(Discrepancy, { dedupeKey: d.dedupeKey })) return;
    const row = em.create(Discrepancy, {
      organization: em.getReference(Organization, source.organization.id),
      type: d.type,
      dedupeKey: d.dedupeKey,
      paymentSourceId: source.id,
      summary: d.summary,
      evidence: d.evidence,
      payment: d.payment ?? null,
      amountMinor: d.payment?.amountMinor ?? null,
      currency: d.payment?.currency ?? null,
    });
    em.persist(row);
    recordEvent(em, {
      organizationId: source.organization.id,
      type: 'discrepancy.opened',
      aggregateType: 'discrepancy',
      aggregateId: row.id,
      payload: { discrepancyId: row.id, type: d.type, paymentId: d.payment?.id ?? null },
    });
  }
}
