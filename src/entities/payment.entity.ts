import {
  BigIntType,
  Entity,
  Enum,
  Index,
  ManyToOne,
  PrimaryKey,
  Property,
  Unique,
  type Opt,
} from '@mikro-orm/core';
import { newId } from '../domain/ids';
import {
  PAYMENT_STATUSES,
  RAIL_KINDS,
  RECONCILIATION_STATES,
  type PaymentStatus,
  type ReconciliationState,
} from '../domain/enums';
import type { RailKind } from '../connectors/types';
import { TenantEntity } from './base';
import { LoanAccount } from './loan-account.entity';
import { PaymentSource } from './payment-source.entity';

/**
 * Payments by time of receipt, for a reconciliation run's window (run-sql.ts): a BRIN index, since payments are written
 * as they arrive and a block range covers a short span of time, so it costs ingest almost nothing.
 */
const RECEIVED_AT_INDEX =
  'create index "payment_received_at_brin" on "payment" using brin ("received_at") with (autosummarize = on)';

/** A payment on a rail. Unique per source and provider transaction id; moves only through domain/payment-state. */
@Entity({ tableName: 'payment' })
@Unique({ properties: ['paymentSource', 'providerTransactionId'] })
@Index({ properties: ['loanAccount', 'receivedAt'] })
@Index({ properties: ['reconciliationState'] })
@Index({ name: 'payment_received_at_brin', expression: RECEIVED_AT_INDEX })
export class Payment extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('pay');

  @ManyToOne(() => PaymentSource, { deleteRule: 'restrict' })
  paymentSource!: PaymentSource;

  @Enum({ items: () => RAIL_KINDS, type: 'text' })
  rail!: RailKind;

  /** Rail transaction id (M-Pesa receipt); `req:<providerRequestId>` for a failed request that never got one. */
  @Property({ type: 'text' })
  providerTransactionId!: string;

  @Index()
  @Property({ type: 'text', nullable: true })
  providerRequestId?: string | null;

  @Property({ type: 'text', nullable: true })
  paymentRequestId?: string | null;

  @Property({ type: new BigIntType('bigint') })
  amountMinor!: bigint;

  @Property({ type: 'string', length: 3 })
  currency!: string;

  @Enum({ items: () => PAYMENT_STATUSES, type: 'text' })
  status!: PaymentStatus;

  @Enum({ items: () => RECONCILIATION_STATES, type: 'text', default: 'UNMATCHED' })
  reconciliationState: Opt<ReconciliationState> = 'UNMATCHED';

  /** Normalised account reference the payer gave (BillRefNumber, upper-case). */
  @Index()
  @Property({ type: 'text', nullable: true })
  accountReference?: string | null;

  /** Payer identifier as the rail gave it (phone, possibly masked): personal data. */
  @Property({ type: 'text', nullable: true })
  payerReference?: string | null;

  @Property({ type: 'timestamptz' })
  receivedAt!: Date;

  @ManyToOne(() => LoanAccount, { nullable: true, deleteRule: 'set null' })
  loanAccount?: LoanAccount | null;

  /** Which matching rule linked the payment to its loan, and on what evidence. */
  @Property({ type: 'text', nullable: true })
  matchRule?: string | null;

  @Property({ type: 'jsonb', nullable: true })
  matchEvidence?: Record<string, unknown> | null;

  @Property({ type: 'timestamptz', nullable: true })
  postedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  lenderTransactionId?: string | null;

  /** Amount the lender accepted (may be less than the payment on overpayment). */
  @Property({ type: new BigIntType('bigint'), nullable: true })
  postedAmountMinor?: bigint | null;

  @Property({ type: 'integer', default: 0 })
  postingAttempts: Opt<number> = 0;

  @Property({ type: 'text', nullable: true })
  postingError?: string | null;

  /** Claim on the posting: set (with a lease) by the worker posting it, so two workers cannot post concurrently. */
  @Property({ type: 'timestamptz', nullable: true })
  postingClaimedUntil?: Date | null;

  @Property({ type: new BigIntType('bigint'), default: 0 })
  refundedMinor: Opt<bigint> = 0n;

  @Property({ type: 'text', nullable: true })
  failureCode?: string | null;

  @Property({ type: 'text', nullable: true })
  failureMessage?: string | null;
}
