import { Field, ID, ObjectType } from 'type-graphql';
import type { DiscrepancyStatus, DiscrepancyType } from '../../domain/enums';
import { Connection } from '../common/connection';
import { DiscrepancyStatusEnum, DiscrepancyTypeEnum } from '../common/enums';
import { MoneyType } from '../common/money.type';
import { JSONScalar } from '../common/scalars';

@ObjectType('Discrepancy', {
  description:
    'An exception for finance: what disagrees, the evidence from each side, and where it is in review',
})
export class DiscrepancyObject {
  @Field(() => ID)
  id!: string;

  @Field(() => DiscrepancyTypeEnum)
  type!: DiscrepancyType;

  @Field(() => DiscrepancyStatusEnum)
  status!: DiscrepancyStatus;

  @Field({ description: 'What is wrong, in words finance can act on' })
  summary!: string;

  @Field(() => MoneyType, { nullable: true, description: 'The amount at stake (the line or payment amount)' })
  amount!: MoneyType | null;

  @Field(() => ID, { nullable: true })
  paymentId!: string | null;

  @Field(() => ID, { nullable: true })
  loanAccountId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The rail source it is about' })
  sourceId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The reconciliation run that last found it' })
  reconciliationRunId!: string | null;

  @Field(() => JSONScalar, {
    description:
      'The rows on each side (settlement line, payment, payout totals, candidates): ids and amounts only',
  })
  evidence!: Record<string, unknown>;

  @Field(() => String, {
    nullable: true,
    description: 'How it was closed (RESOLVED, DISMISSED or a short text)',
  })
  resolution!: string | null;

  @Field(() => String, { nullable: true })
  note!: string | null;

  @Field(() => String, { nullable: true, description: 'Who closed it (API key or user id, or "system")' })
  resolvedBy!: string | null;

  @Field(() => Date, { nullable: true })
  resolvedAt!: Date | null;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@ObjectType('DiscrepancyConnection')
export class DiscrepancyConnection extends Connection(DiscrepancyObject, 'Discrepancy') {}
