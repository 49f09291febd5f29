import { IsIn, IsObject, IsOptional, IsString, IsUrl, Length } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import type { RailKind } from '../../connectors/types';
import { RAIL_KINDS } from '../../domain/enums';
import { RailKindEnum } from '../common/enums';
import { JSONScalar } from '../common/scalars';

@InputType('RegisterPaymentSourceInput')
export class RegisterPaymentSourceInput {
  @Field(() => RailKindEnum)
  @IsIn(RAIL_KINDS)
  kind!: RailKind;

  @Field()
  @IsString()
  @Length(1, 100)
  name!: string;

  @Field(() => String, {
    nullable: true,
    description: "Overrides the provider's default host (sandbox, production, simulator)",
  })
  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'baseUrl must be an http(s) URL' },
  )
  baseUrl?: string | null;

  @Field(() => JSONScalar)
  @IsObject()
  credentials!: Record<string, unknown>;

  @Field(() => ID, { nullable: true, description: "Where this rail's payments are posted" })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  lendingSourceId?: string | null;
}
