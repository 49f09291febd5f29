import { Entity, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { TenantEntity } from './base';

/** The first result of a money-moving mutation under an `Idempotency-Key`, replayed for 24 hours. */
@Entity({ tableName: 'idempotency_record' })
@Unique({ properties: ['organization', 'principalId', 'key'] })
export class IdempotencyRecord extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('idem');

  @Property({ type: 'text' })
  principalId!: string;

  @Property({ type: 'text' })
  key!: string;

  @Property({ type: 'text' })
  operation!: string;

  /** SHA-256 of the operation's variables: the same key with different input is a conflict. */
  @Property({ type: 'text' })
  requestHash!: string;

  @Property({ type: 'text', default: 'IN_PROGRESS' })
  state: Opt<'IN_PROGRESS' | 'COMPLETED'> = 'IN_PROGRESS';

  @Property({ type: 'jsonb', nullable: true })
  response?: unknown;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;
}
