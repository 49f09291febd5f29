import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logger';
import { ormOptions } from './orm-options';

export type { EntityManager };

export async function createOrm(databaseUrl: string, logger?: Logger, poolMax = 20): Promise<MikroORM> {
  const options = ormOptions(databaseUrl, {
    pool: { min: 0, max: poolMax },
    logger: (message: string) => logger?.debug({ orm: true }, message),
  });
  // The snapshot in migrations/ is written by `migration:create` only. Without this, every `migrate` that applies
  // something would rewrite the committed snapshot from whatever database it ran against.
  options.migrations = { ...options.migrations, snapshot: false };
  return MikroORM.init(options);
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}

export async function pendingMigrations(orm: MikroORM): Promise<string[]> {
  const pending = await orm.getMigrator().getPendingMigrations();
  return pending.map((m) => m.name);
}
