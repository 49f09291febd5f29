import type { ClassType } from 'type-graphql';
import { Field, Int, ObjectType } from 'type-graphql';
import { PageInfo } from './page-info.type';

/**
 * Relay-style connection types (`edges { cursor node }`, `pageInfo`, `totalCount`) for a node type, built once
 * per node type: `export class PaymentConnection extends Connection(PaymentType, 'Payment') {}`.
 */
export function Connection<TNode extends object>(NodeClass: ClassType<TNode>, name: string) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field()
    cursor!: string;

    @Field(() => NodeClass)
    node!: TNode;
  }

  // type-graphql 2 emits only referenced types, so this base never appears in the schema on its own.
  @ObjectType()
  abstract class ConnectionClass {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int)
    totalCount!: number;
  }
  return ConnectionClass;
}

export interface Page<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: PageInfo;
  totalCount: number;
}
