import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { ExpectedPaymentStatus } from '../../domain/enums';
import { Connection } from '../common/connection';
import { ExpectedPaymentStatusEnum } from '../common/enums';
import { MoneyType } from '../common/money.type';
import { DateScalar } from '../common/scalars';

@ObjectType('ExpectedPayment', {
  description:
    "What one installment of the lender's schedule asks of the borrower, and how far payments cover it",
})
export class ExpectedPaymentType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  loanAccountId!: string;

  @Field(() => Int)
  installmentNumber!: number;

  @Field(() => DateScalar)
  dueDate!: string;

  @Field(() => MoneyType, { description: "The installment's total due" })
  amount!: MoneyType;

  @Field(() => MoneyType, { description: "Covered by Lipa's matched payments" })
  met!: MoneyType;

  @Field(() => MoneyType, {
    description: "Paid according to the lender's schedule (includes other channels)",
  })
  lenderPaid!: MoneyType;

  @Field(() => MoneyType, { description: 'amount - max(met, lenderPaid), never below zero' })
  remaining!: MoneyType;

  @Field(() => ExpectedPaymentStatusEnum, {
    description: 'OPEN, PARTLY_MET, MET, or OVERDUE (due date passed, not fully covered)',
  })
  status!: ExpectedPaymentStatus;

  @Field(() => Date, { nullable: true })
  metAt!: Date | null;
}

@ObjectType('ExpectedPaymentConnection')
export class ExpectedPaymentConnection extends Connection(ExpectedPaymentType, 'ExpectedPayment') {}
