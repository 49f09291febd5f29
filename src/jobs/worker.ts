import { UnrecoverableError, Worker, type ConnectionOptions, type Job, type Processor } from 'bullmq';
import type { Logger } from '../logger';
import type { Metrics } from '../http/metrics';
import { QUEUE_NAMES, type QueueName } from './queues';

export type ProcessorMap = Partial<Record<QueueName, Processor>>;

/**
 * Starts one BullMQ worker per queue that has a processor. Each job gets a child logger bound to its queue and id;
 * failures are logged once (no payload: payloads are ids only anyway). `close()` waits for running jobs.
 */
export function startWorkers(options: {
  connection: ConnectionOptions;
  prefix: string;
  processors: ProcessorMap;
  logger: Logger;
  metrics?: Metrics;
  concurrency?: Partial<Record<QueueName, number>>;
}): { workers: Worker[]; close: () => Promise<void> } {
  const workers: Worker[] = [];
  for (const name of Object.values(QUEUE_NAMES)) {
    const processor = options.processors[name];
    if (!processor) continue;
    const log = options.logger.child({ queue: name });
    const worker = new Worker(
      name,
      async (job: Job) => {
        const started = Date.now();
        try {
          const result = await processor(job);
          options.metrics?.jobs.inc({ queue: name, outcome: 'completed' });
          // Housekeeping runs every few seconds: keep it out of the info log.
          const level = name === QUEUE_NAMES.maintenance ? 'debug' : 'info';
          log[level]({ jobId: job.id, attempt: job.attemptsMade + 1, ms: Date.now() - started }, 'job done');
          return result;
        } catch (err) {
          options.metrics?.jobs.inc({
            queue: name,
            outcome: err instanceof UnrecoverableError ? 'dead' : 'failed',
          });
          log.warn({ jobId: job.id, attempt: job.attemptsMade + 1, err }, 'job failed');
          throw err;
        }
      },
      {
        connection: options.connection,
        prefix: options.prefix,
        concurrency: options.concurrency?.[name] ?? 4,
        autorun: true,
      },
    );
    worker.on('error', (err) => log.error({ err }, 'worker error'));
    workers.push(worker);
  }
  return {
    workers,
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
