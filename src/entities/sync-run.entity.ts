import { Entity, Enum, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { SYNC_RUN_STATUSES, type SyncRunStatus } from '../domain/enums';
import { TenantEntity } from './base';
import { LendingSource } from './lending-source.entity';

@Entity({ tableName: 'sync_run' })
export class SyncRun extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('sync');

  @ManyToOne(() => LendingSource, { deleteRule: 'cascade' })
  lendingSource!: LendingSource;

  @Property({ type: 'text' })
  mode!: 'FULL' | 'INCREMENTAL';

  @Enum({ items: () => SYNC_RUN_STATUSES, type: 'text', default: 'QUEUED' })
  status: Opt<SyncRunStatus> = 'QUEUED';

  @Property({ type: 'integer', default: 0 })
  processed: Opt<number> = 0;

  @Property({ type: 'integer', nullable: true })
  total?: number | null;

  @Property({ type: 'integer', default: 0 })
  failed: Opt<number> = 0;

  /** Cursor of the next page to read: a crashed run resumes from here. */
  @Property({ type: 'text', nullable: true })
  cursor?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  startedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  completedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  error?: string | null;

  /** The first loan-level errors (bounded). */
  @Property({ type: 'jsonb', nullable: true })
  errors?: Array<{ externalId: string | null; message: string }> | null;
}
