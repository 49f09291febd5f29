import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createOrm } from '../../src/db';
import { createTestDatabase } from '../helpers/db';

const root = path.resolve(__dirname, '../..');

describe('committed schema and migrations', () => {
  it('schema.graphql matches the code (run `npm run schema:emit` after changing the API)', () => {
    const out = execFileSync(process.execPath, [path.join(root, 'bin/lipa.js'), 'schema:check'], {
      encoding: 'utf8',
    });
    expect(out).toContain('up to date');
  });

  it('has no entity change without a migration (mikro-orm migration:check)', async () => {
    const db = await createTestDatabase();
    const orm = await createOrm(db.url, undefined, 2);
    try {
      expect(await orm.getMigrator().getPendingMigrations()).toEqual([]);
      expect(await orm.getMigrator().checkMigrationNeeded()).toBe(false);
      // And the migrated database matches the entities exactly.
      const diff = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
      expect(diff.trim()).toBe('');
      // And the committed snapshot the CLI diffs against (the check above diffs against the database, so a stale
      // snapshot passed it while `mikro-orm migration:check` asked for a migration).
      const cli = execFileSync(
        process.execPath,
        [path.join(root, 'node_modules/@mikro-orm/cli/cli.js'), 'migration:check'],
        { cwd: root, encoding: 'utf8', env: { ...process.env, DATABASE_URL: db.url, FORCE_COLOR: '0' } },
      );
      expect(cli).toContain('No changes required');
      // Indexes the ORM compares by name only (its metadata has no index method): the migrations built them as meant.
      const rows = await orm.em.getConnection().execute<Array<{ indexdef: string }>>(
        `select indexdef from pg_indexes
            where indexname in ('settlement_line_import_id_index', 'payment_received_at_brin') order by indexname`,
      );
      expect(rows.map((r) => r.indexdef)).toEqual([
        expect.stringMatching(/USING brin \(received_at\) WITH \(autosummarize='?on'?\)/),
        expect.stringMatching(/USING brin \(import_id\) WITH \(autosummarize='?on'?\)/),
      ]);
    } finally {
      await orm.close(true);
      await db.drop();
    }
  });
});
