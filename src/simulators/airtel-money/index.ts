/**
 * A loopback Airtel Money simulator (node:http on 127.0.0.1 only) for tests, demos and local runs. It speaks the
 * wire format in rails.md section 3: OAuth2 token (JSON body, `expires_in` as a string), USSD-push collection
 * (the docs' "in process" answer, `id: false` quirk included), enquiry, the `{transaction:{...}}` callback POSTed
 * to the URL configured on the app (with a `hash` when a callback key is set), and full refunds. Callbacks go only
 * to loopback `http://` URLs; anything else is recorded and skipped.
 *
 * Where Airtel's behaviour is undocumented (duplicate transaction ids, refunding twice) the simulator picks a
 * plausible answer and says so in a comment; do not read those as facts about Airtel.
 */
import { createHmac, randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Final transaction status the simulator gives a collection (`TIP`/`TA` = never settles). */
export type AirtelMoneySimulatedOutcome = 'TS' | 'TF' | 'TIP' | 'TA';

/** What an outcome function sees of a collection. */
export interface AirtelMoneySimulatedPayment {
  id: string;
  /** Major units exactly as sent (a JSON number's text). */
  amount: string;
  currency: string;
  country: string;
  /** MSISDN without country code (test numbers here). */
  msisdn: string;
}

export interface AirtelMoneySimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  clientId: string;
  clientSecret: string;
  /** The callback URL "configured on the app" (Airtel has no per-request callback URL). */
  callbackUrl?: string;
  /** When set, callbacks carry `hash` = base64 HMAC-SHA256 of the body without `hash` (the reading Lipa checks). */
  callbackHashKey?: string;
  /** Decides each collection's outcome; default TS (success). */
  outcome?: (input: AirtelMoneySimulatedPayment) => AirtelMoneySimulatedOutcome;
  /** `response_code` for TF outcomes (default DP00800001007, not enough balance). */
  failureResponseCode?: string;
  /** Delay before settlement and callback (default 20 ms). */
  callbackDelayMs?: number;
  /** Token lifetime in seconds, sent as a string like the docs sample (default "180"). */
  tokenTtlSeconds?: number;
}

export interface AirtelMoneySimulatorRequestRecord {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Raw request body text (so tests can see how numbers were written). */
  rawBody: string;
}

export interface AirtelMoneySimulatorCallbackRecord {
  url: string;
  body: Record<string, unknown>;
  result: number | 'skipped-non-loopback' | 'error';
}

export interface AirtelMoneySimulator {
  /** Base URL to give the connector (`http://127.0.0.1:<port>`). */
  url: string;
  close(): Promise<void>;
  requests: AirtelMoneySimulatorRequestRecord[];
  callbacks: AirtelMoneySimulatorCallbackRecord[];
}

interface StoredPayment {
  input: AirtelMoneySimulatedPayment;
  status: AirtelMoneySimulatedOutcome;
  airtelMoneyId?: string;
  responseCode: string;
  refunded: boolean;
}

const MAX_BODY = 1024 * 1024;

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

