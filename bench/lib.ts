/**
 * Shared benchmark plumbing: scratch databases on the machine's PostgreSQL, a hub in a child process (so the load
 * generator does not share its event loop), RSS sampling and table printing. Benchmarks target 127.0.0.1 only and
 * every loop is bounded in count and time.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

export const ROOT = path.resolve(__dirname, '..');
export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const ENCRYPTION_KEY = randomBytes(32).toString('base64');

export const out = (line = '') => process.stdout.write(line + '\n');

export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** A fresh, migrated database named `name` (dropped first if it exists). */
export async function scratchDatabase(name: string): Promise<string> {
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists "${name}" with (force)`);
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = withDatabase(ADMIN_URL, name);
  execFileSync(process.execPath, [path.join(ROOT, 'bin/lipa.js'), 'migrate'], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      REDIS_URL,
      LIPA_ENCRYPTION_KEY: ENCRYPTION_KEY,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return url;
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists "${name}" with (force)`);
  await admin.end();
}

export interface HubProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `lipa serve` (or `worker`) in a child process, optionally pinned to a CPU with taskset. */
export async function startHubProcess(opts: {
  databaseUrl: string;
  port: number;
  workers: boolean;
  command?: 'serve' | 'worker';
  cpu?: string;
  queuePrefix?: string;
}): Promise<HubProcess> {
  const env = {
    ...process.env,
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL,
    LIPA_ENCRYPTION_KEY: ENCRYPTION_KEY,
    PORT: String(opts.port),
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    LIPA_WORKERS: opts.workers ? 'true' : 'false',
    LIPA_QUEUE_PREFIX: opts.queuePrefix ?? 'lipabench',
    LIPA_PUBLIC_URL: `http://127.0.0.1:${opts.port}`,
  };
  // BENCH_HUB_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the hub processes (NODE_OPTIONS refuses it).
  const nodeArgs = (process.env.BENCH_HUB_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const args = [...nodeArgs, path.join(ROOT, 'bin/lipa.js'), opts.command ?? 'serve'];
  const hasTaskset = opts.cpu && fs.existsSync('/usr/bin/taskset');
  const child = hasTaskset
    ? spawn('taskset', ['-c', opts.cpu!, process.execPath, ...args], {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      })
    : spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = `http://127.0.0.1:${opts.port}`;
  if ((opts.command ?? 'serve') === 'serve') {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const res = await fetch(`${url}/healthz`);
        if (res.ok) break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error('hub did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    url,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

/** Samples the RSS (MB) of a pid every 200 ms; `stop()` returns the peak. */
export function sampleRss(pid: number): { stop: () => number } {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      peak = Math.max(peak, kb / 1024);
    } catch {
      // process gone
    }
  }, 200);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.round(peak);
    },
  };
}

export function table(rows: Array<Record<string, string | number>>): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (vals: string[]) => '| ' + vals.map((v, i) => v.padEnd(widths[i])).join(' | ') + ' |';
  out(line(cols));
  out('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) out(line(cols.map((c) => String(r[c]))));
}

export const verdict = (ok: boolean) => (ok ? 'meets' : 'MISSES');

/** Creates an organization through the real CLI on `databaseUrl`; returns its id and ADMIN API key. */
export function createBenchOrganization(
  databaseUrl: string,
  name = 'Bench',
): { orgId: string; adminKey: string } {
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    LIPA_ENCRYPTION_KEY: ENCRYPTION_KEY,
    LOG_LEVEL: 'warn',
  };
  const output = execFileSync(
    process.execPath,
    [path.join(ROOT, 'bin/lipa.js'), 'org:create', '--name', name],
    {
      env,
      encoding: 'utf8',
    },
  );
  return {
    orgId: /organization: (org_[0-9A-Z]{26})/.exec(output)![1],
    adminKey: /lipa_[a-z2-7]{12}_\S{43}/.exec(output)![0],
  };
}

/** One GraphQL call to a bench hub; throws with the errors when there is no data. */
export async function benchGql<T>(
  url: string,
  key: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (!body.data) throw new Error(`GraphQL failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}
