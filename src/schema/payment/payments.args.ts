import { IsDate, IsIn, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { ArgsType, Field, ID, InputType } from 'type-graphql';
import type { RailKind } from '../../connectors/types';
import {
  PAYMENT_STATUSES,
  RAIL_KINDS,
  RECONCILIATION_STATES,
  type PaymentStatus,
  type ReconciliationState,
} from '../../domain/enums';
import { PaymentStatusEnum, RailKindEnum, ReconciliationStateEnum } from '../common/enums';
import { PaginationArgs } from '../common/pagination.args';

@InputType('PaymentFilter')
export class PaymentFilter {
  @Field(() => PaymentStatusEnum, { nullable: true })
  @IsOptional()
  @IsIn(PAYMENT_STATUSES)
  status?: PaymentStatus;

  @Field(() => ReconciliationStateEnum, { nullable: true })
  @IsOptional()
  @IsIn(RECONCILIATION_STATES)
  reconciliationState?: ReconciliationState;

  @Field(() => RailKindEnum, { nullable: true })
  @IsOptional()
  @IsIn(RAIL_KINDS)
  rail?: RailKind;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  sourceId?: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  loanAccountId?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  providerTransactionId?: string;

  @Field(() => Date, { nullable: true })
  @IsOptional()
  @IsDate()
  receivedFrom?: Date;

  @Field(() => Date, { nullable: true })
  @IsOptional()
  @IsDate()
  receivedTo?: Date;
}

@ArgsType()
export class PaymentsArgs extends PaginationArgs {
  @Field(() => PaymentFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: PaymentFilter;
}
