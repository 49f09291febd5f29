import { ApiKey } from './api-key.entity';
import { AuditLog } from './audit-log.entity';
import { Borrower } from './borrower.entity';
import { ContactAttempt } from './contact-attempt.entity';
import { Discrepancy } from './discrepancy.entity';
import { ExpectedPayment, ExpectedPaymentMatch } from './expected-payment.entity';
import { IdempotencyRecord } from './idempotency-record.entity';
import { InboundEvent } from './inbound-event.entity';
import { Installment } from './installment.entity';
import { LendingSource } from './lending-source.entity';
import { LoanAccount } from './loan-account.entity';
import { Organization } from './organization.entity';
import { OutboxEvent } from './outbox-event.entity';
import { PaymentAllocation } from './payment-allocation.entity';
import { PaymentRequest } from './payment-request.entity';
import { PaymentSource } from './payment-source.entity';
import { Payment } from './payment.entity';
import { PromiseToPay, PromiseToPayMatch } from './promise-to-pay.entity';
import { ReconciliationLine } from './reconciliation-line.entity';
import { ReconciliationRun } from './reconciliation-run.entity';
import { Reversal } from './reversal.entity';
import { SettlementImport } from './settlement-import.entity';
import { SettlementLine } from './settlement-line.entity';
import { SyncRun } from './sync-run.entity';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';

export {
  ApiKey,
  AuditLog,
  Borrower,
  ContactAttempt,
  Discrepancy,
  ExpectedPayment,
  ExpectedPaymentMatch,
  IdempotencyRecord,
  InboundEvent,
  Installment,
  LendingSource,
  LoanAccount,
  Organization,
  OutboxEvent,
  PaymentAllocation,
  PaymentRequest,
  PaymentSource,
  Payment,
  PromiseToPay,
  PromiseToPayMatch,
  ReconciliationLine,
  ReconciliationRun,
  Reversal,
  SettlementImport,
  SettlementLine,
  SyncRun,
  WebhookDelivery,
  WebhookEndpoint,
};

export const ENTITIES = [
  Organization,
  ApiKey,
  LendingSource,
  PaymentSource,
  Borrower,
  LoanAccount,
  Installment,
  InboundEvent,
  Payment,
  PaymentAllocation,
  PaymentRequest,
  Reversal,
  Discrepancy,
  ReconciliationRun,
  SettlementImport,
  SettlementLine,
  PromiseToPay,
  PromiseToPayMatch,
  ContactAttempt,
  OutboxEvent,
  WebhookEndpoint,
  WebhookDelivery,
  AuditLog,
  SyncRun,
  IdempotencyRecord,
  ExpectedPayment,
  ExpectedPaymentMatch,
  ReconciliationLine,
];
