import { Field, ID, InterfaceType } from 'type-graphql';
import { SourceStatusEnum } from '../common/enums';
import type { SourceStatus } from '../../domain/enums';

@InterfaceType('Source', { description: 'A connected lending system or payment rail' })
export abstract class SourceInterface {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => SourceStatusEnum)
  status!: SourceStatus;

  @Field(() => String, { nullable: true, description: 'Why the source is unhealthy, when it is' })
  statusReason!: string | null;

  @Field()
  createdAt!: Date;
}
