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
import { PROMISE_STATUSES, type PromiseStatus } from '../domain/enums';
import { TenantEntity } from './base';
import { LoanAccount } from './loan-account.entity';
import { Payment } from './payment.entity';

/**
 * A borrower's promise to pay `amountMinor` by `promisedDate` (plus `graceDays`), and how far payments matched to
 * the loan inside its window cover it. Judged by the rules in domain/promises.ts.
 */
@Entity({ tableName: 'promise_to_pay' })
@Index({ properties: ['loanAccount', 'status'] })
@Index({ properties: ['status', 'promisedDate'] })
export class PromiseToPay extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('ptp');

  @ManyToOne(() => LoanAccount, { deleteRule: 'cascade' })
  loanAccount!: LoanAccount;

  /** What was promised, in the loan's currency. */
  @Property({ type: new BigIntType('bigint') })
  amountMinor!: bigint;

  @Property({ type: 'string', length: 3 })
  currency!: string;

  @Property({ type: 'date' })
  promisedDate!: string;

  @Property({ type: 'integer', default: 0 })
  graceDays: Opt<number> = 0;

  /** Share (1 to 100) of `amountMinor` that must arrive for the promise to be kept. */
  @Property({ type: 'integer', default: 100 })
  thresholdPct: Opt<number> = 100;

  @Enum({ items: () => PROMISE_STATUSES, type: 'text', default: 'OPEN' })
  status: Opt<PromiseStatus> = 'OPEN';

  /** Sum of its matches: payments in the window, less what reversals took back. */
  @Property({ type: new BigIntType('bigint'), default: 0 })
  paidMinor: Opt<bigint> = 0n;

  /** API key id or JWT subject of whoever recorded it. */
  @Property({ type: 'text', nullable: true })
  createdBy?: string | null;

  /** When it was last judged KEPT, PARTIALLY_KEPT or BROKEN (cleared when a reversal re-opens it). */
  @Property({ type: 'timestamptz', nullable: true })
  evaluatedAt?: Date | null;
}

/** The part of a payment that counts toward a promise; reversals take these back. */
@Entity({ tableName: 'promise_to_pay_match' })
@Unique({ properties: ['promiseToPay', 'payment'] })
@Index({ properties: ['payment'] })
export class PromiseToPayMatch extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('ptpm');

  @ManyToOne(() => PromiseToPay, { deleteRule: 'cascade' })
  promiseToPay!: PromiseToPay;

  @ManyToOne(() => Payment, { deleteRule: 'cascade' })
  payment!: Payment;

  @Property({ type: new BigIntType('bigint') })
  amountMinor!: bigint;
}
