import { Entity, Index, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { TenantEntity } from './base';

@Entity({ tableName: 'audit_log' })
@Index({ properties: ['entityType', 'entityId'] })
export class AuditLog extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('aud');

  /** API_KEY, USER (JWT subject) or SYSTEM. */
  @Property({ type: 'text' })
  actorType!: string;

  @Property({ type: 'text', nullable: true })
  actorId?: string | null;

  @Property({ type: 'text' })
  action!: string;

  @Property({ type: 'text' })
  entityType!: string;

  @Property({ type: 'text' })
  entityId!: string;

  @Property({ type: 'jsonb', nullable: true })
  data?: Record<string, unknown> | null;
}
