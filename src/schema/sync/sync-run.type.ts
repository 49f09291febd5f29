import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { SyncRunStatus } from '../../domain/enums';
import { SyncRunStatusEnum } from '../common/enums';

@ObjectType('SyncError')
export class SyncErrorType {
  @Field(() => String, { nullable: true, description: "The lender's loan id, when known" })
  externalId!: string | null;

  @Field()
  message!: string;
}

@ObjectType('SyncRun', {
  description: 'A loan sync from a lending system, with live progress (poll it by id)',
})
export class SyncRunType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  sourceId!: string;

  @Field({ description: 'FULL or INCREMENTAL' })
  mode!: string;

  @Field(() => SyncRunStatusEnum)
  status!: SyncRunStatus;

  @Field(() => Int, { description: 'Loans read so far (including ones that failed)' })
  processed!: number;

  @Field(() => Int, { nullable: true, description: 'Loans the lender reported in total, when it says' })
  total!: number | null;

  @Field(() => Int, { description: 'Loans that could not be read; the rest of the sync went on' })
  failed!: number;

  @Field(() => [SyncErrorType])
  errors!: SyncErrorType[];

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  completedAt!: Date | null;
}
