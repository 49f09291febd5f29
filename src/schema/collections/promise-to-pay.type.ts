import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { PromiseStatus } from '../../domain/enums';
import { Connection } from '../common/connection';
import { PromiseStatusEnum } from '../common/enums';
import { MoneyType } from '../common/money.type';
import { DateScalar } from '../common/scalars';

@ObjectType('PromiseToPay', {
  description:
    "A borrower's promise to pay an amount by a date, and how far payments received in its window cover it",
})
export class PromiseToPayType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  loanAccountId!: string;

  @Field(() => MoneyType, { description: 'What was promised' })
  amount!: MoneyType;

  @Field(() => MoneyType, { description: 'What must arrive to keep it: ceil(amount x thresholdPct / 100)' })
  required!: MoneyType;

  @Field(() => MoneyType, {
    description: 'Payments matched to the loan in the window, less what reversals took back',
  })
  paid!: MoneyType;

  @Field(() => DateScalar)
  promisedDate!: string;

  @Field(() => Int, { description: 'Days after promisedDate that payments still count' })
  graceDays!: number;

  @Field(() => Int, { description: 'Share of the amount (1 to 100) that must arrive' })
  thresholdPct!: number;

  @Field(() => PromiseStatusEnum, {
    description:
      'OPEN until paid >= required (KEPT) or the window closes short (PARTIALLY_KEPT, or BROKEN with nothing paid); CANCELLED when a newer promise superseded it',
  })
  status!: PromiseStatus;

  @Field(() => String, { nullable: true, description: 'API key id or user (JWT subject) who recorded it' })
  createdBy!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'When it was last judged KEPT, PARTIALLY_KEPT or BROKEN',
  })
  evaluatedAt!: Date | null;
}

@ObjectType('PromiseToPayConnection')
export class PromiseToPayConnection extends Connection(PromiseToPayType, 'PromiseToPay') {}
