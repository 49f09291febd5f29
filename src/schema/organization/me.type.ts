import { Field, ID, ObjectType } from 'type-graphql';
import { RoleEnum } from '../common/enums';
import type { Role } from '../../domain/enums';

@ObjectType('Organization')
export class OrganizationType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  timeZone!: string;
}

@ObjectType('Me', { description: 'The caller: its organization, role and credential' })
export class MeType {
  @Field(() => OrganizationType)
  organization!: OrganizationType;

  @Field(() => RoleEnum)
  role!: Role;

  @Field({ description: 'API_KEY or USER' })
  actorType!: string;

  @Field(() => ID, { description: 'API key id or token subject' })
  actorId!: string;

  @Field(() => String, { nullable: true })
  name!: string | null;
}
