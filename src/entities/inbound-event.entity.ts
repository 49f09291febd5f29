import {
  BlobType,
  Entity,
  Enum,
  Index,
  ManyToOne,
  PrimaryKey,
  Property,
  Unique,
  type Opt,
} from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { INBOUND_EVENT_STATUSES, type InboundEventStatus } from '../domain/enums';
import { TenantEntity } from './base';
import { PaymentSource } from './payment-source.entity';

/**
 * A verified callback, stored raw before anything else happens (ARCHITECTURE invariant 2). Unique per source and
 * provider event id, so a duplicate or replayed callback is recorded (`duplicateCount`) but never applied twice.
 */
@Entity({ tableName: 'inbound_event' })
@Unique({ properties: ['paymentSource', 'providerEventId'] })
@Index({ properties: ['status', 'receivedAt'] })
export class InboundEvent extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('evt');

  @ManyToOne(() => PaymentSource, { deleteRule: 'cascade' })
  paymentSource!: PaymentSource;

  @Property({ type: 'text' })
  providerEventId!: string;

  @Property({ type: 'text' })
  eventType!: string;

  @Property({ type: 'text' })
  method!: string;

  /** Request headers minus credentials (kept for signature re-checks and audit). */
  @Property({ type: 'jsonb' })
  headers!: Record<string, string>;

  @Property({ type: 'jsonb' })
  query!: Record<string, string>;

  @Property({ type: BlobType, lazy: true })
  rawBody!: Buffer;

  @Enum({ items: () => INBOUND_EVENT_STATUSES, type: 'text', default: 'RECEIVED' })
  status: Opt<InboundEventStatus> = 'RECEIVED';

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  receivedAt: Opt<Date> = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  processedAt?: Date | null;

  @Property({ type: 'integer', default: 0 })
  duplicateCount: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  attempts: Opt<number> = 0;

  @Property({ type: 'text', nullable: true })
  error?: string | null;
}
