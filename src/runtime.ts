import type { MikroORM } from '@mikro-orm/postgresql';
import { Redis } from 'ioredis';
import type { Config } from './config';
import { builtinRegistry } from './connectors/builtin';
import type { ConnectorRegistry } from './connectors/registry';
import type { ConnectorRuntime } from './connectors/types';
import { createOrm } from './db';
import { OutboxRelay } from './events/relay';
import { Queues } from './jobs/queues';
import { buildProcessors } from './jobs/processors';
import { startWorkers } from './jobs/worker';
import { createLogger, type Logger } from './logger';
import { buildApp, type LipaApp } from './app';
import { createServices, type Services } from './services/container';

export interface Runtime {
  config: Config;
  logger: Logger;
  orm: MikroORM;
  services: Services;
  queues: Queues;
  app?: LipaApp;
  relay?: OutboxRelay;
  /** Starts the HTTP server (when built with `http`) and workers (when built with `workers`). */
  start(): Promise<{ port?: number }>;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  http: boolean;
  workers: boolean;
  logger?: Logger;
  registry?: ConnectorRegistry;
  connectorRuntime?: Partial<ConnectorRuntime>;
}

/** Redis options for producers: a command fails within seconds when Redis is down (no unbounded in-memory queue). */
export function producerRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 2000, connectTimeout: 2000 });
}

/** Redis options for BullMQ workers and subscribers: keep retrying forever (BullMQ requirement). */
export function blockingRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

/** Composes one Lipa process: database, Redis, queues, services, and optionally the HTTP API and workers. */
export async function createRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const orm = await createOrm(config.databaseUrl, logger);
  const redis = producerRedis(config.redisUrl);
  redis.on('error', (err) => logger.debug({ err: err.message }, 'redis (producer) error'));
  const queueRedis = producerRedis(config.redisUrl);
  queueRedis.on('error', () => undefined);
  const queues = new Queues(queueRedis, config.queuePrefix);
  const services = createServices({
    config,
    orm,
    logger,
    queues,
    redis,
    registry: options.registry ?? builtinRegistry(),
    connectorRuntime: options.connectorRuntime,
  });
  const app = options.http ? await buildApp(services) : undefined;

  let workerHandle: { close: () => Promise<void> } | undefined;
  let workerRedis: Redis | undefined;
  let relay: OutboxRelay | undefined;
  if (options.workers) {
    relay = new OutboxRelay(
      orm,
      (channel, event) => redis.publish(channel, JSON.stringify(event)),
      logger.child({ component: 'relay' }),
    );
  }

  return {
    config,
    logger,
    orm,
    services,
    queues,
    app,
    relay,
    async start() {
      let port: number | undefined;
      if (app) port = await app.listen(config.port);
      if (options.workers) {
        workerRedis = blockingRedis(config.redisUrl);
        workerRedis.on('error', (err) => logger.debug({ err: err.message }, 'redis (worker) error'));
        workerHandle = startWorkers({
          connection: workerRedis,
          prefix: config.queuePrefix,
          processors: buildProcessors(services),
          logger: logger.child({ component: 'worker' }),
          metrics: app?.metrics,
          // Inbound and posting jobs are short and I/O-bound: more of them in flight keeps PostgreSQL busy.
          concurrency: { 'inbound-events': 16, posting: 8 },
        });
        await services.queues.maintenance
          .upsertJobScheduler(
            'sweep-inbox',
            { every: 15_000 },
            { name: 'sweep-inbox', data: { task: 'sweep-inbox' } },
          )
          .catch((err) =>
            logger.warn(
              { err },
              'could not schedule the inbox sweeper (Redis down?); will retry at next start',
            ),
          );
        await services.queues.maintenance
          .upsertJobScheduler(
            'schedule-syncs',
            { every: 60_000 },
            { name: 'schedule-syncs', data: { task: 'schedule-syncs' } },
          )
          .catch((err) => logger.warn({ err }, 'could not schedule loan syncs'));
        relay!.start();
      }
      return { port };
    },
    async stop() {
      await app?.close();
      await relay?.stop();
      await workerHandle?.close();
      await queues.close();
      // QUIT only a live connection: one that is reconnecting (Redis down) would hold QUIT in its offline queue and
      // keep its retry timer running, so it is cut instead.
      for (const client of [redis, queueRedis, workerRedis]) {
        if (!client) continue;
        if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
        else client.disconnect();
      }
      await orm.close(true);
    },
  };
}
