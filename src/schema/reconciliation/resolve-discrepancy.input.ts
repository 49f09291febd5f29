import { IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { DISCREPANCY_STATUSES, type DiscrepancyStatus } from '../../domain/enums';
import { DiscrepancyStatusEnum } from '../common/enums';

@InputType('ResolveDiscrepancyInput')
export class ResolveDiscrepancyInput {
  @Field(() => ID)
  @IsString()
  @Length(1, 64)
  id!: string;

  @Field(() => DiscrepancyStatusEnum, {
    description:
      'The new status: IN_REVIEW (someone is on it), RESOLVED, DISMISSED (needs a note), or OPEN to re-open',
  })
  @IsIn(DISCREPANCY_STATUSES)
  resolution!: DiscrepancyStatus;

  @Field(() => String, { nullable: true, description: 'Why, for the audit log (up to 2,000 characters)' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  note?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'A short code for how it was closed, e.g. POSTED_MANUALLY or REFUNDED_TO_PAYER (defaults to the status)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  resolutionCode?: string | null;
}
