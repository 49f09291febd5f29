import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Connection } from '../common/connection';
import { MoneyType } from '../common/money.type';
import { JSONScalar } from '../common/scalars';
import { DiscrepancyTypeEnum } from '../common/enums';
import type { DiscrepancyType } from '../../domain/enums';

@ObjectType('ReconciliationCurrencySummary', { description: "A run's figures for one currency" })
export class ReconciliationCurrencySummary {
  @Field()
  currency!: string;

  @Field(() => Int, { description: 'Payment lines on the statement in the period' })
  statementPayments!: number;

  @Field(() => MoneyType, { description: 'What the statement says was paid in' })
  statementTotal!: MoneyType;

  @Field(() => Int)
  matchedCount!: number;

  @Field(() => MoneyType, {
    description: 'Statement amount matched to Lipa payments (exactly or within tolerance)',
  })
  matched!: MoneyType;

  @Field(() => MoneyType, { description: 'Sum of differences accepted within tolerance' })
  drift!: MoneyType;

  @Field(() => Int)
  unmatchedCount!: number;

  @Field(() => MoneyType, {
    description: 'Statement amount on discrepancies; matched + unmatched = statementTotal',
  })
  unmatched!: MoneyType;

  @Field(() => Int, { description: "Lipa's settled-status payments in the period" })
  lipaPayments!: number;

  @Field(() => Int, { description: 'Of those, posted to the lender' })
  postedToLender!: number;
}

@ObjectType('ReconciliationDiscrepancyCount')
export class ReconciliationDiscrepancyCount {
  @Field(() => DiscrepancyTypeEnum)
  type!: DiscrepancyType;

  @Field(() => Int)
  count!: number;

  @Field(() => MoneyType)
  amount!: MoneyType;
}

@ObjectType('ReconciliationRun')
export class ReconciliationRunType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  sourceId!: string;

  @Field()
  from!: Date;

  @Field()
  to!: Date;

  @Field({ description: 'QUEUED, RUNNING, COMPLETED or FAILED' })
  status!: string;

  @Field(() => [ReconciliationCurrencySummary])
  summary!: ReconciliationCurrencySummary[];

  @Field(() => [ReconciliationDiscrepancyCount], {
    description: 'Discrepancies this run found, per type and currency',
  })
  discrepancyCounts!: ReconciliationDiscrepancyCount[];

  @Field(() => JSONScalar, {
    nullable: true,
    description: 'Every figure the run computed (outcome x line kind)',
  })
  stats!: Record<string, unknown> | null;

  @Field(() => JSONScalar, { nullable: true, description: 'The tolerances used' })
  options!: Record<string, unknown> | null;

  @Field(() => String, { nullable: true, description: 'Path of the CSV export of its exceptions' })
  exceptionsCsvPath!: string | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  completedAt!: Date | null;
}

@ObjectType('ReconciliationRunConnection')
export class ReconciliationRunConnection extends Connection(ReconciliationRunType, 'ReconciliationRun') {}
