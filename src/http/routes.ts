import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Services } from '../services/container';
import { pendingMigrations } from '../db';
import type { Metrics } from './metrics';

function queryRecord(query: Request['query']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) {
    if (typeof v === 'string') out[k] = v.slice(0, 500);
  }
  return out;
}

/** `/hooks/:sourceId[/:token]`: a rail's callbacks. Raw body kept for signature checks (never re-serialised). */
export function hooksRouter(services: Services, metrics: Metrics): Router {
  const router = express.Router();
  const raw = express.raw({ type: () => true, limit: services.config.bodyLimit });
  const handle = async (req: Request, res: Response, next: NextFunction) => {
    try {
      const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const reply = await services.ingest.acceptCallback({
        sourceId: String(req.params.sourceId),
        token: typeof req.params.token === 'string' ? req.params.token : null,
        method: req.method,
        headers: req.headers,
        query: queryRecord(req.query),
        rawBody,
      });
      metrics.callbacks.inc({ rail: 'any', outcome: String(reply.status) });
      res.status(reply.status);
      if (reply.body === undefined || reply.body === null) res.end();
      else res.json(reply.body);
    } catch (err) {
      next(err);
    }
  };
  for (const path of ['/:sourceId', '/:sourceId/:token']) {
    router.post(path, raw, handle);
    router.put(path, raw, handle);
  }
  return router;
}

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
