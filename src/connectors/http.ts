import axios, { type AxiosInstance, type AxiosResponse, type Method } from 'axios';
import type { Logger } from '../logger';
import { ConnectorError } from './errors';

/** Retry and timeout settings for one connector's outbound calls. Tests set `baseDelayMs: 0`. */
export interface HttpRetryOptions {
  /** Per-attempt timeout in ms (default 15 000). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 3). */
  maxRetries?: number;
  /** First backoff in ms; doubles each retry with full jitter (default 250). */
  baseDelayMs?: number;
  /** Backoff ceiling in ms (default 5 000). */
  maxDelayMs?: number;
}

export interface ProviderResponse {
  status: number;
  data: unknown;
  headers: Record<string, string | undefined>;
}

export interface ConnectorHttpOptions extends HttpRetryOptions {
  /** Connector id used in errors and logs ("fineract", "mpesa"). */
  connector: string;
  baseUrl: string;
  logger: Logger;
  /** Headers added to every request (auth headers may be async: token fetch). */
  headers?: () => Record<string, string> | Promise<Record<string, string>>;
  /**
   * Turns a non-2xx response into a {@link ConnectorError}. Called once per final failure; the default maps
   * 401/403 -> AUTH_CONFIG_INVALID, 404 -> NOT_FOUND, 429 -> RATE_LIMITED, 5xx -> PROVIDER_UNAVAILABLE, else DECLINED.
   */
  mapError?: (response: ProviderResponse) => ConnectorError | undefined;
  /**
   * Called on a 401: return true to retry once (e.g. after dropping a cached OAuth token).
   */
  onUnauthorized?: () => boolean | Promise<boolean>;
  /** Injectable sleep for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Extra axios defaults (custom adapter in tests). */
  axiosInstance?: AxiosInstance;
}

export interface ConnectorRequest {
  method: Method;
  /** Path relative to baseUrl ("/loans/42"). */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as the provider's idempotency header (when `idempotencyHeader` is set) and reused on every retry. */
  idempotencyKey?: string;
  /** Header name for the idempotency key (default `Idempotency-Key`); `null` sends none (key only guards retries). */
  idempotencyHeader?: string | null;
  /**
   * Whether this call may be retried. Defaults: GET/HEAD yes; other methods only when an idempotency key is given.
   */
  retryable?: boolean;
  /** Operation name for logs ("postRepayment"). */
  operation: string;
  /** Accepts statuses other than 2xx as success (e.g. 202). Default: 2xx only. */
  acceptStatus?: (status: number) => boolean;
  /** Per-call timeout override. */
  timeoutMs?: number;
}

const sleepReal = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function lowerHeaders(headers: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (headers && typeof headers === 'object') {
    for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
      out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v == null ? undefined : String(v);
    }
  }
  return out;
}

/** Parses a Retry-After header (seconds or HTTP date) into ms. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function defaultMapError(connector: string, response: ProviderResponse): ConnectorError {
  const { status } = response;
  const requestId = response.headers['x-request-id'] ?? response.headers['request-id'];
  const base = { httpStatus: status, providerRequestId: requestId };
  if (status === 401 || status === 403)
    return new ConnectorError(
      connector,
      'AUTH_CONFIG_INVALID',
      `${connector} rejected the credentials (${status})`,
      base,
    );
  if (status === 404)
    return new ConnectorError(connector, 'NOT_FOUND', `${connector} resource not found`, base);
  if (status === 429)
    return new ConnectorError(connector, 'RATE_LIMITED', `${connector} rate limit reached`, {
      ...base,
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    });
  if (status === 408 || status === 409 || status === 425 || status >= 500)
    return new ConnectorError(
      connector,
      'PROVIDER_UNAVAILABLE',
      `${connector} is temporarily unavailable (${status})`,
      base,
    );
  return new ConnectorError(connector, 'DECLINED', `${connector} refused the request (${status})`, base);
}

function isHtml(data: unknown, headers: Record<string, string | undefined>): boolean {
  const type = headers['content-type'] ?? '';
  if (type.includes('text/html')) return true;
  return typeof data === 'string' && /^\s*<(!doctype|html)/i.test(data);
}

/**
 * One outbound HTTP client per connector instance, with Stripe's discipline: explicit timeouts, retries only for
 * network errors, 408/409/425/429 and 5xx (honouring Retry-After), exponential backoff with full jitter, the
 * same idempotency key on every attempt, and one log line per attempt (no bodies, no secrets).
 *
 * A mutating call that fails after its last retry with a timeout or network error becomes `OUTCOME_UNKNOWN`:
 * the provider may have applied it, so callers reconcile by status query.
 */
