import { Entity, Enum, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { LENDING_SYSTEM_KINDS, SOURCE_STATUSES, type SourceStatus } from '../domain/enums';
import type { LendingSystemKind } from '../connectors/types';
import { TenantEntity } from './base';

@Entity({ tableName: 'lending_source' })
export class LendingSource extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('lsrc');

  @Enum({ items: () => LENDING_SYSTEM_KINDS, type: 'text' })
  kind!: LendingSystemKind;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  baseUrl!: string;

  /** AES-256-GCM ciphertext of the credentials JSON (see services/crypto). Never returned. */
  @Property({ type: 'text', hidden: true, lazy: true })
  credentialsEncrypted!: string;

  @Enum({ items: () => SOURCE_STATUSES, type: 'text', default: 'ACTIVE' })
  status: Opt<SourceStatus> = 'ACTIVE';

  @Property({ type: 'text', nullable: true })
  statusReason?: string | null;

  @Property({ type: 'integer', nullable: true })
  syncIntervalSeconds?: number | null;

  @Property({ type: 'timestamptz', nullable: true })
  lastSyncedAt?: Date | null;

  /** Start time of the last successful sync: the `modifiedSince` of the next incremental sync. */
  @Property({ type: 'timestamptz', nullable: true })
  syncWatermark?: Date | null;
}
