import { registerEnumType } from 'type-graphql';
import {
  AGING_BUCKETS,
  DISCREPANCY_STATUSES,
  DISCREPANCY_TYPES,
  EXPECTED_PAYMENT_STATUSES,
  LENDING_SYSTEM_KINDS,
  LOAN_STATUSES,
  PAYMENT_REQUEST_STATUSES,
  PAYMENT_STATUSES,
  PROMISE_STATUSES,
  RAIL_KINDS,
  RECONCILIATION_STATES,
  ROLES,
  SOURCE_STATUSES,
  SYNC_RUN_STATUSES,
} from '../../domain/enums';
import { SETTLEMENT_FORMATS } from '../../domain/settlement/types';

/** GraphQL enums built from the domain's closed sets, so the two can never drift apart. */
function enumOf<T extends readonly string[]>(values: T): { [K in T[number]]: K } {
  return Object.fromEntries(values.map((v) => [v, v])) as { [K in T[number]]: K };
}

export const RoleEnum = enumOf(ROLES);
export const LendingSystemKindEnum = enumOf(LENDING_SYSTEM_KINDS);
export const RailKindEnum = enumOf(RAIL_KINDS);
export const PaymentStatusEnum = enumOf(PAYMENT_STATUSES);
export const ReconciliationStateEnum = enumOf(RECONCILIATION_STATES);
export const DiscrepancyTypeEnum = enumOf(DISCREPANCY_TYPES);
export const DiscrepancyStatusEnum = enumOf(DISCREPANCY_STATUSES);
export const AgingBucketEnum = enumOf(AGING_BUCKETS);
export const SourceStatusEnum = enumOf(SOURCE_STATUSES);
export const LoanStatusEnum = enumOf(LOAN_STATUSES);
export const SyncRunStatusEnum = enumOf(SYNC_RUN_STATUSES);
export const PaymentRequestStatusEnum = enumOf(PAYMENT_REQUEST_STATUSES);
export const SettlementFormatEnum = enumOf(SETTLEMENT_FORMATS);
export const ExpectedPaymentStatusEnum = enumOf(EXPECTED_PAYMENT_STATUSES);
export const PromiseStatusEnum = enumOf(PROMISE_STATUSES);

registerEnumType(RoleEnum, { name: 'Role' });
registerEnumType(LendingSystemKindEnum, { name: 'LendingSystemKind' });
registerEnumType(RailKindEnum, { name: 'RailKind' });
registerEnumType(PaymentStatusEnum, { name: 'PaymentStatus' });
registerEnumType(ReconciliationStateEnum, { name: 'ReconciliationState' });
registerEnumType(DiscrepancyTypeEnum, { name: 'DiscrepancyType' });
registerEnumType(DiscrepancyStatusEnum, { name: 'DiscrepancyStatus' });
registerEnumType(AgingBucketEnum, { name: 'AgingBucket' });
registerEnumType(SourceStatusEnum, { name: 'SourceStatus' });
registerEnumType(LoanStatusEnum, { name: 'LoanStatus' });
registerEnumType(SyncRunStatusEnum, { name: 'SyncRunStatus' });
registerEnumType(PaymentRequestStatusEnum, { name: 'PaymentRequestStatus' });
registerEnumType(SettlementFormatEnum, { name: 'SettlementFormat' });
registerEnumType(ExpectedPaymentStatusEnum, { name: 'ExpectedPaymentStatus' });
registerEnumType(PromiseStatusEnum, { name: 'PromiseStatus' });
