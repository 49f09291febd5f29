import { IsInt, IsOptional, IsString, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { MoneyInput } from '../common/money.input';
import { DateScalar } from '../common/scalars';

@InputType('RecordPromiseToPayInput')
export class RecordPromiseToPayInput {
  @Field(() => ID)
  @IsString()
  @Length(1, 64)
  loanAccountId!: string;

  @Field(() => MoneyInput, { description: "In the loan's currency" })
  @ValidateNested()
  amount!: MoneyInput;

  @Field(() => DateScalar, {
    description: "From today to 90 days ahead, in the organization's time zone",
  })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'promisedDate must be a date written YYYY-MM-DD' })
  promisedDate!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Days after promisedDate that payments still count (0 to 30, default 0)',
  })
  @IsOptional()
  @IsInt()
  graceDays?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Share of the amount (1 to 100, default 100) that must arrive for the promise to be kept',
  })
  @IsOptional()
  @IsInt()
  thresholdPct?: number | null;

  @Field(() => String, { nullable: true, description: 'For the audit log (up to 1,000 characters)' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  note?: string | null;
}
