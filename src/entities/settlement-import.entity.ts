import { Entity, ManyToOne, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { TenantEntity } from './base';
import { PaymentSource } from './payment-source.entity';

/**
 * One upload of a rail's statement or payout file. Its lines are COPYed into `settlement_line` in one transaction;
 * the row itself is committed first so a client can watch `linesRead` grow. The same file imported twice for one
 * source is recognised by its SHA-256 and not loaded again.
 */
@Entity({ tableName: 'settlement_import' })
@Unique({ properties: ['paymentSource', 'contentSha256'] })
export class SettlementImport extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('simp');

  @ManyToOne(() => PaymentSource, { deleteRule: 'cascade' })
  paymentSource!: PaymentSource;

  @Property({ type: 'text' })
  format!: string;

  /** LOADING, COMPLETED, FAILED (nothing kept) or DUPLICATE (same bytes as `duplicateOf`). */
  @Property({ type: 'text', default: 'LOADING' })
  status: Opt<'LOADING' | 'COMPLETED' | 'FAILED' | 'DUPLICATE'> = 'LOADING';

  /** Set when the whole file has been read (null while loading and for failed or duplicate uploads). */
  @Property({ type: 'text', nullable: true })
  contentSha256?: string | null;

  @Property({ type: 'text', nullable: true })
  duplicateOf?: string | null;

  @Property({ type: 'bigint', default: 0 })
  bytesRead: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  linesRead: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  linesRejected: Opt<number> = 0;

  /** Per currency and kind: `{ "KES": { "PAYMENT": { "count": 3, "amountMinor": "1500" } } }`. */
  @Property({ type: 'jsonb', nullable: true })
  totals?: Record<string, Record<string, { count: number; amountMinor: string }>> | null;

  @Property({ type: 'timestamptz', nullable: true })
  periodFrom?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  periodTo?: Date | null;

  /**
   * The (kind, key) pairs the file lists more than once, found while it streamed (a superset: see RepeatedKeyFinder).
   * A run over this import alone ranks just these lines instead of grouping every line by key. Null when not known:
   * imports before this column, or a file with more than 100,000 candidates; a run then finds them itself.
   */
  @Property({ type: 'jsonb', nullable: true, lazy: true })
  repeatedKeys?: Array<{ kind: string; key: string }> | null;

  /** The first problems found (bounded), each with its line number. */
  @Property({ type: 'jsonb', nullable: true })
  errors?: Array<{ lineNumber: number; message: string }> | null;

  @Property({ type: 'text', nullable: true })
  createdBy?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  completedAt?: Date | null;
}
