import fs from 'node:fs';
import { Client } from 'pg';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { findPostgresBin } from '../../src/db/servers';

export default async function globalTeardown(): Promise<void> {
  const file = process.env.LIPA_TEST_STATE;
  if (!file || !fs.existsSync(file)) return;
  const state = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    stateDir: string;
    pgDataDir?: string;
    redisDir?: string;
    templateDb: string;
    adminUrl: string;
  };
  if (state.redisDir) {
    const pidFile = path.join(state.redisDir, 'redis.pid');
    if (fs.existsSync(pidFile)) {
      try {
        process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGTERM');
      } catch {
        // gone
      }
    }
  }
  if (state.pgDataDir) {
    const bin = findPostgresBin();
    const isRoot = process.getuid?.() === 0;
    const cmd = isRoot ? 'runuser' : path.join(bin, 'pg_ctl');
    const args = ['-D', state.pgDataDir, '-m', 'immediate', '-w', 'stop'];
    try {
      execFileSync(cmd, isRoot ? ['-u', 'postgres', '--', path.join(bin, 'pg_ctl'), ...args] : args, {
        stdio: 'ignore',
      });
    } catch {
      // already stopped
    }
  } else {
    // A shared server: drop what this run created.
    const admin = new Client({ connectionString: state.adminUrl });
    await admin.connect();
    const { rows } = await admin.query<{ datname: string }>(
      `select datname from pg_database where datname = $1 or datname like $2`,
      [state.templateDb, `lipa_t_${state.templateDb.replace('lipa_tpl_', '')}_%`],
    );
    for (const { datname } of rows) await admin.query(`drop database if exists "${datname}" with (force)`);
    await admin.end();
  }
  fs.rmSync(state.stateDir, { recursive: true, force: true });
}
