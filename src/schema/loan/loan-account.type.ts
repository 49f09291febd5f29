import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { AgingBucket, LoanStatus } from '../../domain/enums';
import { AgingBucketEnum, LoanStatusEnum } from '../common/enums';
import { Connection } from '../common/connection';
import { MoneyType } from '../common/money.type';
import { DateScalar } from '../common/scalars';

@ObjectType('LoanAccount')
export class LoanAccountType {
  @Field(() => ID)
  id!: string;

  @Field({ description: "The lender's id for the loan" })
  externalId!: string;

  @Field()
  accountNumber!: string;

  @Field(() => String, { nullable: true })
  externalReference!: string | null;

  @Field()
  currency!: string;

  @Field(() => LoanStatusEnum)
  status!: LoanStatus;

  @Field(() => MoneyType)
  principal!: MoneyType;

  @Field(() => MoneyType, { description: 'Outstanding as the lender reports it (the ledger of record)' })
  lenderOutstanding!: MoneyType;

  @Field(() => MoneyType)
  overdue!: MoneyType;

  @Field(() => Int)
  daysPastDue!: number;

  @Field(() => AgingBucketEnum)
  agingBucket!: AgingBucket;

  @Field(() => String, { nullable: true })
  delinquencyClass!: string | null;

  @Field(() => DateScalar, { nullable: true })
  nextDueDate!: string | null;

  @Field(() => Date, { nullable: true })
  lastSyncedAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Set when the loan disappeared from the lender; never deleted',
  })
  missingUpstreamSince!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why the loan could not be read at the last sync' })
  syncError!: string | null;

  @Field(() => String, { nullable: true })
  assignedAgentId!: string | null;

  // Not exposed: used by field resolvers.
  lendingSourceId!: string;
  borrowerId!: string | null;
  lenderOutstandingMinor!: bigint;
}

@ObjectType('LoanAccountConnection')
export class LoanAccountConnection extends Connection(LoanAccountType, 'LoanAccount') {}