function sendJson(res: ServerResponse, status: number, body: unknown): void {
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

function statusBlock(
  success: boolean,
  message: string,
  resultCode: string,
  responseCode?: string,
  code = '200',
) {
  return {
    code,
    message,
    result_code: resultCode,
    ...(responseCode ? { response_code: responseCode } : {}),
    success,
  };
}

function isLoopbackHttp(url: URL): boolean {
  return (
    url.protocol === 'http:' &&
    (url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]')
  );
}

function deliver(url: URL, text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
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
 * The amount's JSON text as sent, read without converting it to a JS number (`"amount":50000` -> "50000").
 * Returns null when it is not a plain positive decimal number.
 */
function amountText(raw: string): string | null {
  const m = /"amount"\s*:\s*(-?\d+(?:\.\d+)?)(?=\s*[,}])/.exec(raw);
  return m && !m[1].startsWith('-') && !/^0+(\.0+)?$/.test(m[1]) ? m[1] : null;
}

/**
 * Starts the simulator on 127.0.0.1.
 * @example const sim = await startAirtelMoneySimulator({ clientId, clientSecret, callbackUrl }); ... await sim.close();
 */
export async function startAirtelMoneySimulator(
  options: AirtelMoneySimulatorOptions,
): Promise<AirtelMoneySimulator> {
  const tokens = new Set<string>();
  const payments = new Map<string, StoredPayment>();
  const timers = new Set<NodeJS.Timeout>();
  const requests: AirtelMoneySimulatorRequestRecord[] = [];
  const callbacks: AirtelMoneySimulatorCallbackRecord[] = [];
  const delay = options.callbackDelayMs ?? 20;

  const newAirtelId = () =>
    `MP${randomBytes(3).toString('hex').toUpperCase()}.${randomBytes(2).toString('hex').toUpperCase()}.SIM${randomBytes(2).readUInt16BE(0)}`;

  const sendCallback = (payment: StoredPayment) => {
    if (!options.callbackUrl) return;
    let url: URL;
    try {
      url = new URL(options.callbackUrl);
    } catch {
      return;
    }
    const transaction: Record<string, unknown> = {
      id: payment.input.id,
      message:
        payment.status === 'TS'
          ? `Paid ${payment.input.currency} ${payment.input.amount} to LIPA SIMULATOR, Trans ID ${payment.airtelMoneyId}.`
          : 'Transaction failed',
      status_code: payment.status,
      ...(payment.airtelMoneyId ? { airtel_money_id: payment.airtelMoneyId } : {}),
    };
    const unsigned = { transaction };
    const body: Record<string, unknown> = options.callbackHashKey
      ? {
          ...unsigned,
          hash: createHmac('sha256', options.callbackHashKey)
            .update(JSON.stringify(unsigned))
            .digest('base64'),
        }
      : unsigned;
    if (!isLoopbackHttp(url)) {
      callbacks.push({ url: options.callbackUrl, body, result: 'skipped-non-loopback' });
      return;
    }
    const record: AirtelMoneySimulatorCallbackRecord = { url: options.callbackUrl, body, result: 'error' };
    callbacks.push(record);
    deliver(url, JSON.stringify(body)).then(
      (status) => (record.result = status),
      () => (record.result = 'error'),
    );
  };

  const settle = (payment: StoredPayment) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      const outcome = options.outcome ? options.outcome(payment.input) : 'TS';
      if (outcome === 'TIP' || outcome === 'TA') {
        payment.status = outcome;
        payment.responseCode = outcome === 'TA' ? 'DP00800001000' : 'DP00800001006';
        return;
      }
      payment.status = outcome;
      payment.airtelMoneyId = newAirtelId();
      payment.responseCode =
        outcome === 'TS' ? 'DP00800001001' : (options.failureResponseCode ?? 'DP00800001007');
      sendCallback(payment);
    }, delay);
    timers.add(timer);
  };

  const authorized = (req: IncomingMessage, res: ServerResponse): boolean => {
    const auth = header(req, 'authorization') ?? '';
    if (!auth.startsWith('Bearer ') || !tokens.has(auth.slice(7))) {
      sendJson(res, 401, { error: 'invalid_token', error_description: 'Access token is invalid or expired' });
      return false;
    }
    if (!header(req, 'x-country') || !header(req, 'x-currency')) {
      sendJson(res, 400, {
        status: statusBlock(false, 'Invalid Country Command', 'ESB000034', undefined, '400'),
      });
      return false;
    }
    return true;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    requests.push({ method, path, headers: { ...req.headers }, rawBody: raw });
    let body: unknown;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }

    if (method === 'POST' && path === '/auth/oauth2/token') {
      if (
        !isObject(body) ||
        body.client_id !== options.clientId ||
        body.client_secret !== options.clientSecret ||
        body.grant_type !== 'client_credentials'
      ) {
        return sendJson(res, 401, {
          error: 'invalid_client',
          error_description: 'Client authentication failed',
        });
      }
      const token = `sim-${randomBytes(16).toString('hex')}`;
      tokens.add(token);
      return sendJson(res, 200, {
        access_token: token,
        expires_in: String(options.tokenTtlSeconds ?? 180),
        token_type: 'bearer',
      });
    }

    if (method === 'POST' && (path === '/merchant/v1/payments/' || path === '/merchant/v1/payments')) {
      if (!authorized(req, res)) return;
      const subscriber = isObject(body) && isObject(body.subscriber) ? body.subscriber : null;
      const transaction = isObject(body) && isObject(body.transaction) ? body.transaction : null;
      const amount = amountText(raw);
      if (
        !subscriber ||
        !transaction ||
        typeof transaction.id !== 'string' ||
        typeof transaction.amount !== 'number' ||
        amount === null
      ) {
        return sendJson(res, 400, {
          status: statusBlock(false, 'Field validation', 'ESB000008', undefined, '400'),
        });
      }
      // "Do not send country code in msisdn": a 12-digit E.164 number is refused like Airtel's length check.
      if (typeof subscriber.msisdn !== 'string' || !/^\d{6,10}$/.test(subscriber.msisdn)) {
        return sendJson(res, 400, {
          status: statusBlock(false, 'Invalid MSISDN Length.', 'ESB000033', undefined, '400'),
        });
      }
      // Undocumented at Airtel: a reused transaction id is refused here as a field validation error.
      if (payments.has(transaction.id)) {
        return sendJson(res, 400, {
          status: statusBlock(false, 'Duplicate transaction id', 'ESB000008', undefined, '400'),
        });
      }
      const payment: StoredPayment = {
        input: {
          id: transaction.id,
          amount,
          currency: String(transaction.currency ?? header(req, 'x-currency')),
          country: String(transaction.country ?? header(req, 'x-country')),
          msisdn: subscriber.msisdn,
        },
        status: 'TIP',
        responseCode: 'DP00800001006',
        refunded: false,
      };
      payments.set(transaction.id, payment);
      // The docs sample answer, quirk included: `id` is `false`.
      sendJson(res, 200, {
        data: { transaction: { id: false, status: 'SUCCESS' } },
        status: statusBlock(true, 'SUCCESS', 'ESB000010', 'DP00800001006'),
      });
      settle(payment);
      return;
    }

    const enquiryMatch = /^\/standard\/v1\/payments\/([^/]+)$/.exec(path);
    if (method === 'GET' && enquiryMatch) {
      if (!authorized(req, res)) return;
      const payment = payments.get(decodeURIComponent(enquiryMatch[1]));
      if (!payment)
        return sendJson(res, 200, {
          data: {},
          status: statusBlock(false, 'Transaction not found', 'ESB000014', 'DP00800001025'),
        });
      return sendJson(res, 200, {
        data: {
          transaction: {
            ...(payment.airtelMoneyId ? { airtel_money_id: payment.airtelMoneyId } : {}),
            id: payment.input.id,
            message:
              payment.status === 'TS'
                ? 'Success'
                : payment.status === 'TF'
                  ? 'Transaction failed'
                  : 'In process',
            status: payment.status,
          },
        },
        status: statusBlock(true, 'SUCCESS', 'ESB000010', payment.responseCode),
      });
    }

    if (method === 'POST' && path === '/standard/v1/payments/refund') {
      if (!authorized(req, res)) return;
      const transaction = isObject(body) && isObject(body.transaction) ? body.transaction : null;
      const airtelMoneyId =
        transaction && typeof transaction.airtel_money_id === 'string' ? transaction.airtel_money_id : null;
      const payment = airtelMoneyId
        ? [...payments.values()].find((p) => p.airtelMoneyId === airtelMoneyId)
        : undefined;
      // Undocumented: refunding an unknown, unsuccessful or already refunded transaction is refused as "not found".
      if (!payment || payment.status !== 'TS' || payment.refunded) {
        return sendJson(res, 200, {
          data: {},
          status: statusBlock(false, 'Transaction not found', 'ESB000001', 'DP00800001025', '400'),
        });
      }
      payment.refunded = true;
      // The docs sample pairs status SUCCESS with success:false; the simulator answers success:true.
      return sendJson(res, 200, {
        data: { transaction: { airtel_money_id: airtelMoneyId, status: 'SUCCESS' } },
        status: statusBlock(true, 'SUCCESS', 'ESB000010'),
      });
    }

    sendJson(res, 404, { status: statusBlock(false, 'Resource not found', 'ESB000001', undefined, '404') });
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent)
        sendJson(res, 500, {
          status: statusBlock(false, 'Something went wrong', 'ESB000001', undefined, '500'),
        });
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
