import type { IncomingMessage, ServerResponse } from 'node:http';
import zlib from 'node:zlib';
import type { Logger } from '../logger';
import type { Services } from '../services/container';
import type { Metrics } from './metrics';
import { startRequest } from './request-context';

/** `/hooks/:sourceId` or `/hooks/:sourceId/:token`, with an optional query string. */
const HOOK_PATH = /^\/hooks\/([^/?#]+)(?:\/([^/?#]+))?\/?(?:\?(.*))?$/;

/** `256kb`, `1mb`, `512b` (the forms config accepts) to bytes. */
export function parseByteLimit(limit: string): number {
  const m = /^(\d+)(b|kb|mb)$/i.exec(limit.trim());
  if (!m) throw new Error(`not a byte size: ${limit}`);
  const unit = m[2].toLowerCase();
  return Number(m[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
}

class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function decodeSegment(segment: string | undefined): string | null | undefined {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** Query parameters with one string value each; repeated keys are dropped, values capped at 500 characters. */
function queryRecord(search: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!search) return out;
  const repeated = new Set<string>();
  for (const [k, v] of new URLSearchParams(search)) {
    if (k in out || repeated.has(k)) {
      delete out[k];
      repeated.add(k);
    } else out[k] = v.slice(0, 500);
  }
  return out;
}

/**
 * Reads the whole body, inflating gzip/deflate/br, and fails with 413 once it (or its inflated form) passes
 * `limit.bytes`: a declared Content-Length over the limit is refused before a byte is read.
 */
function readBody(req: IncomingMessage, limit: { bytes: number; label: string }): Promise<Buffer> {
  const tooLarge = () => new BodyError(413, `Request body is larger than ${limit.label}`);
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit.bytes) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
    let stream: NodeJS.ReadableStream = req;
    if (encoding === 'gzip' || encoding === 'x-gzip') stream = req.pipe(zlib.createGunzip());
    else if (encoding === 'deflate') stream = req.pipe(zlib.createInflate());
    else if (encoding === 'br') stream = req.pipe(zlib.createBrotliDecompress());
    else if (encoding !== 'identity') {
      req.resume();
      reject(new BodyError(415, 'Unsupported request encoding'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const fail = (err: BodyError) => {
      if (done) return;
      done = true;
      req.unpipe();
      req.resume();
      reject(err);
    };
    stream.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit.bytes) fail(tooLarge());
      else chunks.push(chunk);
    });
    stream.on('end', () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    stream.on('error', () => fail(new BodyError(400, 'Request body could not be read')));
    req.on('aborted', () => fail(new BodyError(400, 'Request was aborted')));
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  if (body === undefined || body === null) {
    res.writeHead(status, { 'content-length': 0 });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The rails' callback endpoint on plain node:http, outside express: this is the hub's hottest path (every
 * payment, duplicates and retries included), and express's routing, body parser and response helpers cost
 * about a fifth of its CPU. Behaviour matches the rest of the API: request id, one log line, metrics, the same
 * error bodies. Raw bytes are handed to the connector untouched for signature checks.
 */
export function createHookHandler(
  services: Services,
  metrics: Metrics,
  logger: Logger,
): {
  /** True when the request is a callback this handler answers (POST/PUT on a hook path). */
  matches(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, res: ServerResponse): void;
} {
  const limit = { bytes: parseByteLimit(services.config.bodyLimit), label: services.config.bodyLimit };

  const respond = async (req: IncomingMessage, res: ServerResponse) => {
    const m = HOOK_PATH.exec(req.url ?? '');
    if (!m) return sendJson(res, 404, { error: 'NOT_FOUND', message: 'No such endpoint' });
    const sourceId = decodeSegment(m[1]);
    const token = decodeSegment(m[2]);
    let rawBody: Buffer;
    try {
      rawBody = await readBody(req, limit);
    } catch (err) {
      if (err instanceof BodyError) {
        // The rest of an unread body is not worth reading: answer and close the connection.
        res.setHeader('connection', 'close');
        return sendJson(res, err.status, { error: 'BAD_USER_INPUT', message: err.message });
      }
      throw err;
    }
    if (!sourceId || token === null)
      return sendJson(res, 404, { error: 'NOT_FOUND', message: 'Unknown source' });
    const reply = await services.ingest.acceptCallback({
      sourceId,
      token: token ?? null,
      method: req.method ?? 'POST',
      headers: req.headers,
      query: queryRecord(m[3]),
      rawBody,
    });
    metrics.callbacks.inc({ rail: 'any', outcome: String(reply.status) });
    sendJson(res, reply.status, reply.body);
  };

  return {
    matches: (req) =>
      (req.method === 'POST' || req.method === 'PUT') && (req.url ?? '').startsWith('/hooks/'),
    handle: (req, res) => {
      const ctx = startRequest(req, res, logger, metrics);
      respond(req, res).catch((err: unknown) => {
        ctx.logger.error({ err, path: ctx.path }, 'unhandled error');
        sendJson(res, 500, { error: 'INTERNAL_SERVER_ERROR', message: 'Something went wrong on our side' });
      });
    },
  };
}
