import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ConnectorError } from '../connectors/errors';
import type { RailEvent } from '../connectors/types';
import { maskPhone } from '../auth/principal';
import { money, parseMoney, type Money } from '../domain/money';
import { countryForCurrency, normalizePhone } from '../domain/phone';
import { InboundEvent } from '../entities/inbound-event.entity';
import { LoanAccount } from '../entities/loan-account.entity';
import { Organization } from '../entities/organization.entity';
import { PaymentRequest } from '../entities/payment-request.entity';
import { PaymentSource } from '../entities/payment-source.entity';
import { Payment } from '../entities/payment.entity';
import { Reversal } from '../entities/reversal.entity';
import { AppError, badInput, conflict, notFound } from '../errors/app-error';
import { connectorErrorToAppError } from '../errors/graphql';
import type { Queues } from '../jobs/queues';
import type { Logger } from '../logger';
import { audit } from './audit';
import type { PaymentEventService } from './payment-event.service';
import { scopedFork, type Scope } from './scope';
import type { SourceService } from './source.service';

/** Status re-queries after the first timeout, before a silent request is expired. */
const MAX_STATUS_QUERIES = 3;
const REQUERY_DELAY_MS = 60_000;

/**
 * Pay-now prompts (STK push, request-to-pay, USSD push) and operator reversals. The request row (with its
 * idempotency key) commits before the rail is called, so a crash or timeout never loses what was asked; a request
 * whose callback never comes is re-queried by status, then expired (ARCHITECTURE invariant 6: unknown is pending).
 */
export class PaymentRequestService {
  constructor(
    private readonly orm: MikroORM,
    private readonly sources: SourceService,
    private readonly paymentEvents: PaymentEventService,
    private readonly queues: Queues,
    private readonly logger: Logger,
    private readonly timeoutSeconds: number,
  ) {}

  async requestPayment(
    scope: Scope,
    input: {
      loanAccountId: string;
      sourceId: string;
      amount: { amount: string; currency: string };
      phoneNumber?: string | null;
    },
  ): Promise<PaymentRequest> {
    const loan = await scope.em.findOne(LoanAccount, { id: input.loanAccountId }, { populate: ['borrower'] });
    if (!loan) throw notFound('Loan account', input.loanAccountId);
    const source = await scope.em.findOne(
      PaymentSource,
      { id: input.sourceId },
      { populate: ['credentialsEncrypted'] },
    );
    if (!source) throw notFound('Payment source', input.sourceId);
    if (source.status === 'DISABLED') throw badInput(`Payment source ${source.name} is disabled`);
    let amount: Money;
    try {
      amount = parseMoney(input.amount.amount, input.amount.currency, { allowTrailingZeros: false });
    } catch (err) {
      throw badInput((err as Error).message);
    }
    if (amount.amountMinor <= 0n) throw badInput('Amount must be greater than zero');
    if (amount.currency !== loan.currency)
      throw badInput(`The loan is in ${loan.currency}; request ${loan.currency}, not ${amount.currency}`);
    const connector = this.sources.railConnector(source);
    if (!connector.capabilities.push) throw badInput(`${source.kind} cannot send a payment prompt`);
    if (!connector.capabilities.currencies.includes(amount.currency))
      throw badInput(`${source.kind} does not collect ${amount.currency}`);
    const phone = normalizePhone(
      input.phoneNumber ?? loan.borrower?.phoneNumber ?? null,
      countryForCurrency(loan.currency),
    );
    if (!phone)
      throw badInput(
        input.phoneNumber
          ? 'phoneNumber is not a valid phone number'
          : 'The borrower has no phone number on file; pass phoneNumber',
      );

    const request = scope.em.create(PaymentRequest, {
      organization: scope.em.getReference(Organization, scope.principal.organizationId),
      paymentSource: source,
      loanAccount: loan,
      amountMinor: amount.amountMinor,
      currency: amount.currency,
      phoneMasked: maskPhone(phone)!,
      idempotencyKey: randomUUID(),
      expiresAt: new Date(Date.now() + this.timeoutSeconds * 1000),
      createdBy: scope.principal.actorId,
    });
    scope.em.persist(request);
    audit(scope.em, scope.principal, 'payment_request.created', 'payment_request', request.id, {
      loanAccountId: loan.id,
      sourceId: source.id,
      amountMinor: amount.amountMinor.toString(),
      currency: amount.currency,
    });
    await scope.em.flush();

    try {
      const out = await connector.initiateCollection({
        reference: request.id,
        idempotencyKey: request.idempotencyKey,
        amount,
        phoneNumber: phone,
        accountReference: loan.accountNumber,
        description: 'Loan repayment',
        callbackUrl: this.sources.callbackUrl(source),
      });
      request.providerRequestId = out.providerRequestId;
      if (out.status === 'FAILED') {
        request.status = 'FAILED';
        request.failureCode = out.failureCode ?? null;
        request.failureMessage = out.failureMessage ?? null;
      }
    } catch (err) {
      if (err instanceof ConnectorError && err.code === 'OUTCOME_UNKNOWN') {
        // The rail may have sent the prompt: stay PENDING and find out by status query.
        this.logger.warn({ paymentRequestId: request.id }, 'initiate outcome unknown; will query status');
      } else if (err instanceof ConnectorError) {
        request.status = 'FAILED';
        request.failureCode = err.providerCode ?? err.code;
        request.failureMessage = err.message.slice(0, 500);
        await scope.em.flush();
        throw connectorErrorToAppError(err);
      } else {
        throw err;
      }
    }
    await scope.em.flush();
    if (request.status === 'PENDING')
      await this.scheduleCheck(scope.principal.organizationId, request.id, this.timeoutSeconds * 1000);
    return request;
  }

