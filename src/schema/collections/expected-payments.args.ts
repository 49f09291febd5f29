import {
  ArrayMaxSize,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { ArgsType, Field, ID, InputType } from 'type-graphql';
import { EXPECTED_PAYMENT_STATUSES, type ExpectedPaymentStatus } from '../../domain/enums';
import { ExpectedPaymentStatusEnum } from '../common/enums';
import { PaginationArgs } from '../common/pagination.args';
import { DateScalar } from '../common/scalars';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

@InputType('ExpectedPaymentFilter')
export class ExpectedPaymentFilter {
  @Field(() => [ExpectedPaymentStatusEnum], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(4)
  @IsIn(EXPECTED_PAYMENT_STATUSES, { each: true })
  status?: ExpectedPaymentStatus[];

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  loanAccountId?: string;

  @Field(() => DateScalar, { nullable: true, description: 'Due on or after this date' })
  @IsOptional()
  @Matches(ISO_DATE)
  dueFrom?: string;

  @Field(() => DateScalar, { nullable: true, description: 'Due on or before this date' })
  @IsOptional()
  @Matches(ISO_DATE)
  dueTo?: string;
}

@ArgsType()
export class ExpectedPaymentsArgs extends PaginationArgs {
  @Field(() => ExpectedPaymentFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: ExpectedPaymentFilter;
}
