import { IsIn, IsOptional, IsString, MaxLength, Min, ValidateNested } from 'class-validator';
import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { AGING_BUCKETS, LOAN_STATUSES, type AgingBucket, type LoanStatus } from '../../domain/enums';
import { AgingBucketEnum, LoanStatusEnum } from '../common/enums';
import { PaginationArgs } from '../common/pagination.args';

@InputType('LoanAccountFilter')
export class LoanAccountFilter {
  @Field(() => LoanStatusEnum, { nullable: true })
  @IsOptional()
  @IsIn(LOAN_STATUSES)
  status?: LoanStatus;

  @Field(() => AgingBucketEnum, { nullable: true })
  @IsOptional()
  @IsIn(AGING_BUCKETS)
  agingBucket?: AgingBucket;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  sourceId?: string;

  @Field(() => String, { nullable: true, description: 'Exact account number or external id' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  accountNumber?: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  borrowerId?: string;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @Min(0)
  minDaysPastDue?: number;

  @Field(() => String, { nullable: true, description: 'Only loans assigned to this agent' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  assignedAgentId?: string;
}

@ArgsType()
export class LoanAccountsArgs extends PaginationArgs {
  @Field(() => LoanAccountFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: LoanAccountFilter;
}
