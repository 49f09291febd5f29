import { BigIntType, Entity, Enum, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { PROMISE_STATUSES, type PromiseStatus } from '../domain/enums';
import { TenantEntity } from './base';
import { LoanAccount } from './loan-account.entity';

@Entity({ tableName: 'promise_to_pay' })
export class PromiseToPay extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('ptp');

  @ManyToOne(() => LoanAccount, { deleteRule: 'cascade' })
  loanAccount!: LoanAccount;

  @Property({ type: new BigIntType('bigint') })
  amountMinor!: bigint;

  @Property({ type: 'string', length: 3 })
  currency!: string;

  @Property({ type: 'date' })
  promisedDate!: string;

  @Property({ type: 'integer', default: 0 })
  graceDays: Opt<number> = 0;

  @Property({ type: 'integer', default: 100 })
  thresholdPct: Opt<number> = 100;

  @Enum({ items: () => PROMISE_STATUSES, type: 'text', default: 'OPEN' })
  status: Opt<PromiseStatus> = 'OPEN';

  @Property({ type: new BigIntType('bigint'), default: 0 })
  paidMinor: Opt<bigint> = 0n;

  @Property({ type: 'text', nullable: true })
  createdBy?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  evaluatedAt?: Date | null;
}
