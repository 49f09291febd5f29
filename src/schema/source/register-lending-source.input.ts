import { IsIn, IsObject, IsString, IsUrl, Length } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import type { LendingSystemKind } from '../../connectors/types';
import { LENDING_SYSTEM_KINDS } from '../../domain/enums';
import { LendingSystemKindEnum } from '../common/enums';
import { JSONScalar } from '../common/scalars';

@InputType('RegisterLendingSourceInput')
export class RegisterLendingSourceInput {
  @Field(() => LendingSystemKindEnum)
  @IsIn(LENDING_SYSTEM_KINDS)
  kind!: LendingSystemKind;

  @Field()
  @IsString()
  @Length(1, 100)
  name!: string;

  @Field()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'baseUrl must be an http(s) URL' },
  )
  baseUrl!: string;

  @Field(() => JSONScalar, {
    description: 'FINERACT { username password tenantId }  MAMBU { apiKey } or { username password }',
  })
  @IsObject()
  credentials!: Record<string, unknown>;
}
