import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType('Borrower', { description: 'Contact fields are masked for roles that may not see them' })
export class BorrowerType {
  @Field(() => ID)
  id!: string;

  @Field({ description: "The lender's client id" })
  externalId!: string;

  @Field(() => String, { nullable: true })
  displayName!: string | null;

  @Field(() => String, { nullable: true })
  phoneNumber!: string | null;

  @Field(() => String, { nullable: true })
  email!: string | null;

  @Field({ description: 'False when contact data above is masked for your role' })
  contactVisible!: boolean;
}
