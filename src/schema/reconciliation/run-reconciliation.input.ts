import { IsBoolean, IsDate, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';

@InputType('RunReconciliationInput')
export class RunReconciliationInput {
  @Field(() => ID)
  @IsString()
  @Length(1, 64)
  sourceId!: string;

  @Field({ description: 'Start of the period (inclusive)' })
  @IsDate()
  from!: Date;

  @Field({ description: 'End of the period (exclusive); at most 93 days after from' })
  @IsDate()
  to!: Date;

  @Field(() => String, {
    nullable: true,
    description:
      'Absolute amount tolerance in minor units (default "0"); the larger of this and the relative one applies',
  })
  @IsOptional()
  @Matches(/^\d{1,10}$/, { message: 'amountToleranceMinor must be a whole number of minor units' })
  amountToleranceMinor?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Relative amount tolerance in basis points (default 50 = 0.5%)',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1000)
  amountToleranceBasisPoints?: number | null;

  @Field(() => Int, { nullable: true, description: 'Date tolerance in seconds (default 86400 = 1 day)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(604_800)
  dateToleranceSeconds?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Seconds a settled, loan-matched payment may wait for posting before it is MISSING_IN_LENDER (default 3600)',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2_592_000)
  lenderGraceSeconds?: number | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Re-read the loans of payments posted in the period from the lender and raise MISSING_IN_LENDER for repayments it no longer shows or shows reversed (default true; up to lenderCheckLimit payments per run)',
  })
  @IsOptional()
  @IsBoolean()
  checkLender?: boolean | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Posted payments the lender check re-reads at most (default and ceiling 20000); with more in the period it reads a random sample, a different one each run, and clears only findings on payments it read',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(20_000)
  lenderCheckLimit?: number | null;
}
