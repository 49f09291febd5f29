import { BigIntType, Entity, Enum, ManyToOne, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { REVERSAL_STATUSES, type ReversalStatus } from '../domain/enums';
import { TenantEntity } from './base';
import { Payment } from './payment.entity';

/** A reversal, refund or charge-back of a payment, from any source, tracked at the rail and at the lender. */
@Entity({ tableName: 'reversal' })
@Unique({ properties: ['payment', 'providerReversalId'] })
export class Reversal extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('rev');

  @ManyToOne(() => Payment, { deleteRule: 'cascade' })
  payment!: Payment;

  @Property({ type: new BigIntType('bigint') })
  amountMinor!: bigint;

  @Property({ type: 'string', length: 3 })
  currency!: string;

  @Property({ type: 'text' })
  reason!: string;

  /** OPERATOR (reversePayment), RAIL (rail-initiated), CHARGEBACK. */
  @Property({ type: 'text' })
  origin!: 'OPERATOR' | 'RAIL' | 'CHARGEBACK';

  @Enum({ items: () => REVERSAL_STATUSES, type: 'text', default: 'PENDING' })
  status: Opt<ReversalStatus> = 'PENDING';

  @Property({ type: 'text', nullable: true })
  providerReversalId?: string | null;

  @Property({ type: 'uuid' })
  idempotencyKey!: string;

  /** NOT_NEEDED (payment never posted), PENDING, REVERSED, FAILED. */
  @Property({ type: 'text', default: 'NOT_NEEDED' })
  lenderState: Opt<'NOT_NEEDED' | 'PENDING' | 'REVERSED' | 'FAILED'> = 'NOT_NEEDED';

  @Property({ type: 'timestamptz', nullable: true })
  lenderReversedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  failureCode?: string | null;

  @Property({ type: 'text', nullable: true })
  requestedBy?: string | null;
}
