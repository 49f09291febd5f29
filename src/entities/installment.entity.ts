import { BigIntType, Entity, ManyToOne, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { TenantEntity } from './base';
import { LoanAccount } from './loan-account.entity';

@Entity({ tableName: 'installment' })
@Unique({ properties: ['loanAccount', 'number'] })
export class Installment extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('inst');

  @ManyToOne(() => LoanAccount, { deleteRule: 'cascade' })
  loanAccount!: LoanAccount;

  @Property({ type: 'integer' })
  number!: number;

  @Property({ type: 'date' })
  dueDate!: string;

  @Property({ type: new BigIntType('bigint') })
  totalDueMinor!: bigint;

  @Property({ type: new BigIntType('bigint') })
  totalPaidMinor!: bigint;

  @Property({ type: new BigIntType('bigint') })
  totalOutstandingMinor!: bigint;

  @Property({ type: new BigIntType('bigint') })
  principalDueMinor!: bigint;

  @Property({ type: new BigIntType('bigint') })
  interestDueMinor!: bigint;

  @Property({ type: 'boolean' })
  complete!: boolean;
}