  private async scheduleCheck(
    organizationId: string,
    paymentRequestId: string,
    delayMs: number,
  ): Promise<void> {
    await this.queues.paymentRequests
      .add(
        'check',
        { organizationId, paymentRequestId },
        { delay: delayMs, jobId: `check-${paymentRequestId}-${Date.now()}` },
      )
      .catch((err) => this.logger.warn({ err, paymentRequestId }, 'could not schedule the status check'));
  }

  /** Re-queries a request that has had no callback; applies the rail's answer, or expires it after a few tries. */
  async checkPaymentRequest(organizationId: string, paymentRequestId: string): Promise<string> {
    const em = scopedFork(this.orm.em, organizationId);
    const request = await em.findOne(
      PaymentRequest,
      { id: paymentRequestId },
      { populate: ['paymentSource', 'paymentSource.credentialsEncrypted'] },
    );
    if (!request || request.status !== 'PENDING') return request?.status ?? 'MISSING';
    const connector = this.sources.railConnector(request.paymentSource);
    let status: Awaited<ReturnType<typeof connector.getCollectionStatus>> | null = null;
    if (request.providerRequestId && connector.capabilities.statusQuery) {
      status = await connector.getCollectionStatus({
        providerRequestId: request.providerRequestId,
        reference: request.id,
      });
    }
    request.statusQueries += 1;
    if (status && status.status !== 'PENDING') {
      const event: Extract<RailEvent, { kind: 'PAYMENT' }> = {
        kind: 'PAYMENT',
        providerEventId: `query:${request.id}:${status.status}`,
        providerTransactionId: status.providerTransactionId,
        providerRequestId: request.providerRequestId!,
        status: status.status,
        amount: status.amount ?? money(request.amountMinor, request.currency),
        accountReference: null,
        payerReference: null,
        occurredAt: new Date(),
        failureCode: status.failureCode,
        failureMessage: status.failureMessage,
        needsConfirmation: false,
      };
      let paymentId: string | null = null;
      await em.transactional(async (tx) => {
        const pseudo = new InboundEvent();
        pseudo.id = `query:${request.id}`;
        paymentId = await this.paymentEvents.applyPayment(tx, request.paymentSource, event, pseudo);
        tx.persist(request);
      });
      if (paymentId)
        await this.queues.posting
          .add('match-and-post', { organizationId, paymentId }, { jobId: `post-${paymentId}` })
          .catch(() => undefined);
      return status.status;
    }
    if (request.statusQueries > MAX_STATUS_QUERIES && request.expiresAt.getTime() <= Date.now()) {
      request.status = 'EXPIRED';
      await em.flush();
      return 'EXPIRED';
    }
    await em.flush();
    await this.scheduleCheck(organizationId, request.id, REQUERY_DELAY_MS);
    return 'PENDING';
  }

