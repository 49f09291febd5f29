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
import { EXPECTED_PAYMENT_STATUSES, type ExpectedPaymentStatus } from '../domain/enums';
import { newId } from '../domain/ids';
import { TenantEntity } from './base';
import { LoanAccount } from './loan-account.entity';
import { Payment } from './payment.entity';

/**
 * What one installment asks of the borrower (generated from the lender's schedule) and how far payments cover it.
 * Keyed by (loan, installment number): installments are re-read from the lender, expectations persist.
 */
@Entity({ tableName: 'expected_payment' })
@Unique({ properties: ['loanAccount', 'installmentNumber'] })
@Index({ properties: ['status', 'dueDate'] })
export class ExpectedPayment extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('expp');

  @ManyToOne(() => LoanAccount, { deleteRule: 'cascade' })
  loanAccount!: LoanAccount;

  @Property({ type: 'integer' })
  installmentNumber!: number;

  @Property({ type: 'date' })
  dueDate!: string;

  @Property({ type: new BigIntType('bigint') })
  amountMinor!: bigint;

  @Property({ type: 'string', length: 3 })
  currency!: string;

  /** Covered by Lipa's matched payments (sum of its matches). */
  @Property({ type: new BigIntType('bigint'), default: 0 })
  metMinor: Opt<bigint> = 0n;

  /** Paid according to the lender's schedule (includes payments Lipa never saw). */
  @Property({ type: new BigIntType('bigint'), default: 0 })
  lenderPaidMinor: Opt<bigint> = 0n;

  @Enum({ items: () => EXPECTED_PAYMENT_STATUSES, type: 'text', default: 'OPEN' })
  status: Opt<ExpectedPaymentStatus> = 'OPEN';

  @Property({ type: 'timestamptz', nullable: true })
  metAt?: Date | null;

  /** When the overdue event was emitted (cleared when met, so a re-opened expectation is announced again). */
  @Property({ type: 'timestamptz', nullable: true })
  overdueNotifiedAt?: Date | null;
}

/** The part of a payment that covers an expectation; reversals take these back. */
@Entity({ tableName: 'expected_payment_match' })
@Unique({ properties: ['expectedPayment', 'payment'] })
@Index({ properties: ['payment'] })
export class ExpectedPaymentMatch extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('expm');

  @ManyToOne(() => ExpectedPayment, { deleteRule: 'cascade' })
  expectedPayment!: ExpectedPayment;

  @ManyToOne(() => Payment, { deleteRule: 'cascade' })
  payment!: Payment;

  @Property({ type: new BigIntType('bigint') })
  amountMinor!: bigint;
}
