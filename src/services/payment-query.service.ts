import type { FilterQuery } from '@mikro-orm/core';
import type { PaymentStatus, ReconciliationState } from '../domain/enums';
import type { RailKind } from '../connectors/types';
import { Payment } from '../entities/payment.entity';
import { notFound } from '../errors/app-error';
import { findPage, type EntityPage, type PageArgs } from './pagination';
import type { Scope } from './scope';

export interface PaymentFilterInput {
  status?: PaymentStatus;
  reconciliationState?: ReconciliationState;
  rail?: RailKind;
  sourceId?: string;
  loanAccountId?: string;
  providerTransactionId?: string;
  receivedFrom?: Date;
  receivedTo?: Date;
}

export class PaymentQueryService {
  async getPayment(scope: Scope, id: string): Promise<Payment> {
    const payment = await scope.em.findOne(Payment, { id });
    if (!payment) throw notFound('Payment', id);
    return payment;
  }

  async listPayments(
    scope: Scope,
    filter: PaymentFilterInput | undefined,
    page: PageArgs,
  ): Promise<EntityPage<Payment>> {
    const and: FilterQuery<Payment>[] = [];
    if (filter?.status) and.push({ status: filter.status });
    if (filter?.reconciliationState) and.push({ reconciliationState: filter.reconciliationState });
    if (filter?.rail) and.push({ rail: filter.rail });
    if (filter?.sourceId) and.push({ paymentSource: filter.sourceId });
    if (filter?.loanAccountId) and.push({ loanAccount: filter.loanAccountId });
    if (filter?.providerTransactionId) and.push({ providerTransactionId: filter.providerTransactionId });
    if (filter?.receivedFrom) and.push({ receivedAt: { $gte: filter.receivedFrom } });
    if (filter?.receivedTo) and.push({ receivedAt: { $lt: filter.receivedTo } });
    return findPage(scope.em, Payment, and.length ? { $and: and } : {}, page);
  }
}
