/** Closed sets shared by entities, services and the GraphQL schema (CONTRACT.md "Enums"). */

export const ROLES = ['ADMIN', 'FINANCE', 'SUPERVISOR', 'AGENT', 'PARTNER'] as const;
export type Role = (typeof ROLES)[number];

export const LENDING_SYSTEM_KINDS = ['FINERACT', 'MAMBU'] as const;
export const RAIL_KINDS = ['MPESA', 'MTN_MOMO', 'AIRTEL_MONEY', 'STRIPE', 'GOCARDLESS'] as const;

export const PAYMENT_STATUSES = [
  'PENDING',
  'SUCCEEDED',
  'FAILED',
  'REVERSED',
  'REFUNDED',
  'PARTIALLY_REFUNDED',
  'CHARGED_BACK',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const RECONCILIATION_STATES = [
  'UNMATCHED',
  'MATCHED',
  'POSTED',
  'POSTING_FAILED',
  'REVERSAL_PENDING',
  'REVERSED_IN_LENDER',
] as const;
export type ReconciliationState = (typeof RECONCILIATION_STATES)[number];

export const DISCREPANCY_TYPES = [
  'UNMATCHED_PAYMENT',
  'AMOUNT_MISMATCH',
  'DUPLICATE_PAYMENT',
  'OVERPAYMENT',
  'CURRENCY_MISMATCH',
  'MISSING_IN_LENDER',
  'MISSING_AT_RAIL',
  'MISSING_IN_SETTLEMENT',
  'SETTLEMENT_AMOUNT_MISMATCH',
  'REVERSED_AFTER_POSTING',
  'POSTING_FAILED',
] as const;
export type DiscrepancyType = (typeof DISCREPANCY_TYPES)[number];

export const DISCREPANCY_STATUSES = ['OPEN', 'IN_REVIEW', 'RESOLVED', 'DISMISSED'] as const;
export type DiscrepancyStatus = (typeof DISCREPANCY_STATUSES)[number];

export const AGING_BUCKETS = ['CURRENT', 'D1_30', 'D31_60', 'D61_90', 'D90_PLUS'] as const;
export type AgingBucket = (typeof AGING_BUCKETS)[number];

export const SOURCE_STATUSES = ['ACTIVE', 'UNHEALTHY', 'DISABLED'] as const;
export type SourceStatus = (typeof SOURCE_STATUSES)[number];

export const LOAN_STATUSES = [
  'PENDING',
  'APPROVED',
  'ACTIVE',
  'CLOSED',
  'WRITTEN_OFF',
  'OVERPAID',
  'REJECTED',
  'WITHDRAWN',
  'UNKNOWN',
] as const;
export type LoanStatus = (typeof LOAN_STATUSES)[number];

export const SYNC_RUN_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'PARTIAL', 'FAILED'] as const;
export type SyncRunStatus = (typeof SYNC_RUN_STATUSES)[number];

export const INBOUND_EVENT_STATUSES = ['RECEIVED', 'PROCESSED', 'IGNORED', 'FAILED'] as const;
export type InboundEventStatus = (typeof INBOUND_EVENT_STATUSES)[number];

export const PAYMENT_REQUEST_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED', 'EXPIRED'] as const;
export type PaymentRequestStatus = (typeof PAYMENT_REQUEST_STATUSES)[number];

export const REVERSAL_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED'] as const;
export type ReversalStatus = (typeof REVERSAL_STATUSES)[number];

export const WEBHOOK_DELIVERY_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED', 'DEAD'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

export const PROMISE_STATUSES = ['OPEN', 'KEPT', 'PARTIALLY_KEPT', 'BROKEN', 'CANCELLED'] as const;
export type PromiseStatus = (typeof PROMISE_STATUSES)[number];

export const EXPECTED_PAYMENT_STATUSES = ['OPEN', 'MET', 'PARTLY_MET', 'OVERDUE'] as const;
export type ExpectedPaymentStatus = (typeof EXPECTED_PAYMENT_STATUSES)[number];

export const EVENT_TYPES = [
  'payment.received',
  'payment.failed',
  'payment.matched',
  'payment.posted',
  'payment.reversed',
  'payment.refunded',
  'payment.charged_back',
  'loan.balance_changed',
  'discrepancy.opened',
  'discrepancy.resolved',
  'promise.kept',
  'promise.broken',
  'expected_payment.overdue',
  'reconciliation.completed',
  'reconciliation.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
