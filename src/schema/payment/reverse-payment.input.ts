import { IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { MoneyInput } from '../common/money.input';

@InputType('ReversePaymentInput')
export class ReversePaymentInput {
  @Field(() => ID)
  @IsString()
  @Length(1, 64)
  paymentId!: string;

  @Field()
  @IsString()
  @Length(2, 100)
  reason!: string;

  @Field(() => MoneyInput, {
    nullable: true,
    description: 'Partial amount, where the rail allows it; whole payment by default',
  })
  @IsOptional()
  @ValidateNested()
  amount?: MoneyInput | null;
}
