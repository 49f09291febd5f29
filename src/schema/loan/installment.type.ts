import { Field, ID, Int, ObjectType } from 'type-graphql';
import { MoneyType } from '../common/money.type';
import { DateScalar } from '../common/scalars';

@ObjectType('Installment')
export class InstallmentType {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  number!: number;

  @Field(() => DateScalar)
  dueDate!: string;

  @Field(() => MoneyType)
  totalDue!: MoneyType;

  @Field(() => MoneyType)
  totalPaid!: MoneyType;

  @Field(() => MoneyType)
  totalOutstanding!: MoneyType;

  @Field()
  complete!: boolean;
}
