import { Field, ID, ObjectType } from 'type-graphql';
import { Connection } from '../common/connection';
import { MoneyType } from '../common/money.type';

@ObjectType('Reversal', {
  description: 'A reversal, refund or charge-back of a payment, tracked at the rail and at the lender',
})
export class ReversalType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  paymentId!: string;

  @Field(() => MoneyType)
  amount!: MoneyType;

  @Field()
  reason!: string;

  @Field({ description: 'OPERATOR, RAIL or CHARGEBACK' })
  origin!: string;

  @Field({ description: 'PENDING until the rail confirms; SUCCEEDED or FAILED' })
  status!: string;

  @Field({ description: 'NOT_NEEDED (never posted), PENDING, REVERSED or FAILED at the lender' })
  lenderState!: string;

  @Field(() => String, { nullable: true })
  providerReversalId!: string | null;

  @Field(() => String, { nullable: true })
  failureCode!: string | null;

  @Field()
  createdAt!: Date;
}

@ObjectType('ReversalConnection')
export class ReversalConnection extends Connection(ReversalType, 'Reversal') {}
