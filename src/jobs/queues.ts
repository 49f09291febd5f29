import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';

/**
 * Queue names and default job options in one place. Job payloads carry ids only (never personal data or
 * secrets: BullMQ stores them in clear text in Redis); jobs are keyed by stable ids so a duplicate add is a no-op.
 */
export const QUEUE_NAMES = {
  inboundEvents: 'inbound-events',
  lendingSync: 'lending-sync',
  posting: 'posting',
  paymentRequests: 'payment-requests',
  reversals: 'reversals',
  reconciliation: 'reconciliation',
  maintenance: 'maintenance',
} as const;

export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
  removeOnComplete: { age: 3_600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3_600 },
};

export interface InboundEventJob {
  organizationId: string;
  inboundEventId: string;
}
export interface LendingSyncJob {
  organizationId: string;
  lendingSourceId: string;
  syncRunId?: string;
  mode: 'FULL' | 'INCREMENTAL';
}
export interface PostingJob {
  organizationId: string;
  paymentId: string;
}
export interface PaymentRequestJob {
  organizationId: string;
  paymentRequestId: string;
}
export interface ReversalJob {
  organizationId: string;
  reversalId: string;
}
export interface ReconciliationJob {
  organizationId: string;
  reconciliationRunId: string;
}
export interface MaintenanceJob {
  task: 'sweep-inbox' | 'relay-outbox' | 'expire-payment-requests' | 'schedule-syncs';
}

export class Queues {
  readonly inboundEvents: Queue<InboundEventJob>;
  readonly lendingSync: Queue<LendingSyncJob>;
  readonly posting: Queue<PostingJob>;
  readonly paymentRequests: Queue<PaymentRequestJob>;
  readonly reversals: Queue<ReversalJob>;
  readonly reconciliation: Queue<ReconciliationJob>;
  readonly maintenance: Queue<MaintenanceJob>;

  constructor(
    readonly connection: ConnectionOptions,
    readonly prefix: string,
  ) {
    const make = <T>(name: QueueName) => {
      const queue = new Queue<T>(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
      // Connection errors surface on the calls that fail (and in /readyz); an unhandled 'error' event would crash.
      (queue as Queue).on('error', () => undefined);
      return queue;
    };
    this.inboundEvents = make(QUEUE_NAMES.inboundEvents);
    this.lendingSync = make(QUEUE_NAMES.lendingSync);
    this.posting = make(QUEUE_NAMES.posting);
    this.paymentRequests = make(QUEUE_NAMES.paymentRequests);
    this.reversals = make(QUEUE_NAMES.reversals);
    this.reconciliation = make(QUEUE_NAMES.reconciliation);
    this.maintenance = make(QUEUE_NAMES.maintenance);
  }

  all(): Queue[] {
    return [
      this.inboundEvents,
      this.lendingSync,
      this.posting,
      this.paymentRequests,
      this.reversals,
      this.reconciliation,
      this.maintenance,
    ] as Queue[];
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((q) => q.close()));
  }
}
