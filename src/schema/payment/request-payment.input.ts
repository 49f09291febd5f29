import { IsOptional, IsString, Length, Matches, ValidateNested } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { MoneyInput } from '../common/money.input';

@InputType('RequestPaymentInput')
export class RequestPaymentInput {
  @Field(() => ID)
  @IsString()
  @Length(1, 64)
  loanAccountId!: string;

  @Field(() => ID)
  @IsString()
  @Length(1, 64)
  sourceId!: string;

  @Field(() => MoneyInput)
  @ValidateNested()
  amount!: MoneyInput;

  @Field(() => String, { nullable: true, description: "Defaults to the borrower's phone on file" })
  @IsOptional()
  @Matches(/^\+?[\d\s-]{7,20}$/, { message: 'phoneNumber must be a phone number' })
  phoneNumber?: string | null;
}
