import { ArrayMaxSize, IsIn, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { ArgsType, Field, ID, InputType } from 'type-graphql';
import {
  DISCREPANCY_STATUSES,
  DISCREPANCY_TYPES,
  type DiscrepancyStatus,
  type DiscrepancyType,
} from '../../domain/enums';
import { DiscrepancyStatusEnum, DiscrepancyTypeEnum } from '../common/enums';
import { PaginationArgs } from '../common/pagination.args';

@InputType('DiscrepancyFilter')
export class DiscrepancyFilter {
  @Field(() => [DiscrepancyStatusEnum], { nullable: true, description: 'Any of these statuses' })
  @IsOptional()
  @ArrayMaxSize(4)
  @IsIn(DISCREPANCY_STATUSES, { each: true })
  status?: DiscrepancyStatus[];

  @Field(() => [DiscrepancyTypeEnum], { nullable: true, description: 'Any of these types' })
  @IsOptional()
  @ArrayMaxSize(20)
  @IsIn(DISCREPANCY_TYPES, { each: true })
  type?: DiscrepancyType[];

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  sourceId?: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  reconciliationRunId?: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  paymentId?: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  loanAccountId?: string;
}

@ArgsType()
export class DiscrepanciesArgs extends PaginationArgs {
  @Field(() => DiscrepancyFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: DiscrepancyFilter;
}
