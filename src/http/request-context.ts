import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger';
import type { Metrics } from './metrics';

export interface RequestContext {
  requestId: string;
  /** Path as logged: no query string, and the hook token never reaches a log line. */
  path: string;
  /** Child logger bound to the request id, created on first use (most requests never log). */
  readonly logger: Logger;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;

export function loggablePath(url: string): string {
  const path = url.split('?')[0];
  return path.replace(/^(\/hooks\/[^/]+)\/.+$/, '$1/[token]');
}

/**
 * Per-request bookkeeping shared by express and the plain callback handler: a request id (taken from
 * `x-request-id` when well formed, echoed back), and when the response finishes, the HTTP metrics and one
 * `request` log line without personal data.
 */
export function startRequest(
  req: IncomingMessage,
  res: ServerResponse,
  logger: Logger,
  metrics: Metrics,
): RequestContext {
  const incoming = req.headers['x-request-id'];
  const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('x-request-id', requestId);
  const url = req.url ?? '/';
  let child: Logger | null = null;
  const ctx: RequestContext = {
    requestId,
    path: loggablePath(url),
    get logger() {
      child ??= logger.child({ requestId });
      return child;
    },
  };
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const route = url.startsWith('/hooks/') ? '/hooks' : url.split('?')[0];
    const method = req.method ?? 'GET';
    metrics.httpRequests.inc({ method, route, status: String(res.statusCode) });
    metrics.httpDuration.observe({ method, route }, ms / 1000);
    if (route !== '/healthz' && route !== '/metrics' && logger.isLevelEnabled('info')) {
      logger.info(
        { requestId, method, path: ctx.path, status: res.statusCode, ms: Math.round(ms * 10) / 10 },
        'request',
      );
    }
  });
  return ctx;
}
