import { IsIn, IsString, Length } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { ROLES, type Role } from '../../domain/enums';
import { RoleEnum } from '../common/enums';

@InputType('CreateApiKeyInput')
export class CreateApiKeyInput {
  @Field()
  @IsString()
  @Length(1, 100)
  name!: string;

  @Field(() => RoleEnum)
  @IsIn(ROLES)
  role!: Role;
}
