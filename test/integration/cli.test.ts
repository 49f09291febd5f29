import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase } from '../helpers/db';
import { TEST_ENCRYPTION_KEY } from '../helpers/hub';

const run = promisify(execFile);
const bin = path.resolve(__dirname, '../../bin/lipa.js');

describe('lipa CLI', () => {
  it('creates an organization and API keys, and reports bad input clearly', async () => {
    const db = await createTestDatabase();
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL,
      LIPA_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      LOG_LEVEL: 'warn',
    };
    try {
      const migrate = await run(process.execPath, [bin, 'migrate'], { env });
      expect(migrate.stdout).toContain('no pending migrations');
      const org = await run(process.execPath, [bin, 'org:create', '--name', 'Acme Lending'], { env });
      const orgId = /organization: (org_[0-9A-Z]{26})/.exec(org.stdout)?.[1];
      expect(orgId).toBeDefined();
      expect(org.stdout).toMatch(/admin API key \(shown once, store it now\): lipa_[a-z2-7]{12}_\S{43}/);
      const key = await run(
        process.execPath,
        [bin, 'apikey:create', '--org', orgId!, '--role', 'finance', '--name', 'recon'],
        { env },
      );
      expect(key.stdout).toMatch(/\(FINANCE, shown once, store it now\): lipa_/);
      await expect(
        run(process.execPath, [bin, 'apikey:create', '--org', orgId!, '--role', 'GOD'], { env }),
      ).rejects.toMatchObject({
        stderr: expect.stringContaining('--role must be one of ADMIN, FINANCE, SUPERVISOR, AGENT, PARTNER'),
      });
      await expect(
        run(
          process.execPath,
          [bin, 'apikey:create', '--org', 'org_01JD000000000000000000000', '--role', 'ADMIN'],
          { env },
        ),
      ).rejects.toMatchObject({
        stderr: expect.stringContaining('was not found'),
      });
      await expect(run(process.execPath, [bin, 'org:create'], { env })).rejects.toMatchObject({
        stderr: expect.stringContaining('--name'),
      });
    } finally {
      await db.drop();
    }
    // Six CLI processes, each loading the TypeScript sources; slow when the suite shares two cores with it.
  }, 150_000);

  it('runs `lipa worker` and stops cleanly on SIGTERM', async () => {
    const db = await createTestDatabase();
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL,
      LIPA_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      LOG_LEVEL: 'info',
      LIPA_QUEUE_PREFIX: `lipatest-worker-${Date.now()}`,
    };
    try {
      await run(process.execPath, [bin, 'migrate'], { env });
      const child = spawn(process.execPath, [bin, 'worker'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      for (let i = 0; i < 200 && !stdout.includes('workers are running'); i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(stdout).toContain('Lipa workers are running');
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        exited,
        new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 15_000))),
      ]);
      clearTimeout(timer);
      // On failure, say how it ended and what it printed last.
      expect({
        result,
        tail: result === 'timeout' || result.code !== 0 ? (stdout + stderr).slice(-3000) : '',
      }).toEqual({
        result: { code: 0, signal: null },
        tail: '',
      });
      expect(stdout).toContain('shutting down');
    } finally {
      await db.drop();
    }
  });

  it('refuses to boot with a bad configuration and names every problem', async () => {
    await expect(
      run(process.execPath, [bin, 'migrate'], {
        env: {
          PATH: process.env.PATH,
          DATABASE_URL: 'mysql://x',
          REDIS_URL: 'redis://127.0.0.1:1',
          LIPA_ENCRYPTION_KEY: 'nope',
        },
      }),
    ).rejects.toMatchObject({
      stderr: expect.stringMatching(/DATABASE_URL must be a URL[\s\S]*LIPA_ENCRYPTION_KEY must be 32 bytes/),
    });
  });
});