export class ConnectorHttpClient {
  private readonly axios: AxiosInstance;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ConnectorHttpOptions) {
    this.axios = options.axiosInstance ?? axios.create();
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.maxRetries = options.maxRetries ?? 3;
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 5_000;
    this.sleep = options.sleep ?? sleepReal;
  }

  get connector(): string {
    return this.options.connector;
  }

  private backoff(attempt: number, retryAfterMs?: number): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, 60_000);
    if (this.baseDelayMs === 0) return 0;
    const cap = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** attempt);
    return Math.floor(Math.random() * cap);
  }

  /** Sends the request and returns the decoded response; throws {@link ConnectorError} on any failure. */
  async request(req: ConnectorRequest): Promise<ProviderResponse> {
    const { connector, logger } = this.options;
    const method = req.method.toUpperCase();
    const mayRetry =
      req.retryable ?? (method === 'GET' || method === 'HEAD' || req.idempotencyKey !== undefined);
    const mutating = !(method === 'GET' || method === 'HEAD');
    const accept = req.acceptStatus ?? ((s: number) => s >= 200 && s < 300);
    let unauthorizedRetried = false;

    for (let attempt = 0; ; attempt++) {
      const started = process.hrtime.bigint();
      const headers: Record<string, string> = {
        Accept: 'application/json',
        ...(this.options.headers ? await this.options.headers() : {}),
        ...(req.headers ?? {}),
      };
      if (req.idempotencyKey && req.idempotencyHeader !== null) {
        headers[req.idempotencyHeader ?? 'Idempotency-Key'] = req.idempotencyKey;
      }
      if (req.body !== undefined && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
      let response: AxiosResponse | undefined;
      let networkError: unknown;
      try {
        response = await this.axios.request({
          baseURL: this.options.baseUrl,
          url: req.path,
          method: req.method,
          params: req.query,
          data: req.body,
          headers,
          timeout: req.timeoutMs ?? this.timeoutMs,
          validateStatus: () => true,
          // Keep bodies as text when they are not JSON so an HTML error page is recognised, not thrown by axios.
          transformResponse: [
            (data: unknown) => {
              if (typeof data !== 'string' || data.length === 0) return data === '' ? undefined : data;
              try {
                return JSON.parse(data);
              } catch {
                return data;
              }
            },
          ],
        });
      } catch (err) {
        networkError = err;
      }
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      const canRetry = mayRetry && attempt < this.maxRetries;

      if (networkError !== undefined || !response) {
        const code = (networkError as { code?: string })?.code ?? 'NETWORK';
        logger.warn(
          { connector, op: req.operation, method, path: req.path, error: code, elapsedMs, attempt },
          'provider call failed',
        );
        if (canRetry) {
          await this.sleep(this.backoff(attempt));
          continue;
        }
        const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT';
        throw new ConnectorError(
          connector,
          mutating ? 'OUTCOME_UNKNOWN' : 'PROVIDER_UNAVAILABLE',
          mutating
            ? `${connector} did not answer ${req.operation} (${timedOut ? 'timeout' : code}); the outcome is unknown`
            : `${connector} is unreachable (${timedOut ? 'timeout' : code})`,
          { retryable: true, cause: networkError },
        );
      }

      const resHeaders = lowerHeaders(response.headers);
      const providerRequestId =
        resHeaders['x-request-id'] ?? resHeaders['request-id'] ?? resHeaders['x-correlation-id'];
      logger.info(
        {
          connector,
          op: req.operation,
          method,
          path: req.path,
          status: response.status,
          elapsedMs,
          attempt,
          providerRequestId,
        },
        'provider call',
      );

      const result: ProviderResponse = { status: response.status, data: response.data, headers: resHeaders };
      if (accept(response.status)) {
        if (isHtml(response.data, resHeaders)) {
          throw new ConnectorError(
            connector,
            'RESPONSE_DECODING_FAILED',
            `${connector} answered with an HTML page`,
            {
              httpStatus: response.status,
            },
          );
        }
        return result;
      }

      if (response.status === 401 && this.options.onUnauthorized && !unauthorizedRetried) {
        unauthorizedRetried = true;
        if (await this.options.onUnauthorized()) continue;
      }

      let error = this.options.mapError?.(result) ?? defaultMapError(connector, result);
      if (
        isHtml(response.data, resHeaders) &&
        !error.retryable &&
        error.code !== 'AUTH_CONFIG_INVALID' &&
        error.code !== 'NOT_FOUND'
      ) {
        error = new ConnectorError(
          connector,
          'RESPONSE_DECODING_FAILED',
          `${connector} answered ${response.status} with an HTML page`,
          {
            httpStatus: response.status,
          },
        );
      }
      if (error.retryable && canRetry) {
        await this.sleep(this.backoff(attempt, error.retryAfterMs));
        continue;
      }
      throw error;
    }
  }
}
