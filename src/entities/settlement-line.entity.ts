import { BigIntType, Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { TenantEntity } from './base';
import { PaymentSource } from './payment-source.entity';

/** One line of a rail's statement or payout, bulk-loaded with COPY (hence a database-generated key). */
@Entity({ tableName: 'settlement_line' })
@Index({ properties: ['paymentSource', 'providerTransactionId'] })
@Index({ properties: ['importId'] })
export class SettlementLine extends TenantEntity {
  @PrimaryKey({ type: new BigIntType('bigint'), autoincrement: true })
  id!: bigint;

  @ManyToOne(() => PaymentSource, { deleteRule: 'cascade' })
  paymentSource!: PaymentSource;

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
}
