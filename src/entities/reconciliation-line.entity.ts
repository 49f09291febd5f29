import { BigIntType, Entity, Filter, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * What one reconciliation run concluded about one statement line: its outcome, the rule and the payment it was
 * paired with. Written in bulk by the run (one INSERT ... SELECT), so it carries the organization as a plain
 * column (no foreign keys to check per row); the tenant filter still applies.
 */
@Entity({ tableName: 'reconciliation_line' })
@Filter({
  name: 'tenant',
  cond: (args: { organizationId: string }) => ({ organizationId: args.organizationId }),
  default: true,
})
export class ReconciliationLine {
  @PrimaryKey({ type: 'text' })
  reconciliationRunId!: string;

  @PrimaryKey({ type: new BigIntType('bigint') })
  settlementLineId!: bigint;

  @Property({ type: 'text' })
  organizationId!: string;

  /** MATCHED, MATCHED_WITHIN_TOLERANCE, MATCHED_FUZZY, DUPLICATE, UNMATCHED, AMOUNT_MISMATCH, PAYOUT_MISMATCH, ... */
  @Property({ type: 'text' })
  outcome!: string;

  /** TRANSACTION_ID, REFERENCE_AMOUNT_DATE or PAYOUT_ITEMS. */
  @Property({ type: 'text', nullable: true })
  rule?: string | null;

  @Property({ type: 'text', nullable: true })
  paymentId?: string | null;
}
