import { IsString, Length, Matches, MaxLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';

@InputType('MoneyInput')
export class MoneyInput {
  @Field({ description: 'Decimal string at the currency exponent, e.g. "50000" (UGX) or "500.00" (KES)' })
  @IsString()
  @MaxLength(32)
  @Matches(/^\d+(\.\d+)?$/, { message: 'amount must be a positive decimal string such as "500.00"' })
  amount!: string;

  @Field({ description: 'ISO 4217 code' })
  @IsString()
  @Length(3, 3, { message: 'currency must be a 3-letter ISO 4217 code' })
  currency!: string;
}
