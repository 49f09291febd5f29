import { Field, ID, ObjectType } from 'type-graphql';
import { RoleEnum } from '../common/enums';
import type { Role } from '../../domain/enums';

@ObjectType('ApiKey')
export class ApiKeyType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => RoleEnum)
  role!: Role;

  @Field({ description: 'First characters of the key, to recognise it' })
  prefix!: string;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;
}

@ObjectType('CreatedApiKey')
export class CreatedApiKeyType {
  @Field(() => ApiKeyType)
  apiKey!: ApiKeyType;

  @Field({ description: 'The secret key. Shown once: store it now.' })
  key!: string;
}
