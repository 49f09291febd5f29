import express, { type Router } from 'express';
import type { Services } from '../services/container';
import { pendingMigrations } from '../db';
import type { Metrics } from './metrics';

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** `/healthz` (alive), `/readyz` (PostgreSQL, Redis, migrations), `/metrics`. */
export function opsRouter(services: Services, metrics: Metrics): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks: Record<string, { ok: boolean; error?: string }> = {};
    await Promise.all([
      withTimeout(services.orm.em.getConnection().execute('select 1'), 2000, 'PostgreSQL')
        .then(() => (checks.postgres = { ok: true }))
        .catch(
          (err: Error) =>
            (checks.postgres = {
              ok: false,
              error: err.message.includes('did not answer') ? err.message : 'PostgreSQL is unreachable',
            }),
        ),
      withTimeout(services.redis.ping(), 1000, 'Redis')
        .then(() => (checks.redis = { ok: true }))
        .catch(
          (err: Error) =>
            (checks.redis = {
              ok: false,
              error: err.message.includes('did not answer') ? err.message : 'Redis is unreachable',
            }),
        ),
      withTimeout(pendingMigrations(services.orm), 3000, 'Migration check')
        .then(
          (pending) =>
            (checks.migrations =
              pending.length === 0
                ? { ok: true }
                : { ok: false, error: `${pending.length} pending migration(s): run npx lipa migrate` }),
        )
        .catch(() => (checks.migrations = { ok: false, error: 'Cannot read migration state' })),
    ]);
    const ready = Object.values(checks).every((c) => c.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  router.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  return router;
}
