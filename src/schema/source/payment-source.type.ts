import { Field, ID, ObjectType } from 'type-graphql';
import type { RailKind } from '../../connectors/types';
import { RailKindEnum } from '../common/enums';
import { SourceInterface } from './source.interface';

@ObjectType('PaymentSource', { implements: SourceInterface })
export class PaymentSourceType extends SourceInterface {
  @Field(() => RailKindEnum)
  kind!: RailKind;

  @Field(() => String, { nullable: true })
  baseUrl!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The exact URL to give the provider for callbacks (embeds a secret token). ADMIN only; null for other roles.',
  })
  callbackUrl!: string | null;

  @Field(() => ID, { nullable: true, description: 'Lending source this rail posts to' })
  lendingSourceId!: string | null;
}
