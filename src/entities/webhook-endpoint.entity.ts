import { Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { TenantEntity } from './base';

@Entity({ tableName: 'webhook_endpoint' })
export class WebhookEndpoint extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('whep');

  @Property({ type: 'text' })
  url!: string;

  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @Property({ type: 'text', hidden: true })
  secretEncrypted!: string;

  /** Event types delivered; empty = all. */
  @Property({ type: 'text[]', default: '{}' })
  eventTypes: Opt<string[]> = [];

  @Property({ type: 'boolean', default: true })
  active: Opt<boolean> = true;
}
