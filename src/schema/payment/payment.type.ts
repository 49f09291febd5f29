import { Field, ID, ObjectType } from 'type-graphql';
import type { RailKind } from '../../connectors/types';
import type { PaymentStatus, ReconciliationState } from '../../domain/enums';
import { Connection } from '../common/connection';
import { PaymentStatusEnum, RailKindEnum, ReconciliationStateEnum } from '../common/enums';
import { MoneyType } from '../common/money.type';

@ObjectType('Payment')
export class PaymentType {
  @Field(() => ID)
  id!: string;

  @Field(() => RailKindEnum)
  rail!: RailKind;

  @Field()
  providerTransactionId!: string;

  @Field(() => MoneyType)
  amount!: MoneyType;

  @Field(() => PaymentStatusEnum)
  status!: PaymentStatus;

  @Field(() => ReconciliationStateEnum)
  reconciliationState!: ReconciliationState;

  @Field(() => String, {
    nullable: true,
    description: 'Payer phone/identifier; masked for roles that may not see it',
  })
  payerReference!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Account reference the payer gave (e.g. M-Pesa BillRefNumber)',
  })
  accountReference!: string | null;

  @Field()
  receivedAt!: Date;

  @Field(() => Date, { nullable: true })
  postedAt!: Date | null;

  @Field(() => String, { nullable: true })
  lenderTransactionId!: string | null;

  @Field(() => String, { nullable: true })
  matchRule!: string | null;

  @Field(() => String, { nullable: true })
  failureCode!: string | null;

  // Not exposed: used by field resolvers.
  sourceId!: string;
  loanAccountId!: string | null;
}

@ObjectType('PaymentConnection')
export class PaymentConnection extends Connection(PaymentType, 'Payment') {}
