import { IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { SETTLEMENT_FORMATS, type SettlementFormat } from '../../domain/settlement/types';
import { SettlementFormatEnum } from '../common/enums';

@InputType('ImportSettlementInput')
export class ImportSettlementInput {
  @Field(() => ID, { description: 'The payment source (rail) the statement belongs to' })
  @IsString()
  @Length(1, 64)
  sourceId!: string;

  @Field(() => SettlementFormatEnum)
  @IsIn(SETTLEMENT_FORMATS)
  format!: SettlementFormat;

  @Field({
    description:
      'The file itself (CSV or JSON text). Up to LIPA_BODY_LIMIT; larger files go to POST /v1/settlement-imports',
  })
  @IsString()
  @Length(1, 100 * 1024 * 1024)
  content!: string;

  @Field(() => String, {
    nullable: true,
    description: "Currency for files that do not state it (e.g. 'KES')",
  })
  @IsOptional()
  @IsString()
  @MaxLength(3)
  currency?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The payout these lines belong to, when the file does not say',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  payoutReference?: string | null;
}
