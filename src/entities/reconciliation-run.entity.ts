import { Entity, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { TenantEntity } from './base';
import { PaymentSource } from './payment-source.entity';

@Entity({ tableName: 'reconciliation_run' })
export class ReconciliationRun extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('recon');

  @ManyToOne(() => PaymentSource, { deleteRule: 'cascade' })
  paymentSource!: PaymentSource;

  @Property({ type: 'timestamptz' })
  periodFrom!: Date;

  @Property({ type: 'timestamptz' })
  periodTo!: Date;

  @Property({ type: 'text', default: 'QUEUED' })
  status: Opt<'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED'> = 'QUEUED';

  /** Counts and amounts per outcome and discrepancy type (minor units as strings). */
  @Property({ type: 'jsonb', nullable: true })
  stats?: Record<string, unknown> | null;

  @Property({ type: 'timestamptz', nullable: true })
  startedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  completedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  error?: string | null;

  @Property({ type: 'text', nullable: true })
  createdBy?: string | null;

  /**
   * The settlement imports the run read (set when it completes). With them, `reconciliation_line_outcome` rebuilds
   * the outcome of every line, including the plain matches the run does not record one by one.
   */
  @Property({ type: 'text[]', nullable: true })
  importIds?: string[] | null;

  /** The tolerances the run used: `{ amountToleranceMinor, amountToleranceBasisPoints, dateToleranceSeconds }`. */
  @Property({ type: 'jsonb', nullable: true })
  options?: Record<string, unknown> | null;
}
