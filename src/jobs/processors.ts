import type { Job, Processor } from 'bullmq';
import { sweepOverdueExpectations } from '../services/expectations';
import { sweepPromises } from '../services/promises';
import type { Services } from '../services/container';
import {
  QUEUE_NAMES,
  type InboundEventJob,
  type LendingSyncJob,
  type MaintenanceJob,
  type PaymentRequestJob,
  type PostingJob,
  type ReversalJob,
  type ReconciliationJob,
} from './queues';
import type { ProcessorMap } from './worker';

/** Re-enqueues stored callbacks that never reached the queue (Redis was down when they arrived). */
export async function sweepInbox(services: Services, olderThanSeconds = 10): Promise<number> {
  const rows = await services.orm.em.getConnection().execute<Array<{ id: string; organization_id: string }>>(
    `select id, organization_id from inbound_event
        where status = 'RECEIVED' and received_at < now() - (? || ' seconds')::interval
        order by received_at limit 1000`,
    [String(olderThanSeconds)],
  );
  if (rows.length === 0) return 0;
  // Same job id as the ingest path: an event still in the queue is not added twice.
  await services.queues.inboundEvents.addBulk(
    rows.map((r) => ({
      name: 'process',
      data: { organizationId: r.organization_id, inboundEventId: r.id },
      opts: { jobId: r.id },
    })),
  );
  return rows.length;
}

/**
 * Re-enqueues postings and lender reversals whose jobs were lost (Redis down when they were due): succeeded
 * payments still unmatched or matched a minute after they arrived, and payments waiting for a lender undo.
 */
export async function sweepPostings(services: Services): Promise<number> {
  const rows = await services.orm.em
    .getConnection()
    .execute<Array<{ id: string; organization_id: string; reconciliation_state: string }>>(
      `select id, organization_id, reconciliation_state from payment
      where status in ('SUCCEEDED', 'PARTIALLY_REFUNDED', 'REVERSED', 'REFUNDED', 'CHARGED_BACK')
        and ((reconciliation_state = 'MATCHED' and posting_error is null) or reconciliation_state = 'REVERSAL_PENDING')
        and (posting_claimed_until is null or posting_claimed_until < now())
        and updated_at < now() - interval '1 minute'
      order by updated_at limit 500`,
    );
  if (rows.length === 0) return 0;
  await services.queues.posting.addBulk(
    rows.map((r) =>
      r.reconciliation_state === 'REVERSAL_PENDING'
        ? {
            name: 'undo',
            data: { organizationId: r.organization_id, paymentId: r.id },
            opts: { jobId: `undo-${r.id}` },
          }
        : {
            name: 'match-and-post',
            data: { organizationId: r.organization_id, paymentId: r.id },
            opts: { jobId: `post-${r.id}` },
          },
    ),
  );
  return rows.length;
}

/** Whether a failure now is the job's last: BullMQ will not try it again. */
function isFinalAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

export function buildProcessors(services: Services): ProcessorMap {
  const processors: ProcessorMap = {
    [QUEUE_NAMES.inboundEvents]: (async (job: Job<InboundEventJob>) => {
      return services.paymentEvents.processInboundEvent(job.data.organizationId, job.data.inboundEventId, {
        finalAttempt: isFinalAttempt(job),
      });
    }) as Processor,
    [QUEUE_NAMES.posting]: (async (job: Job<PostingJob>) => {
      const finalAttempt = isFinalAttempt(job);
      if (job.name === 'undo')
        return {
          undo: await services.posting.undoPosting(job.data.organizationId, job.data.paymentId, {
            finalAttempt,
          }),
        };
      const matched = await services.matching.matchPayment(job.data.organizationId, job.data.paymentId);
      if (!matched) return { matched: false };
      return {
        matched: true,
        posting: await services.posting.postPayment(job.data.organizationId, job.data.paymentId, {
          finalAttempt,
        }),
      };
    }) as Processor,
    [QUEUE_NAMES.paymentRequests]: (async (job: Job<PaymentRequestJob>) => {
      return {
        status: await services.paymentRequests.checkPaymentRequest(
          job.data.organizationId,
          job.data.paymentRequestId,
        ),
      };
    }) as Processor,
    [QUEUE_NAMES.reversals]: (async (job: Job<ReversalJob>) => {
      return {
        status: await services.paymentRequests.checkReversal(job.data.organizationId, job.data.reversalId),
      };
    }) as Processor,
    [QUEUE_NAMES.lendingSync]: (async (job: Job<LendingSyncJob & { loanIds?: string[] }>) => {
      if (job.name === 'details') {
        return services.sync.refreshDetails(
          job.data.organizationId,
          job.data.lendingSourceId,
          job.data.loanIds ?? [],
        );
      }
      const run = await services.sync.runSync(job.data.organizationId, job.data.syncRunId!);
      return { status: run.status, processed: run.processed, failed: run.failed };
    }) as Processor,
    [QUEUE_NAMES.reconciliation]: (async (job: Job<ReconciliationJob>) => {
      const run = await services.reconciliation.execute(
        job.data.organizationId,
        job.data.reconciliationRunId,
        {
          finalAttempt: isFinalAttempt(job),
        },
      );
      return { status: run.status };
    }) as Processor,
    [QUEUE_NAMES.maintenance]: (async (job: Job<MaintenanceJob>) => {
      switch (job.data.task) {
        case 'sweep-inbox':
          return {
            requeued: await sweepInbox(services),
            postings: await sweepPostings(services),
            overdueExpectations: await sweepOverdueExpectations(services.orm),
            brokenPromises: await sweepPromises(services.orm),
          };
        case 'schedule-syncs':
          return { scheduled: await services.sync.scheduleDueSyncs(services.config.syncIntervalSeconds) };
        default:
          return { skipped: job.data.task };
      }
    }) as Processor,
  };
  return processors;
}
