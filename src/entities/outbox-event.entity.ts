import { Entity, Index, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { TenantEntity } from './base';

/**
 * A domain event, written in the same transaction as the state change it describes (ARCHITECTURE invariant 3)
 * and published by the relay. Ids are ULIDs, so they sort in commit order per process.
 */
@Entity({ tableName: 'outbox_event' })
@Index({
  name: 'outbox_event_unpublished_idx',
  expression:
    'create index "outbox_event_unpublished_idx" on "outbox_event" ("id") where "published_at" is null',
})
export class OutboxEvent extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('oev');

  @Property({ type: 'text' })
  type!: string;

  @Property({ type: 'text' })
  aggregateType!: string;

  @Property({ type: 'text' })
  aggregateId!: string;

  /** Event data: ids, amounts and states only, never personal data. */
  @Property({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Property({ type: 'timestamptz', nullable: true })
  publishedAt?: Date | null;
}
