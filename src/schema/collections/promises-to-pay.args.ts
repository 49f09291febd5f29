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
import { PROMISE_STATUSES, type PromiseStatus } from '../../domain/enums';
import { PromiseStatusEnum } from '../common/enums';
import { PaginationArgs } from '../common/pagination.args';
import { DateScalar } from '../common/scalars';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

@InputType('PromiseToPayFilter')
export class PromiseToPayFilter {
  @Field(() => [PromiseStatusEnum], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(PROMISE_STATUSES.length)
  @IsIn(PROMISE_STATUSES, { each: true })
  status?: PromiseStatus[];

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  loanAccountId?: string;

  @Field(() => DateScalar, { nullable: true, description: 'Promised on or after this date' })
  @IsOptional()
  @Matches(ISO_DATE)
  promisedFrom?: string;

  @Field(() => DateScalar, { nullable: true, description: 'Promised on or before this date' })
  @IsOptional()
  @Matches(ISO_DATE)
  promisedTo?: string;
}

@ArgsType()
export class PromisesToPayArgs extends PaginationArgs {
  @Field(() => PromiseToPayFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: PromiseToPayFilter;
}
