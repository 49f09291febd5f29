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
  DISCREPANCY_STATUSES,
  DISCREPANCY_TYPES,
  type DiscrepancyStatus,
  type DiscrepancyType,
} from '../domain/enums';
import { TenantEntity } from './base';
import { LoanAccount } from './loan-account.entity';
import { Payment } from './payment.entity';

/** An exception for finance, typed, with the evidence from each side. De-duplicated across runs by `dedupeKey`. */
@Entity({ tableName: 'discrepancy' })
@Unique({ properties: ['organization', 'dedupeKey'] })
@Index({ properties: ['status', 'type'] })
@Index({ properties: ['paymentSourceId', 'status'] })
@Index({ properties: ['reconciliationRunId'] })
export class Discrepancy extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('disc');

  @Enum({ items: () => DISCREPANCY_TYPES, type: 'text' })
  type!: DiscrepancyType;

  @Enum({ items: () => DISCREPANCY_STATUSES, type: 'text', default: 'OPEN' })
  status: Opt<DiscrepancyStatus> = 'OPEN';

  @Property({ type: 'text' })
  dedupeKey!: string;

  @ManyToOne(() => Payment, { nullable: true, deleteRule: 'set null' })
  payment?: Payment | null;

  @ManyToOne(() => LoanAccount, { nullable: true, deleteRule: 'set null' })
  loanAccount?: LoanAccount | null;

  @Property({ type: 'text', nullable: true })
  reconciliationRunId?: string | null;

  /** The rail source the exception is about, when there is one (filters and auto-clearing by run). */
  @Property({ type: 'text', nullable: true })
  paymentSourceId?: string | null;

  @Property({ type: new BigIntType('bigint'), nullable: true })
  amountMinor?: bigint | null;

  @Property({ type: 'string', length: 3, nullable: true })
  currency?: string | null;

  @Property({ type: 'text' })
  summary!: string;

  @Property({ type: 'jsonb' })
  evidence!: Record<string, unknown>;

  @Property({ type: 'text', nullable: true })
  resolution?: string | null;

  @Property({ type: 'text', nullable: true })
  note?: string | null;

  @Property({ type: 'text', nullable: true })
  resolvedBy?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  resolvedAt?: Date | null;
}
