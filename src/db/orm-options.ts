import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import path from 'node:path';
import { ENTITIES } from '../entities';

/** Where migrations live: the top-level `migrations/` folder (compiled copies in `dist/migrations`). */
export const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'migrations');

/** MikroORM options for a database URL. Entities are listed explicitly (no folder scanning, no reflection cost). */
export function ormOptions(databaseUrl: string, overrides: Partial<Options> = {}): Options {
  const compiled = __filename.endsWith('.js');
  return defineConfig({
    clientUrl: databaseUrl,
    entities: ENTITIES,
    extensions: [Migrator],
    discovery: { disableDynamicFileAccess: true },
    // Entities are listed explicitly; a file cache would only add stale-metadata risk (and breaks under jest).
    metadataCache: { enabled: false },
    forceUtcTimezone: true,
    allowGlobalContext: false,
    debug: false,
    pool: { min: 0, max: 20 },
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: compiled ? path.resolve(__dirname, '..', '..', 'dist', 'migrations') : MIGRATIONS_DIR,
      pathTs: MIGRATIONS_DIR,
      glob: compiled ? '!(*.d).js' : '!(*.d).ts',
      transactional: true,
      allOrNothing: true,
      snapshot: true,
      snapshotName: '.snapshot-lipa',
      emit: 'ts',
    },
    ...overrides,
  });
}
