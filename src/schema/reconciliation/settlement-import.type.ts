import { Field, ID, Int, ObjectType } from 'type-graphql';
import { JSONScalar } from '../common/scalars';

@ObjectType('SettlementImportError')
export class SettlementImportErrorType {
  @Field(() => Int, { description: 'Line in the file (0 for a whole-file problem)' })
  lineNumber!: number;

  @Field()
  message!: string;
}

@ObjectType('SettlementImport', { description: "One upload of a rail's statement or payout file" })
export class SettlementImportType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  sourceId!: string;

  @Field({ description: 'The file format (SettlementFormat)' })
  format!: string;

  @Field({ description: 'LOADING, COMPLETED, FAILED (nothing kept) or DUPLICATE (see duplicateOf)' })
  status!: string;

  @Field(() => ID, { nullable: true, description: 'The earlier import with the same bytes' })
  duplicateOf!: string | null;

  @Field(() => Int, { description: 'Lines read so far (progress while LOADING)' })
  linesRead!: number;

  @Field(() => Int)
  linesRejected!: number;

  @Field({ description: 'Bytes read so far, as a decimal string' })
  bytesRead!: string;

  @Field(() => JSONScalar, {
    nullable: true,
    description: 'Per currency and line kind: { count, amountMinor } (amounts as minor-unit strings)',
  })
  totals!: Record<string, unknown> | null;

  @Field(() => Date, { nullable: true, description: 'Earliest line in the file' })
  periodFrom!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Latest line in the file' })
  periodTo!: Date | null;

  @Field(() => [SettlementImportErrorType], { description: 'The first problems found (up to 50)' })
  errors!: SettlementImportErrorType[];

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  completedAt!: Date | null;
}
