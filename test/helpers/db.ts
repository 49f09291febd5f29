import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { withDatabase } from './global-setup';

/** A fresh database for one test file, cloned from the migrated template (milliseconds, full isolation). */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = process.env.LIPA_TEST_ADMIN_URL;
  const template = process.env.LIPA_TEST_TEMPLATE_DB;
  if (!adminUrl || !template) throw new Error('test global setup did not run');
  const name = `lipa_t_${template.replace('lipa_tpl_', '')}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  // Cloning needs the template to have no other sessions; retry briefly if a parallel clone holds it.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(`create database "${name}" template "${template}"`);
      break;
    } catch (err) {
      if (attempt >= 20 || !/being accessed by other users/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await admin.end();
  return {
    url: withDatabase(adminUrl, name),
    drop: async () => {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
    },
  };
}

/** A unique BullMQ/Redis key prefix for one test file. */
export function testQueuePrefix(): string {
  return `lipatest:${randomBytes(4).toString('hex')}`;
}