  async getRequest(scope: Scope, id: string): Promise<PaymentRequest> {
    const r = await scope.em.findOne(PaymentRequest, { id }, { populate: ['paymentSource'] });
    if (!r) throw notFound('Payment request', id);
    return r;
  }

  /**
   * Asks the rail to reverse (refund) a payment. The payment's state changes only when the rail confirms (callback
   * or status query), never on the request.
   */
  async reversePayment(
    scope: Scope,
    input: { paymentId: string; reason: string; amount?: { amount: string; currency: string } | null },
  ): Promise<Reversal> {
    const payment = await scope.em.findOne(
      Payment,
      { id: input.paymentId },
      { populate: ['paymentSource', 'paymentSource.credentialsEncrypted'] },
    );
    if (!payment) throw notFound('Payment', input.paymentId);
    if (payment.status !== 'SUCCEEDED' && payment.status !== 'PARTIALLY_REFUNDED')
      throw conflict(`A ${payment.status} payment cannot be reversed`);
    const reason = input.reason.trim();
    if (reason.length < 2 || reason.length > 100) throw badInput('reason must be 2 to 100 characters');
    const remaining = payment.amountMinor - payment.refundedMinor;
    let amount = money(remaining, payment.currency);
    if (input.amount) {
      try {
        amount = parseMoney(input.amount.amount, input.amount.currency, { allowTrailingZeros: false });
      } catch (err) {
        throw badInput((err as Error).message);
      }
      if (amount.currency !== payment.currency) throw badInput(`The payment is in ${payment.currency}`);
      if (amount.amountMinor <= 0n || amount.amountMinor > remaining)
        throw badInput(`amount must be between 1 and ${remaining} minor units`);
    }
    const connector = this.sources.railConnector(payment.paymentSource);
    if (!connector.capabilities.reversal)
      throw badInput(`${payment.rail} payments cannot be reversed through the API`);
    if (amount.amountMinor !== remaining && !connector.capabilities.partialReversal)
      throw badInput(`${payment.rail} only reverses whole payments`);
    const pending = await scope.em.count(Reversal, { payment: payment.id, status: 'PENDING' });
    if (pending > 0) throw conflict('A reversal of this payment is already in progress');

    const reversal = scope.em.create(Reversal, {
      organization: scope.em.getReference(Organization, scope.principal.organizationId),
      payment,
      amountMinor: amount.amountMinor,
      currency: amount.currency,
      reason,
      origin: 'OPERATOR',
      idempotencyKey: randomUUID(),
      requestedBy: scope.principal.actorId,
    });
    scope.em.persist(reversal);
    audit(scope.em, scope.principal, 'payment.reversal_requested', 'payment', payment.id, {
      reversalId: reversal.id,
      amountMinor: amount.amountMinor.toString(),
      reason,
    });
    await scope.em.flush();
    try {
      const out = await connector.reverseCollection({
        providerTransactionId: payment.providerTransactionId,
        providerRequestId: payment.providerRequestId ?? null,
        amount,
        originalAmount: money(payment.amountMinor, payment.currency),
        reference: reversal.id,
        idempotencyKey: reversal.idempotencyKey,
        reason,
        resultUrl: this.sources.callbackUrl(payment.paymentSource),
      });
      reversal.providerReversalId = out.providerReversalId;
      if (out.status === 'FAILED') {
        reversal.status = 'FAILED';
        reversal.failureCode = out.failureCode ?? null;
      }
    } catch (err) {
      if (err instanceof ConnectorError && err.code === 'OUTCOME_UNKNOWN') {
        this.logger.warn({ reversalId: reversal.id }, 'reversal outcome unknown; waiting for the rail');
      } else if (err instanceof ConnectorError) {
        reversal.status = 'FAILED';
        reversal.failureCode = err.providerCode ?? err.code;
        await scope.em.flush();
        throw connectorErrorToAppError(err);
      } else throw err;
    }
    await scope.em.flush();
    if (reversal.status === 'PENDING') {
      await this.queues.reversals
        .add(
          'check',
          { organizationId: scope.principal.organizationId, reversalId: reversal.id },
          { delay: REQUERY_DELAY_MS, jobId: `rev-check-${reversal.id}` },
        )
        .catch(() => undefined);
    }
    return reversal;
  }

