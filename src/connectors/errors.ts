/**
 * The one error type every connector throws. Codes are a closed set so services can branch on them; `retryable`
 * says whether the same call (with the same idempotency key) may succeed later.
 */
export const CONNECTOR_ERROR_CODES = [
  /** Credentials or configuration rejected by the provider (401/403) or malformed before any call. */
  'AUTH_CONFIG_INVALID',
  /** Lipa could not build a valid request from the input (e.g. amount not representable in the provider's unit). */
  'REQUEST_ENCODING_FAILED',
  /** The provider answered with something that is not the documented format (HTML page, missing field, wrong type). */
  'RESPONSE_DECODING_FAILED',
  /** The provider does not support this flow, or this connector does not implement it. */
  'FLOW_NOT_SUPPORTED',
  /** The provider refused the operation for a business reason (validation, domain rule). Not retryable. */
  'DECLINED',
  /** The resource (loan, transaction, request) does not exist at the provider. */
  'NOT_FOUND',
  /** The provider asks us to slow down (429); `retryAfterMs` when it said how long. */
  'RATE_LIMITED',
  /** Temporary provider trouble (5xx, locked resource, in-flight duplicate): retry later with the same key. */
  'PROVIDER_UNAVAILABLE',
  /** A write timed out or failed after it may have been applied: reconcile by status query, never assume failure. */
  'OUTCOME_UNKNOWN',
  /** An inbound callback failed its signature or token check. */
  'WEBHOOK_SIGNATURE_INVALID',
  /** An inbound callback is authentic but not a kind of event this connector understands. */
  'WEBHOOK_EVENT_UNKNOWN',
  /** The currency is not one this provider or Lipa supports. */
  'CURRENCY_UNSUPPORTED',
] as const;

export type ConnectorErrorCode = (typeof CONNECTOR_ERROR_CODES)[number];

export interface ConnectorErrorOptions {
  retryable?: boolean;
  httpStatus?: number;
  providerCode?: string;
  providerMessage?: string;
  providerRequestId?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

const RETRYABLE_BY_DEFAULT: ReadonlySet<ConnectorErrorCode> = new Set([
  'RATE_LIMITED',
  'PROVIDER_UNAVAILABLE',
  'OUTCOME_UNKNOWN',
]);

export class ConnectorError extends Error {
  readonly code: ConnectorErrorCode;
  readonly connector: string;
  readonly retryable: boolean;
  readonly httpStatus?: number;
  readonly providerCode?: string;
  /** The provider's own message; may contain details unfit for clients, so it is logged, not returned. */
  readonly providerMessage?: string;
  readonly providerRequestId?: string;
  readonly retryAfterMs?: number;

  constructor(
    connector: string,
    code: ConnectorErrorCode,
    message: string,
    options: ConnectorErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ConnectorError';
    this.connector = connector;
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.httpStatus = options.httpStatus;
    this.providerCode = options.providerCode;
    this.providerMessage = options.providerMessage;
    this.providerRequestId = options.providerRequestId;
    this.retryAfterMs = options.retryAfterMs;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

export function isConnectorError(err: unknown): err is ConnectorError {
  return err instanceof ConnectorError;
}
