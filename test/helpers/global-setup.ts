import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startPostgres, startRedis } from '../../src/db/servers';
import { execFileSync } from 'node:child_process';
import globalTeardown from './global-teardown';

/**
 * Starts a disposable PostgreSQL and Redis unless DATABASE_URL / REDIS_URL point at servers to use, migrates a
 * template database once, and hands URLs to the workers through the environment. Each integration test file
 * then clones its own database from the template (fast) and uses its own queue prefix.
 */
export default async function globalSetup(): Promise<void> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lipa-test-'));
  const state: {
    stateDir: string;
    pgDataDir?: string;
    redisDir?: string;
    templateDb: string;
    adminUrl: string;
  } = {
    stateDir,
    templateDb: `lipa_tpl_${process.pid}`,
    adminUrl: '',
  };

  // The state file is written as soon as a server exists, so a setup that fails half way can still stop what it
  // started (jest runs no global teardown when the global setup throws).
  process.env.LIPA_TEST_STATE = path.join(stateDir, 'state.json');
  const save = () => fs.writeFileSync(process.env.LIPA_TEST_STATE!, JSON.stringify(state));
  try {
    if (process.env.DATABASE_URL) {
      state.adminUrl = process.env.DATABASE_URL;
    } else {
      const pg = await startPostgres({ dataDir: path.join(stateDir, 'pg'), durable: false });
      state.pgDataDir = pg.dataDir;
      state.adminUrl = pg.url;
      save();
    }
    if (!process.env.REDIS_URL) {
      const redis = await startRedis({ dir: path.join(stateDir, 'redis') });
      state.redisDir = path.join(stateDir, 'redis');
      process.env.REDIS_URL = redis.url;
      save();
    }

    const admin = new Client({ connectionString: state.adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists "${state.templateDb}"`);
    await admin.query(`create database "${state.templateDb}"`);
    await admin.end();
    save();

    // Migrate in a child process through the real CLI: MikroORM initialised inside jest's global setup leaks
    // metadata into the test realm (mikro-orm/mikro-orm#3783), and this also exercises `lipa migrate`.
    const templateUrl = withDatabase(state.adminUrl, state.templateDb);
    execFileSync(process.execPath, [path.resolve(__dirname, '../../bin/lipa.js'), 'migrate'], {
      env: {
        ...process.env,
        DATABASE_URL: templateUrl,
        REDIS_URL: process.env.REDIS_URL,
        LIPA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } catch (err) {
    await globalTeardown().catch(() => undefined);
    throw err;
  }

  process.env.LIPA_TEST_ADMIN_URL = state.adminUrl;
  process.env.LIPA_TEST_TEMPLATE_DB = state.templateDb;
  save();
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
