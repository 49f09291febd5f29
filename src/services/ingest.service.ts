import type { MikroORM } from '@mikro-orm/postgresql';
import { ConnectorError } from '../connectors/errors';
import type { Queues } from '../jobs/queues';
import type { Logger } from '../logger';
import { ulid } from '../domain/ids';
import type { SourceService } from './source.service';

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
  constructor(
    private readonly orm: MikroORM,
    private readonly sources: SourceService,
    private readonly queues: Queues,
    private readonly logger: Logger,
  ) {}

  async acceptCallback(req: CallbackRequest): Promise<CallbackReply> {
    const source = await this.sources.sourceForCallback(req.sourceId);
    if (!source) return { status: 404, body: { error: 'NOT_FOUND', message: 'Unknown source' } };
    if (source.status === 'DISABLED') return { status: 403, body: { error: 'FORBIDDEN', message: 'Source is disabled' } };
    if (!source.connector) return { status: 503, body: { error: 'UPSTREAM_UNAVAILABLE', message: 'Source is not usable' } };

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
        this.logger.warn({ sourceId: source.id, kind: source.kind }, 'callback rejected: bad token or signature');
        return { status: 401, body: { error: 'UNAUTHENTICATED', message: 'Callback authentication failed' } };
      }
      if (err instanceof ConnectorError) {
        return { status: 400, body: { error: 'BAD_USER_INPUT', message: 'Callback body is not in the expected format' } };
      }
      throw err;
    }
    if (verified.events.length === 0) return verified.ack;

    const headers = JSON.stringify(storableHeaders(req.headers));
    const query = JSON.stringify(req.query);
    const params: unknown[] = [];
    const values: string[] = [];
    for (const e of verified.events) {
      values.push('(?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?)');
      params.push(`evt_${ulid()}`, source.organizationId, source.id, e.providerEventId.slice(0, 500), e.eventType.slice(0, 100), req.method, headers, query, req.rawBody);
    }
    // One statement: insert new events; count duplicates on the existing rows. `xmax = 0` marks fresh inserts.
    const rows = await this.orm.em.getConnection().execute<Array<{ id: string; inserted: boolean }>>(
      `insert into inbound_event (id, organization_id, payment_source_id, provider_event_id, event_type, method, headers, query, raw_body)
       values ${values.join(', ')}
       on conflict (payment_source_id, provider_event_id)
       do update set duplicate_count = inbound_event.duplicate_count + 1
       returning id, (xmax = 0) as inserted`,
      params,
    );
    const fresh = rows.filter((r) => r.inserted);
    if (fresh.length > 0) {
      try {
        await this.queues.inboundEvents.addBulk(
          fresh.map((r) => ({
            name: 'process',
            data: { organizationId: source.organizationId, inboundEventId: r.id },
            opts: { jobId: r.id },
          })),
        );
      } catch (err) {
        // Stored and acknowledged; the sweeper enqueues it once Redis is back (nothing is lost).
        this.logger.warn({ err, sourceId: source.id, count: fresh.length }, 'could not enqueue inbound events; sweeper will retry');
      }
    }
    return verified.ack;
  }
}
