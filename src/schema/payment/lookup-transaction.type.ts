import { Field, ObjectType } from 'type-graphql';

@ObjectType('TransactionLookup', {
  description: 'A request to the rail about a transaction whose callback never came',
})
export class TransactionLookupType {
  @Field({ description: 'True when Lipa already has this transaction (nothing was asked)' })
  alreadyKnown!: boolean;

  @Field(() => String, {
    nullable: true,
    description: "The rail's id for the query; the answer arrives by callback",
  })
  providerReference!: string | null;
}
