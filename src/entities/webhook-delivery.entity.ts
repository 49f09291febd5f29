import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { WEBHOOK_DELIVERY_STATUSES, type WebhookDeliveryStatus } from '../domain/enums';
import { TenantEntity } from './base';
import { WebhookEndpoint } from './webhook-endpoint.entity';

@Entity({ tableName: 'webhook_delivery' })
@Unique({ properties: ['endpoint', 'eventId'] })
@Index({ properties: ['status', 'nextAttemptAt'] })
export class WebhookDelivery extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('whd');

  @ManyToOne(() => WebhookEndpoint, { deleteRule: 'cascade' })
  endpoint!: WebhookEndpoint;

  @Property({ type: 'text' })
  eventId!: string;

  @Property({ type: 'text' })
  eventType!: string;

  @Enum({ items: () => WEBHOOK_DELIVERY_STATUSES, type: 'text', default: 'PENDING' })
  status: Opt<WebhookDeliveryStatus> = 'PENDING';

  @Property({ type: 'integer', default: 0 })
  attempts: Opt<number> = 0;

  @Property({ type: 'timestamptz', nullable: true })
  nextAttemptAt?: Date | null;

  @Property({ type: 'integer', nullable: true })
  lastStatusCode?: number | null;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  deliveredAt?: Date | null;
}
