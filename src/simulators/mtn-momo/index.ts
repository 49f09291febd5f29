/**
 * A loopback MTN MoMo simulator (node:http on 127.0.0.1 only) for tests, demos and local runs. It speaks the wire
 * format in rails.md section 2: token, request-to-pay (202, then a callback by PUT or POST to `X-Callback-Url`
 * with the status-shaped body), status GET, and Disbursement refunds. Callbacks are only delivered to loopback
 * `http://` URLs; anything else is recorded and skipped, so the simulator never reaches the network.
 *
 * State is in memory and per instance. Money stays in the strings MTN uses; nothing here does arithmetic on it.
 */
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The final state the simulator gives a request-to-pay (`PENDING` = never settles). */
export type MtnMomoSimulatedOutcome = 'SUCCESSFUL' | 'FAILED' | 'PENDING';

/** What an outcome function sees of a request-to-pay. */
export interface MtnMomoSimulatedRequest {
  referenceId: string;
  amount: string;
  currency: string;
  externalId: string;
  /** Payer MSISDN (personal data in real use; test numbers here). */
  msisdn: string;
  targetEnvironment: string;
}

export interface MtnMomoSimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Collection API user, key and subscription key the simulator accepts. */
  apiUser: string;
  apiKey: string;
  subscriptionKey: string;
  /** Disbursement credentials for refunds; defaults to the collection ones. */
  disbursement?: { apiUser: string; apiKey: string; subscriptionKey: string };
  /**
   * Decides each request's final state. Default: MTN's sandbox numbers (46733123450 failed, 46733123451 rejected,
   * 46733123452 timeout, 46733123454 pending), everything else SUCCESSFUL.
   */
  outcome?: (input: MtnMomoSimulatedRequest) => MtnMomoSimulatedOutcome;
  /** Reason for FAILED outcomes chosen by `outcome` (default APPROVAL_REJECTED). */
  failureReason?: string;
  /** Delay before the request settles and the callback is sent (default 20 ms). */
  callbackDelayMs?: number;
  /** MTN sends callbacks by PUT or POST (default PUT). */
  callbackMethod?: 'PUT' | 'POST';
  /** Token lifetime in seconds (default 3600). */
  tokenTtlSeconds?: number;
}

/** One request the simulator received (for test assertions). */
export interface MtnMomoSimulatorRequestRecord {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** One callback the simulator attempted. */
export interface MtnMomoSimulatorCallbackRecord {
  url: string;
  method: 'PUT' | 'POST';
  body: Record<string, unknown>;
  /** HTTP status the receiver answered, or the reason nothing was sent. */
  result: number | 'skipped-non-loopback' | 'error';
}

export interface MtnMomoSimulator {
  /** Base URL to give the connector (`http://127.0.0.1:<port>`). */
  url: string;
  /** Stops the server and cancels pending settlements. */
  close(): Promise<void>;
  requests: MtnMomoSimulatorRequestRecord[];
  callbacks: MtnMomoSimulatorCallbackRecord[];
}

interface StoredTransaction {
  status: MtnMomoSimulatedOutcome;
  body: Record<string, unknown>;
  financialTransactionId?: string;
  reason?: string;
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const AMOUNT = /^\d{1,15}(\.\d{1,2})?$/;
const MAX_BODY = 1024 * 1024;

const SANDBOX_NUMBERS: Readonly<Record<string, { outcome: MtnMomoSimulatedOutcome; reason?: string }>> = {
  '46733123450': { outcome: 'FAILED', reason: 'INTERNAL_PROCESSING_ERROR' },
  '46733123451': { outcome: 'FAILED', reason: 'APPROVAL_REJECTED' },
  '46733123452': { outcome: 'FAILED', reason: 'EXPIRED' },
  '46733123454': { outcome: 'PENDING' },
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status, { 'Content-Length': '0' });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLoopbackHttp(url: URL): boolean {
  return (
    url.protocol === 'http:' &&
    (url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]')
  );
}

/** Delivers one callback to a loopback URL and resolves with the receiver's HTTP status. */
function deliver(url: URL, method: 'PUT' | 'POST', body: Record<string, unknown>): Promise<number> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent: false,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) },
        timeout: 2000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('callback timeout')));
    req.on('error', reject);
    req.end(text);
  });
}

/**
 * Starts the simulator on 127.0.0.1.
 * @example const sim = await startMtnMomoSimulator({ apiUser, apiKey, subscriptionKey }); ... await sim.close();
 */
