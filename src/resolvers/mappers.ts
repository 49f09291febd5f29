import { canSeeContactData, maskEmail, maskName, maskPhone, type Principal } from '../auth/principal';
import { agingBucket } from '../domain/aging';
import type { ApiKey } from '../entities/api-key.entity';
import type { Borrower } from '../entities/borrower.entity';
import type { Installment } from '../entities/installment.entity';
import type { LendingSource } from '../entities/lending-source.entity';
import type { LoanAccount } from '../entities/loan-account.entity';
import type { PaymentSource } from '../entities/payment-source.entity';
import type { Payment } from '../entities/payment.entity';
import { MoneyType } from '../schema/common/money.type';
import { BorrowerType } from '../schema/loan/borrower.type';
import { InstallmentType } from '../schema/loan/installment.type';
import { LoanAccountType } from '../schema/loan/loan-account.type';
import { ApiKeyType } from '../schema/organization/api-key.type';
import { PaymentType } from '../schema/payment/payment.type';
import { LendingSourceType } from '../schema/source/lending-source.type';
import { PaymentSourceType } from '../schema/source/payment-source.type';

/** Entity -> API shape. Entities never leave the service layer as GraphQL types. */

export function toLoanAccountType(loan: LoanAccount): LoanAccountType {
  const t = new LoanAccountType();
  t.id = loan.id;
  t.externalId = loan.externalId;
  t.accountNumber = loan.accountNumber;
  t.externalReference = loan.externalReference ?? null;
  t.currency = loan.currency;
  t.status = loan.status;
  t.principal = MoneyType.of(loan.principalMinor, loan.currency);
  t.lenderOutstanding = MoneyType.of(loan.lenderOutstandingMinor, loan.currency);
  t.overdue = MoneyType.of(loan.overdueMinor, loan.currency);
  t.daysPastDue = loan.daysPastDue;
  t.agingBucket = agingBucket(loan.daysPastDue);
  t.delinquencyClass = loan.delinquencyClass ?? null;
  t.nextDueDate = loan.nextDueDate ?? null;
  t.lastSyncedAt = loan.lastSyncedAt ?? null;
  t.missingUpstreamSince = loan.missingUpstreamSince ?? null;
  t.syncError = loan.syncError ?? null;
  t.assignedAgentId = loan.assignedAgentId ?? null;
  t.lendingSourceId = loan.lendingSource.id;
  t.borrowerId = loan.borrower?.id ?? null;
  t.lenderOutstandingMinor = loan.lenderOutstandingMinor;
  return t;
}

export function toInstallmentType(i: Installment, currency: string): InstallmentType {
  const t = new InstallmentType();
  t.id = i.id;
  t.number = i.number;
  t.dueDate = i.dueDate;
  t.totalDue = MoneyType.of(i.totalDueMinor, currency);
  t.totalPaid = MoneyType.of(i.totalPaidMinor, currency);
  t.totalOutstanding = MoneyType.of(i.totalOutstandingMinor, currency);
  t.complete = i.complete;
  return t;
}

export function toBorrowerType(b: Borrower, contactVisible: boolean): BorrowerType {
  const t = new BorrowerType();
  t.id = b.id;
  t.externalId = b.externalId;
  t.contactVisible = contactVisible;
  t.displayName = contactVisible ? (b.displayName ?? null) : maskName(b.displayName);
  t.phoneNumber = contactVisible ? (b.phoneNumber ?? null) : maskPhone(b.phoneNumber);
  t.email = contactVisible ? (b.email ?? null) : maskEmail(b.email);
  return t;
}

export function toPaymentType(
  p: Payment,
  principal: Principal,
  assignedAgentId: string | null = null,
): PaymentType {
  const t = new PaymentType();
  t.id = p.id;
  t.rail = p.rail;
  t.providerTransactionId = p.providerTransactionId;
  t.amount = MoneyType.of(p.amountMinor, p.currency);
  t.status = p.status;
  t.reconciliationState = p.reconciliationState;
  t.payerReference = canSeeContactData(principal, assignedAgentId)
    ? (p.payerReference ?? null)
    : maskPhone(p.payerReference);
  t.accountReference = p.accountReference ?? null;
  t.receivedAt = p.receivedAt;
  t.postedAt = p.postedAt ?? null;
  t.lenderTransactionId = p.lenderTransactionId ?? null;
  t.matchRule = p.matchRule ?? null;
  t.failureCode = p.failureCode ?? null;
  t.sourceId = p.paymentSource.id;
  t.loanAccountId = p.loanAccount?.id ?? null;
  return t;
}

export function toApiKeyType(k: ApiKey): ApiKeyType {
  const t = new ApiKeyType();
  t.id = k.id;
  t.name = k.name;
  t.role = k.role;
  t.prefix = `lipa_${k.prefix}`;
  t.createdAt = k.createdAt;
  t.lastUsedAt = k.lastUsedAt ?? null;
  t.revokedAt = k.revokedAt ?? null;
  return t;
}

export function toLendingSourceType(s: LendingSource): LendingSourceType {
  const t = new LendingSourceType();
  t.id = s.id;
  t.name = s.name;
  t.status = s.status;
  t.statusReason = s.statusReason ?? null;
  t.createdAt = s.createdAt;
  t.kind = s.kind;
  t.baseUrl = s.baseUrl;
  t.lastSyncedAt = s.lastSyncedAt ?? null;
  return t;
}

export function toPaymentSourceType(s: PaymentSource, callbackUrl: string | null): PaymentSourceType {
  const t = new PaymentSourceType();
  t.id = s.id;
  t.name = s.name;
  t.status = s.status;
  t.statusReason = s.statusReason ?? null;
  t.createdAt = s.createdAt;
  t.kind = s.kind;
  t.baseUrl = s.baseUrl ?? null;
  t.callbackUrl = callbackUrl;
  t.lendingSourceId = s.lendingSource?.id ?? null;
  return t;
}
