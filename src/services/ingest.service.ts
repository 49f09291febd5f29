import type { MikroORM } from '@mikro-orm/postgresql';
import { ConnectorError } from '../connectors/errors';
import type { Queues } from '../jobs/queues';
import type { Logger } from '../logger';
import { ulid } from '../domain/ids';
import { Batcher } from './batcher';
import type { SourceService } from './source.service';

interface StoredEvent {
  organizationId: string;
  sourceId: string;
  providerEventId: string;
  eventType: string;
  method: string;
  headers: string;
  query: string;
  rawBody: Buffer;
}

export interface CallbackRequest {
  sourceId: string;
  token: string | null;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string>;
  rawBody: Buffer;
}

export interface CallbackReply {
  status: number;
  body: unknown;
}

const DROPPED_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization', 'x-api-key']);

function storableHeaders(headers: CallbackRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || DROPPED_HEADERS.has(k.toLowerCase())) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/**
 * The callback path (ARCHITECTURE invariant 2): verify on raw bytes, store the raw event (unique per source and
 * provider event id) and acknowledge; processing happens in a job keyed by the stored event's id. If Redis is
 * down the event is still stored and acknowledged; the inbox sweeper enqueues it when Redis returns.
 */
export class IngestService {
  /** Group commit: concurrent callbacks share one INSERT (one WAL flush) and one queue round trip. */
  private readonly inserts: Batcher<StoredEvent, { id: string; inserted: boolean }>;
  private readonly enqueues: Batcher<{ organizationId: string; inboundEventId: string }, boolean>;

  constructor(
    private readonly orm: MikroORM,
    private readonly sources: SourceService,
    private readonly queues: Queues,
    private readonly logger: Logger,
  ) {
    this.inserts = new Batcher((items) => this.insertBatch(items), { maxSize: 200, maxDelayMs: 1 });
    this.enqueues = new Batcher((items) => this.enqueueBatch(items), { maxSize: 200, maxDelayMs: 1 });
  }

  /**
   * Inserts a batch of events in one statement. Duplicates inside the batch are inserted once; every other copy,
   * like a conflict with an existing row, only counts as a duplicate.
   */
  private async insertBatch(items: StoredEvent[]): Promise<Array<{ id: string; inserted: boolean }>> {
    const keyOf = (e: StoredEvent) => `${e.sourceId}\u0000${e.providerEventId}`;
    const firstIndex = new Map<string, number>();
    const extraCopies = new Map<string, number>();
    items.forEach((e, i) => {
      const k = keyOf(e);
      if (firstIndex.has(k)) extraCopies.set(k, (extraCopies.get(k) ?? 0) + 1);
      else firstIndex.set(k, i);
    });
    const unique = [...firstIndex.values()].map((i) => items[i]);
    const params: unknown[] = [];
    const values: string[] = [];
    for (const e of unique) {
      values.push('(?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?)');
      params.push(
        `evt_${ulid()}`,
        e.organizationId,
        e.sourceId,
        e.providerEventId,
        e.eventType,
        e.method,
        e.headers,
        e.query,
        e.rawBody,
      );
    }
    // `xmax = 0` marks fresh inserts; a conflicting row is touched only to count the duplicate.
    const rows = await this.orm.em
      .getConnection()
      .execute<
        Array<{ id: string; inserted: boolean; payment_source_id: string; provider_event_id: string }>
      >(
        `insert into inbound_event (id, organization_id, payment_source_id, provider_event_id, event_type, method, headers, query, raw_body)
       values ${values.join(', ')}
       on conflict (payment_source_id, provider_event_id)
       do update set duplicate_count = inbound_event.duplicate_count + 1
       returning id, (xmax = 0) as inserted, payment_source_id, provider_event_id`,
        params,
      );
    const byKey = new Map(rows.map((r) => [`${r.payment_source_id}\u0000${r.provider_event_id}`, r]));
    if (extraCopies.size > 0) {
      for (const [k, n] of extraCopies) {
        const row = byKey.get(k);
        if (row)
          await this.orm.em
            .getConnection()
            .execute('update inbound_event set duplicate_count = duplicate_count + ? where id = ?', [
              n,
              row.id,
            ]);
      }
    }
    const seen = new Set<string>();
    return items.map((e) => {
      const k = keyOf(e);
      const row = byKey.get(k)!;
      const first = !seen.has(k);
      seen.add(k);
      return { id: row.id, inserted: first && row.inserted };
    });
  }

  private async enqueueBatch(
    items: Array<{ organizationId: string; inboundEventId: string }>,
  ): Promise<boolean[]> {
    try {
      await this.queues.inboundEvents.addBulk(
        items.map((d) => ({ name: 'process', data: d, opts: { jobId: d.inboundEventId } })),
      );
      return items.map(() => true);
    } catch (err) {
      // Stored and acknowledged; the sweeper enqueues these once Redis is back (nothing is lost).
      this.logger.warn({ err, count: items.length }, 'could not enqueue inbound events; sweeper will retry');
      return items.map(() => false);
    }
  }

  async acceptCallback(req: CallbackRequest): Promise<CallbackReply> {
    const source = await this.sources.sourceForCallback(req.sourceId);
    if (!source) return { status: 404, body: { error: 'NOT_FOUND', message: 'Unknown source' } };
    if (source.status === 'DISABLED')
      return { status: 403, body: { error: 'FORBIDDEN', message: 'Source is disabled' } };
    if (!source.connector)
      return { status: 503, body: { error: 'UPSTREAM_UNAVAILABLE', message: 'Source is not usable' } };

    let verified;
    try {
      verified = source.connector.verifyCallback({
        rawBody: req.rawBody,
        headers: req.headers,
        method: req.method,
        pathToken: req.token,
        query: req.query,
        expectedToken: source.callbackToken,
      });
    } catch (err) {
      if (err instanceof ConnectorError && err.code === 'WEBHOOK_SIGNATURE_INVALID') {
        this.logger.warn(
          { sourceId: source.id, kind: source.kind },
          'callback rejected: bad token or signature',
        );
        return { status: 401, body: { error: 'UNAUTHENTICATED', message: 'Callback authentication failed' } };
      }
      if (err instanceof ConnectorError) {
        return {
          status: 400,
          body: { error: 'BAD_USER_INPUT', message: 'Callback body is not in the expected format' },
        };
      }
      throw err;
    }
    if (verified.events.length === 0) return verified.ack;

    const headers = JSON.stringify(storableHeaders(req.headers));
    const query = JSON.stringify(req.query);
    const stored = await Promise.all(
      verified.events.map((e) =>
        this.inserts.submit({
          organizationId: source.organizationId,
          sourceId: source.id,
          providerEventId: e.providerEventId.slice(0, 500),
          eventType: e.eventType.slice(0, 100),
          method: req.method,
          headers,
          query,
          rawBody: req.rawBody,
        }),
      ),
    );
    await Promise.all(
      stored
        .filter((r) => r.inserted)
        .map((r) => this.enqueues.submit({ organizationId: source.organizationId, inboundEventId: r.id })),
    );
    return verified.ack;
  }
}