export async function startMtnMomoSimulator(options: MtnMomoSimulatorOptions): Promise<MtnMomoSimulator> {
  const collection = {
    apiUser: options.apiUser,
    apiKey: options.apiKey,
    subscriptionKey: options.subscriptionKey,
  };
  const products = { collection, disbursement: options.disbursement ?? collection } as const;
  const tokens = new Map<string, 'collection' | 'disbursement'>();
  const payments = new Map<string, StoredTransaction>();
  const refunds = new Map<string, StoredTransaction>();
  const timers = new Set<NodeJS.Timeout>();
  const requests: MtnMomoSimulatorRequestRecord[] = [];
  const callbacks: MtnMomoSimulatorCallbackRecord[] = [];
  const delay = options.callbackDelayMs ?? 20;
  const callbackMethod = options.callbackMethod ?? 'PUT';

  const decide = (input: MtnMomoSimulatedRequest): { outcome: MtnMomoSimulatedOutcome; reason?: string } => {
    if (options.outcome) {
      const outcome = options.outcome(input);
      return outcome === 'FAILED'
        ? { outcome, reason: options.failureReason ?? 'APPROVAL_REJECTED' }
        : { outcome };
    }
    return SANDBOX_NUMBERS[input.msisdn] ?? { outcome: 'SUCCESSFUL' };
  };

  const statusBody = (tx: StoredTransaction): Record<string, unknown> => ({
    ...(tx.financialTransactionId ? { financialTransactionId: tx.financialTransactionId } : {}),
    ...tx.body,
    status: tx.status,
    ...(tx.reason ? { reason: tx.reason } : {}),
  });

  const financialTransactionId = () => String(1_000_000_000 + (randomBytes(4).readUInt32BE(0) % 900_000_000));

  /** Checks Bearer token + subscription key for a product; answers 401 like MTN's gateway when wrong. */
  const authorized = (
    req: IncomingMessage,
    res: ServerResponse,
    product: 'collection' | 'disbursement',
  ): boolean => {
    const auth = header(req, 'authorization') ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (
      tokens.get(token) !== product ||
      header(req, 'ocp-apim-subscription-key') !== products[product].subscriptionKey
    ) {
      sendJson(res, 401, {
        statusCode: 401,
        message: 'Access denied due to invalid subscription key or token.',
      });
      return false;
    }
    if (!header(req, 'x-target-environment')) {
      sendJson(res, 400, {
        code: 'NOT_ALLOWED_TARGET_ENVIRONMENT',
        message: 'Access to target environment is forbidden.',
      });
      return false;
    }
    return true;
  };

  const settle = (referenceId: string, input: MtnMomoSimulatedRequest, callbackUrl: string | undefined) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      const tx = payments.get(referenceId);
      if (!tx) return;
      const { outcome, reason } = decide(input);
      if (outcome === 'PENDING') return;
      tx.status = outcome;
      if (outcome === 'SUCCESSFUL') tx.financialTransactionId = financialTransactionId();
      else tx.reason = reason;
      if (!callbackUrl) return;
      let url: URL;
      try {
        url = new URL(callbackUrl);
      } catch {
        return;
      }
      const body = statusBody(tx);
      if (!isLoopbackHttp(url)) {
        callbacks.push({ url: callbackUrl, method: callbackMethod, body, result: 'skipped-non-loopback' });
        return;
      }
      const record: MtnMomoSimulatorCallbackRecord = {
        url: callbackUrl,
        method: callbackMethod,
        body,
        result: 'error',
      };
      callbacks.push(record);
      deliver(url, callbackMethod, body).then(
        (status) => (record.result = status),
        () => (record.result = 'error'),
      );
    }, delay);
    timers.add(timer);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    let body: unknown = raw;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    requests.push({ method, path, headers: { ...req.headers }, body });

    const tokenMatch = /^\/(collection|disbursement)\/token\/?$/.exec(path);
    if (method === 'POST' && tokenMatch) {
      const product = tokenMatch[1] as 'collection' | 'disbursement';
      const creds = products[product];
      const expected = `Basic ${Buffer.from(`${creds.apiUser}:${creds.apiKey}`).toString('base64')}`;
      if (
        header(req, 'authorization') !== expected ||
        header(req, 'ocp-apim-subscription-key') !== creds.subscriptionKey
      ) {
        sendJson(res, 401, { error: 'login_failed', error_description: 'Login failed' });
        return;
      }
      const token = `sim-${product}-${randomBytes(16).toString('hex')}`;
      tokens.set(token, product);
      sendJson(res, 200, {
        access_token: token,
        token_type: 'access_token',
        expires_in: options.tokenTtlSeconds ?? 3600,
      });
      return;
    }

    if (method === 'POST' && path === '/collection/v1_0/requesttopay') {
      if (!authorized(req, res, 'collection')) return;
      const referenceId = header(req, 'x-reference-id') ?? '';
      if (!UUID_V4.test(referenceId)) return sendJson(res, 400);
      if (payments.has(referenceId)) {
        return sendJson(res, 409, {
          code: 'RESOURCE_ALREADY_EXIST',
          message: 'Duplicated reference id. Creation of resource failed.',
        });
      }
      const payer = isObject(body) && isObject(body.payer) ? body.payer : null;
      if (
        !isObject(body) ||
        typeof body.amount !== 'string' ||
        !AMOUNT.test(body.amount) ||
        typeof body.currency !== 'string' ||
        !/^[A-Z]{3}$/.test(body.currency) ||
        !payer ||
        payer.partyIdType !== 'MSISDN' ||
        typeof payer.partyId !== 'string'
      ) {
        return sendJson(res, 400);
      }
      const targetEnvironment = header(req, 'x-target-environment') ?? '';
      if (targetEnvironment === 'sandbox' && body.currency !== 'EUR') {
        return sendJson(res, 500, { code: 'INVALID_CURRENCY', message: 'Currency not supported.' });
      }
      const stored: StoredTransaction = {
        status: 'PENDING',
        body: {
          externalId: body.externalId,
          amount: body.amount,
          currency: body.currency,
          payer: { partyIdType: 'MSISDN', partyId: payer.partyId },
          payerMessage: body.payerMessage,
          payeeNote: body.payeeNote,
        },
      };
      payments.set(referenceId, stored);
      sendJson(res, 202);
      settle(
        referenceId,
        {
          referenceId,
          amount: body.amount,
          currency: body.currency,
          externalId: typeof body.externalId === 'string' ? body.externalId : '',
          msisdn: payer.partyId,
          targetEnvironment,
        },
        header(req, 'x-callback-url'),
      );
      return;
    }

    const statusMatch = /^\/collection\/v1_0\/requesttopay\/([^/]+)$/.exec(path);
    if (method === 'GET' && statusMatch) {
      if (!authorized(req, res, 'collection')) return;
      const tx = payments.get(decodeURIComponent(statusMatch[1]));
      if (!tx)
        return sendJson(res, 404, {
          code: 'RESOURCE_NOT_FOUND',
          message: 'Requested resource was not found.',
        });
      return sendJson(res, 200, statusBody(tx));
    }

    if (method === 'POST' && path === '/disbursement/v1_0/refund') {
      if (!authorized(req, res, 'disbursement')) return;
      const referenceId = header(req, 'x-reference-id') ?? '';
      if (!UUID_V4.test(referenceId)) return sendJson(res, 400);
      if (refunds.has(referenceId)) {
        return sendJson(res, 409, {
          code: 'RESOURCE_ALREADY_EXIST',
          message: 'Duplicated reference id. Creation of resource failed.',
        });
      }
      if (
        !isObject(body) ||
        typeof body.amount !== 'string' ||
        !AMOUNT.test(body.amount) ||
        typeof body.referenceIdToRefund !== 'string'
      ) {
        return sendJson(res, 400);
      }
      const original = payments.get(body.referenceIdToRefund);
      if (!original || original.status !== 'SUCCESSFUL') {
        return sendJson(res, 404, {
          code: 'RESOURCE_NOT_FOUND',
          message: 'Requested resource was not found.',
        });
      }
      refunds.set(referenceId, {
        status: 'SUCCESSFUL',
        financialTransactionId: financialTransactionId(),
        body: {
          externalId: body.externalId,
          amount: body.amount,
          currency: body.currency,
          payee: original.body.payer,
        },
      });
      return sendJson(res, 202);
    }

    const refundMatch = /^\/disbursement\/v1_0\/refund\/([^/]+)$/.exec(path);
    if (method === 'GET' && refundMatch) {
      if (!authorized(req, res, 'disbursement')) return;
      const tx = refunds.get(decodeURIComponent(refundMatch[1]));
      if (!tx)
        return sendJson(res, 404, {
          code: 'RESOURCE_NOT_FOUND',
          message: 'Requested resource was not found.',
        });
      return sendJson(res, 200, statusBody(tx));
    }

    sendJson(res, 404, { code: 'RESOURCE_NOT_FOUND', message: 'Requested resource was not found.' });
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent)
        sendJson(res, 500, { code: 'INTERNAL_PROCESSING_ERROR', message: 'Simulator error.' });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    callbacks,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
