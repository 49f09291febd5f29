import { Field, ObjectType } from 'type-graphql';
import type { LendingSystemKind } from '../../connectors/types';
import { LendingSystemKindEnum } from '../common/enums';
import { SourceInterface } from './source.interface';

@ObjectType('LendingSource', { implements: SourceInterface })
export class LendingSourceType extends SourceInterface {
  @Field(() => LendingSystemKindEnum)
  kind!: LendingSystemKind;

  @Field()
  baseUrl!: string;

  @Field(() => Date, { nullable: true })
  lastSyncedAt!: Date | null;
}
