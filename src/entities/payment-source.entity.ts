import { Entity, Enum, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { RAIL_KINDS, SOURCE_STATUSES, type SourceStatus } from '../domain/enums';
import type { RailKind } from '../connectors/types';
import { TenantEntity } from './base';
import { LendingSource } from './lending-source.entity';

@Entity({ tableName: 'payment_source' })
export class PaymentSource extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('psrc');

  @Enum({ items: () => RAIL_KINDS, type: 'text' })
  kind!: RailKind;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text', nullable: true })
  baseUrl?: string | null;

  @Property({ type: 'text', hidden: true, lazy: true })
  credentialsEncrypted!: string;

  /** The per-source secret embedded in the callback URL, encrypted (rails that do not sign rely on it). */
  @Property({ type: 'text', hidden: true })
  callbackTokenEncrypted!: string;

  /** Where this rail's payments are posted. */
  @ManyToOne(() => LendingSource, { nullable: true, deleteRule: 'set null' })
  lendingSource?: LendingSource | null;

  @Enum({ items: () => SOURCE_STATUSES, type: 'text', default: 'ACTIVE' })
  status: Opt<SourceStatus> = 'ACTIVE';

  @Property({ type: 'text', nullable: true })
  statusReason?: string | null;
}
