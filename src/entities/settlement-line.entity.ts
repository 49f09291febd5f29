import {
  BigIntType,
  Entity,
  Filter,
  Index,
  ManyToOne,
  PrimaryKey,
  Property,
  type Opt,
} from '@mikro-orm/core';
import { TENANT_FILTER } from './base';
import { Organization } from './organization.entity';

/**
 * Lines are found by import through a BRIN index: an import's lines are appended together and import ids grow with
 * time, so each block range holds one import or a few, and the index costs COPY almost nothing. The B-tree it replaced
 * cost COPY 1.0-1.4 s per million lines (3.7-4.1 s with it, 2.7 s without). `= any(ids)` uses it as a bitmap scan.
 * Autosummarize: autovacuum summarises new ranges as they fill (a range not yet summarised is always read).
 */
const IMPORT_INDEX =
  'create index "settlement_line_import_id_index" on "settlement_line" using brin ("import_id") with (autosummarize = on)';

/**
 * One line of a rail's statement or payout, bulk-loaded with COPY (hence a database-generated key). No foreign keys:
 * checking two per row was two thirds of COPY's time for a million lines; the import validates the organization and
 * source in the same transaction, and lines are only ever written by it. A run finds a source's lines through its
 * imports (each knows its period), not through an index on (source, time): keeping that index up to date cost COPY
 * more than the rest of the load (statements are not sorted by time). `import_id` compares bytewise (collate "C",
 * set in a migration; the ORM does not model collations).
 *
 * A line keeps only what is its own: its payment source and its time of loading are its import's, and a line never
 * changes. Tenant-scoped like every row (the tenant filter, an organization column), but not a TenantEntity: the
 * source and the two timestamps were 47 of a line's ~200 bytes, written, WAL-logged and read back by every run.
 */
@Entity({ tableName: 'settlement_line' })
@Filter(TENANT_FILTER)
@Index({ name: 'settlement_line_import_id_index', expression: IMPORT_INDEX })
export class SettlementLine {
  @PrimaryKey({ type: new BigIntType('bigint'), autoincrement: true })
  id!: bigint;

  @ManyToOne(() => Organization, { createForeignKeyConstraint: false })
  organization!: Organization;

  @Property({ type: 'text' })
  importId!: string;

  @Property({ type: 'integer' })
  lineNumber!: number;

  @Property({ type: 'text', nullable: true })
  providerTransactionId?: string | null;

  /** For payout lines covering many payments (1:N). */
  @Property({ type: 'text', nullable: true })
  payoutReference?: string | null;

  @Property({ type: 'text' })
  kind!: string;

  @Property({ type: new BigIntType('bigint') })
  amountMinor!: bigint;

  @Property({ type: 'string', length: 3 })
  currency!: string;

  @Property({ type: 'timestamptz' })
  occurredAt!: Date;

  @Property({ type: 'text', nullable: true })
  reference?: string | null;

  /** Fee the rail deducted for this line (non-negative minor units). */
  @Property({ type: new BigIntType('bigint'), default: 0 })
  feeMinor: Opt<bigint> = 0n;

  /**
   * Signed: what the line did to the merchant's balance at the rail, fees included (positive = credited), as the file
   * states it. Null on lines imported before it was recorded: read those by their kind (see run-sql's LINE_NET).
   */
  @Property({ type: new BigIntType('bigint'), nullable: true })
  netMinor?: bigint | null;

  /** For reversals, refunds and charge-backs: the rail id of the payment they undo. */
  @Property({ type: 'text', nullable: true })
  linkedTransactionId?: string | null;

  /** COMPLETED, FAILED or PENDING as the statement reports it; only COMPLETED lines are reconciled. */
  @Property({ type: 'text', default: 'COMPLETED' })
  status: Opt<string> = 'COMPLETED';
}