  /**
   * Recovers a payment whose callback never came, by its rail transaction id (M-Pesa Transaction Status): the rail
   * answers by callback, which is stored and applied like any other. Already-known transactions are not queried.
   */
  async lookUpTransaction(
    scope: Scope,
    input: { sourceId: string; providerTransactionId: string },
  ): Promise<{ alreadyKnown: boolean; providerReference: string | null }> {
    const id = input.providerTransactionId.trim();
    if (!/^[A-Za-z0-9._:-]{4,64}$/.test(id))
      throw badInput('providerTransactionId must be 4 to 64 letters, digits or . _ : -');
    const source = await scope.em.findOne(
      PaymentSource,
      { id: input.sourceId },
      { populate: ['credentialsEncrypted'] },
    );
    if (!source) throw notFound('Payment source', input.sourceId);
    if (await scope.em.findOne(Payment, { paymentSource: source, providerTransactionId: id }))
      return { alreadyKnown: true, providerReference: null };
    const connector = this.sources.railConnector(source);
    if (!connector.lookUpTransaction) throw badInput(`${source.kind} cannot look up a transaction by id`);
    try {
      const out = await connector.lookUpTransaction({
        providerTransactionId: id,
        reference: `lookup-${id}`,
        resultUrl: this.sources.callbackUrl(source),
      });
      audit(scope.em, scope.principal, 'payment.lookup_requested', 'payment_source', source.id, {
        providerTransactionId: id,
        providerReference: out.providerReference,
      });
      await scope.em.flush();
      return { alreadyKnown: false, providerReference: out.providerReference };
    } catch (err) {
      if (err instanceof ConnectorError) throw connectorErrorToAppError(err);
      throw err;
    }
  }

  /** Polls the rail for a reversal's outcome where it can be queried; otherwise the callback settles it. */
  async checkReversal(organizationId: string, reversalId: string): Promise<string> {
    const em = scopedFork(this.orm.em, organizationId);
    const reversal = await em.findOne(
      Reversal,
      { id: reversalId },
      { populate: ['payment', 'payment.paymentSource', 'payment.paymentSource.credentialsEncrypted'] },
    );
    if (!reversal || reversal.status !== 'PENDING' || !reversal.providerReversalId)
      return reversal?.status ?? 'MISSING';
    const connector = this.sources.railConnector(reversal.payment.paymentSource);
    let result;
    try {
      result = await connector.getReversalStatus({
        providerReversalId: reversal.providerReversalId,
        reference: reversal.id,
      });
    } catch (err) {
      if (err instanceof ConnectorError && err.code === 'FLOW_NOT_SUPPORTED') return 'PENDING';
      throw err;
    }
    if (result.status === 'PENDING')
      throw new AppError('UPSTREAM_UNAVAILABLE', 'reversal still pending at the rail');
    let undo: string | null = null;
    await em.transactional(async (tx) => {
      const pseudo = new InboundEvent();
      pseudo.id = `query:${reversal.id}`;
      undo = await this.paymentEvents.applyReversal(
        tx,
        reversal.payment.paymentSource,
        {
          kind: 'REVERSAL',
          providerEventId: `query:${reversal.id}`,
          providerReversalId: reversal.providerReversalId!,
          originalProviderTransactionId: reversal.payment.providerTransactionId,
          status: result.status,
          amount: money(reversal.amountMinor, reversal.currency),
          occurredAt: new Date(),
          failureCode: result.failureCode,
        },
        pseudo,
        true,
      );
    });
    if (undo)
      await this.queues.posting
        .add('undo', { organizationId, paymentId: undo }, { jobId: `undo-${undo}` })
        .catch(() => undefined);
    return result.status;
  }
}
