import { BigIntType, Entity, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { TenantEntity } from './base';
import { Installment } from './installment.entity';
import { LoanAccount } from './loan-account.entity';
import { Payment } from './payment.entity';

/** How a payment was applied: to which loan (and installment, when known), for how much. */
@Entity({ tableName: 'payment_allocation' })
export class PaymentAllocation extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('alloc');

  @ManyToOne(() => Payment, { deleteRule: 'cascade' })
  payment!: Payment;

  @ManyToOne(() => LoanAccount, { deleteRule: 'cascade' })
  loanAccount!: LoanAccount;

  @ManyToOne(() => Installment, { nullable: true, deleteRule: 'set null' })
  installment?: Installment | null;

  @Property({ type: new BigIntType('bigint') })
  amountMinor!: bigint;

  @Property({ type: 'string', length: 3 })
  currency!: string;

  /** POSTED (accepted by the lender) or OVERPAYMENT (beyond what the lender accepted). */
  @Property({ type: 'text' })
  kind!: 'POSTED' | 'OVERPAYMENT';
}
