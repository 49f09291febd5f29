import { Max, Min, MaxLength, IsOptional } from 'class-validator';
import { ArgsType, Field, Int } from 'type-graphql';

@ArgsType()
export class PaginationArgs {
  @Field(() => Int, { defaultValue: 20, description: 'Page size, 1 to 100' })
  @Min(1)
  @Max(100)
  first: number = 20;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page' })
  @IsOptional()
  @MaxLength(200)
  after?: string | null;
}
