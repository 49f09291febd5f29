/**
 * MTN MoMo wire types and pure mapping functions (no I/O). Every fact here is from rails.md section 2 unless a
 * comment says otherwise; sources: https://momodeveloper.mtn.com/api-documentation and the official SDK
 * `MTN-Group/MoMoAPIs_Javascript_sdk`.
 */
import { ConnectorError } from '../../errors';
import { parseRetryAfter, type ProviderResponse } from '../../http';
import { fromProviderAmount, toProviderAmount } from '../../money';
import type { CachedToken } from '../../token-cache';
import type {
  CollectionStatus,
  InitiateCollectionInput,
  RailStatus,
  ReverseCollectionInput,
} from '../../types';
import type { Money } from '../../../domain/money';
import { MTN_MOMO_CONNECTOR_ID as ID } from './types';

// ---------------------------------------------------------------------------------------------------------------
// Wire types
// ---------------------------------------------------------------------------------------------------------------

/** `POST /{collection|disbursement}/token/` answer. `expires_in` is a number in the docs; strings are tolerated. */
export interface MtnMomoTokenResponse {
  access_token: string;
  token_type?: string;
  expires_in: number | string;
}

export interface MtnMomoParty {
  partyIdType: 'MSISDN' | 'EMAIL' | 'PARTY_CODE';
  /** MSISDN with country code, no '+' ("256772123456"). Personal data. */
  partyId: string;
}

/** `POST /collection/v1_0/requesttopay` body. `amount` is a major-unit STRING ("50000" UGX). */
export interface MtnMomoRequestToPayRequest {
  amount: string;
  currency: string;
  /** Not required to be unique; appears in MTN's transaction history reports. Lipa sends its request id. */
  externalId: string;
  payer: MtnMomoParty;
  payerMessage: string;
  payeeNote: string;
}

/** Documented values of `status`; any other string is read as PENDING (unknown means pending). */
export type MtnMomoTransactionStatus = 'PENDING' | 'SUCCESSFUL' | 'FAILED';

/** `reason` is a string today; older sandbox builds send `{code, message}` (rails.md 2.4). */
export type MtnMomoReason = string | { code?: string; message?: string };

/** `GET /collection/v1_0/requesttopay/{referenceId}` answer; the callback body is "similar" to it. */
export interface MtnMomoRequestToPayResult {
  /** Present only on SUCCESSFUL. */
  financialTransactionId?: string;
  externalId?: string;
  amount?: string;
  currency?: string;
  payer?: MtnMomoParty;
  payerMessage?: string;
  payeeNote?: string;
  status: MtnMomoTransactionStatus | string;
  reason?: MtnMomoReason;
}

/** A callback body: the status shape, sometimes (obs.) with the reference echoed as `referenceId`. */
export interface MtnMomoCallbackBody extends MtnMomoRequestToPayResult {
  referenceId?: string;
}

/** `POST /disbursement/v1_0/refund` body. */
export interface MtnMomoRefundRequest {
  amount: string;
  currency: string;
  externalId: string;
  payerMessage: string;
  payeeNote: string;
  /** The `X-Reference-Id` of the request-to-pay being refunded. */
  referenceIdToRefund: string;
}

/** `GET /disbursement/v1_0/refund/{referenceId}` answer. */
export interface MtnMomoRefundResult {
  financialTransactionId?: string;
  externalId?: string;
  amount?: string;
  currency?: string;
  payee?: MtnMomoParty;
  status: MtnMomoTransactionStatus | string;
  reason?: MtnMomoReason;
}

/** Synchronous error body: `{"code":"…","message":"…"}`. */
export interface MtnMomoErrorResponse {
  code?: string;
  message?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Safe JSON reading (bodies from outside: no prototype tricks, no unbounded strings)
// ---------------------------------------------------------------------------------------------------------------

/** Callback and status bodies are a few hundred bytes; anything this large is not MTN's. */
export const MTN_MOMO_MAX_BODY_BYTES = 64 * 1024;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property only: a `"__proto__"` key in JSON becomes an own property and is never followed. */
function own(obj: JsonObject, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/** A non-empty string of at most `max` characters, else null (wrong types and oversized values are ignored). */
function ownString(obj: JsonObject, key: string, max = 256): string | null {
  const v = own(obj, key);
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : null;
}

/** Parses a raw JSON object body. @throws ConnectorError RESPONSE_DECODING_FAILED */
export function parseMtnMomoJsonObject(raw: Buffer | string, what: string): JsonObject {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (size > MTN_MOMO_MAX_BODY_BYTES)
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', `${what} is too large (${size} bytes)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', `${what} is not JSON`);
  }
  if (!isObject(parsed))
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', `${what} is not a JSON object`);
  return parsed;
}

function requireObject(data: unknown, what: string): JsonObject {
  if (!isObject(data))
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', `${what} is not a JSON object`);
  return data;
}

// ---------------------------------------------------------------------------------------------------------------
// Ids, tokens, text
// ---------------------------------------------------------------------------------------------------------------

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** MTN requires `X-Reference-Id` to be a UUIDv4 (it becomes the resource id); anything else is a 400. */
export function isUuidV4(value: string): boolean {
  return UUID_V4.test(value);
}

/** Status and reason tokens are upper-case words ("SUCCESSFUL", "NOT_ENOUGH_FUNDS"); bounded for event ids. */
const STATUS_TOKEN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** Reference ids Lipa puts in callback URLs are UUIDs; other URL-safe ids are accepted for simulators and tests. */
const REFERENCE_TOKEN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** True when `value` is an acceptable `ref` (X-Reference-Id) in a callback URL or body. */
export function isMtnMomoReferenceToken(value: string): boolean {
  return REFERENCE_TOKEN.test(value);
}

/**
 * Reads a token answer into a cache entry.
 * @throws ConnectorError RESPONSE_DECODING_FAILED when `access_token` or `expires_in` is missing or malformed.
 */
export function readMtnMomoToken(data: unknown, nowMs: number): CachedToken {
  const body = requireObject(data, 'MTN MoMo token response');
  const token = ownString(body, 'access_token', 8192);
  const rawExpiry = own(body, 'expires_in');
  const seconds =
    typeof rawExpiry === 'number'
      ? rawExpiry
      : typeof rawExpiry === 'string' && /^\d{1,9}$/.test(rawExpiry.trim())
        ? Number(rawExpiry.trim())
        : NaN;
  if (!token || !Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new ConnectorError(
      ID,
      'RESPONSE_DECODING_FAILED',
      'MTN MoMo token response lacks access_token or expires_in',
    );
  }
  return { token, expiresAt: nowMs + seconds * 1000 };
}

/**
 * MTN answers 400 for "unsupported characters" in text fields without saying which (rails.md 2.3), so free text is
 * reduced to a conservative set. The 160-character cap is the community-reported limit for these fields.
 */
export function sanitizeMtnMomoText(text: string, fallback: string): string {
  const cleaned = text
    .replace(/[^A-Za-z0-9 .,:/()_-]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 160)
    .trim();
  return cleaned.length > 0 ? cleaned : fallback;
}

/**
 * The callback URL sent as `X-Callback-Url`: Lipa's per-source URL with `ref=<X-Reference-Id>` appended, because
 * the callback body does not carry the reference id (it is "similar to the status response", rails.md 2.5).
 * @throws ConnectorError REQUEST_ENCODING_FAILED when `callbackUrl` is not an absolute URL.
 */
export function mtnMomoCallbackUrl(callbackUrl: string, referenceId: string): string {
  let url: URL;
  try {
    url = new URL(callbackUrl);
  } catch {
    throw new ConnectorError(ID, 'REQUEST_ENCODING_FAILED', 'callbackUrl is not an absolute URL');
  }
  url.searchParams.set('ref', referenceId);
  return url.toString();
}

// ---------------------------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------------------------

function encodeAmount(amount: Money, allowedCurrency: string | null): string {
  if (allowedCurrency === null || amount.currency !== allowedCurrency) {
    throw new ConnectorError(
      ID,
      'CURRENCY_UNSUPPORTED',
      `This MTN MoMo environment collects ${allowedCurrency ?? 'a currency Lipa does not support'}, not ${amount.currency}`,
    );
  }
  if (amount.amountMinor <= 0n)
    throw new ConnectorError(ID, 'REQUEST_ENCODING_FAILED', 'Amount must be positive');
  return toProviderAmount(ID, amount, { kind: 'major' });
}

/**
 * Builds the request-to-pay body. The amount is a major-unit string ("50000" for UGX 50,000).
 * @throws ConnectorError CURRENCY_UNSUPPORTED (not the environment's currency), REQUEST_ENCODING_FAILED (amount or
 *   phone number unusable).
 */
export function toMtnMomoRequestToPay(
  input: InitiateCollectionInput,
  allowedCurrency: string | null,
): MtnMomoRequestToPayRequest {
  const amount = encodeAmount(input.amount, allowedCurrency);
  // E.164 digits without '+': MTN's MSISDN party id carries the country code ("256772123456").
  const msisdn = input.phoneNumber.replace(/^\+/, '');
  if (!/^\d{8,15}$/.test(msisdn))
    throw new ConnectorError(
      ID,
      'REQUEST_ENCODING_FAILED',
      'phoneNumber must be 8-15 digits with country code',
    );
  return {
    amount,
    currency: input.amount.currency,
    externalId: sanitizeMtnMomoText(input.reference, 'lipa'),
    payer: { partyIdType: 'MSISDN', partyId: msisdn },
    payerMessage: sanitizeMtnMomoText(input.description, 'Payment'),
    payeeNote: sanitizeMtnMomoText(input.accountReference, 'Payment'),
  };
}

/**
 * Builds the Disbursement refund body.
 * @throws ConnectorError REQUEST_ENCODING_FAILED when the original request id is not a UUIDv4.
 */
export function toMtnMomoRefund(
  input: ReverseCollectionInput,
  allowedCurrency: string | null,
): MtnMomoRefundRequest {
  const amount = encodeAmount(input.amount, allowedCurrency);
  // The refund names the request-to-pay by its X-Reference-Id. Callers pass it as providerRequestId; the
  // transaction id is accepted when it is that UUID (types.ts describes both for MTN).
  const original = input.providerRequestId ?? input.providerTransactionId;
  if (!original || !isUuidV4(original)) {
    throw new ConnectorError(
      ID,
      'REQUEST_ENCODING_FAILED',
      'An MTN refund needs the X-Reference-Id (UUIDv4) of the original request-to-pay',
    );
  }
  const note = sanitizeMtnMomoText(input.reason, 'Refund');
  return {
    amount,
    currency: input.amount.currency,
    externalId: sanitizeMtnMomoText(input.reference, 'lipa'),
    payerMessage: note,
    payeeNote: note,
    referenceIdToRefund: original,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Statuses and reasons
// ---------------------------------------------------------------------------------------------------------------

/**
 * Failure reasons from the SDK and the MTN developer community (rails.md 2.4), with text safe to show staff.
 * Unlisted reasons are kept as the failure code with no message.
 */
export const MTN_MOMO_REASONS: Readonly<Record<string, string>> = Object.freeze({
  PAYER_NOT_FOUND: 'The payer has no MoMo account',
  PAYEE_NOT_FOUND: 'The payee account was not found',
  APPROVAL_REJECTED: 'The payer rejected the request',
  EXPIRED: 'The request expired before the payer approved it',
  NOT_ENOUGH_FUNDS: 'The payer does not have enough funds',
  PAYER_LIMIT_REACHED: "The payer's transaction limit was reached",
  COULD_NOT_PERFORM_TRANSACTION: 'The payer did not enter the PIN in time',
  SENDER_ACCOUNT_NOT_ACTIVE: "The payer's account is not active",
  PAYEE_NOT_ALLOWED_TO_RECEIVE: 'The payee account may not receive payments',
  NOT_ALLOWED: 'MTN did not allow the transaction',
  INTERNAL_PROCESSING_ERROR: 'MTN could not process the transaction (often insufficient funds)',
  TRANSACTION_CANCELED: 'The transaction was cancelled',
  ONGOING: 'The transaction is still in progress',
  PAYER_DELAYED: 'The payer has not answered yet',
});

/** SUCCESSFUL -> SUCCEEDED, FAILED -> FAILED, PENDING and anything else -> PENDING (re-queried, never guessed). */
export function mapMtnMomoStatus(status: unknown): RailStatus {
  if (status === 'SUCCESSFUL') return 'SUCCEEDED';
  if (status === 'FAILED') return 'FAILED';
  return 'PENDING';
}

/** Reads `reason` in either shape. Provider free text is bounded; the table's text is preferred. */
export function readMtnMomoReason(reason: unknown): { code: string | null; message: string | null } {
  let code: string | null = null;
  let providerMessage: string | null = null;
  if (typeof reason === 'string' && reason.length > 0) code = reason.slice(0, 128);
  else if (isObject(reason)) {
    code = ownString(reason, 'code', 128);
    providerMessage = ownString(reason, 'message', 500);
  }
  const known =
    code !== null && Object.prototype.hasOwnProperty.call(MTN_MOMO_REASONS, code)
      ? MTN_MOMO_REASONS[code]
      : null;
  return { code, message: known ?? providerMessage };
}

/** `status` must be a bounded word; the value becomes part of callback event ids. */
export function readMtnMomoStatusToken(body: JsonObject, what: string): string {
  const status = own(body, 'status');
  if (typeof status !== 'string' || !STATUS_TOKEN.test(status)) {
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', `${what} has no readable status`);
  }
  return status;
}

/** Reads `amount` + `currency` when both are present; null when absent. @throws ConnectorError when unreadable */
function readAmount(body: JsonObject): Money | null {
  const amount = own(body, 'amount');
  const currency = ownString(body, 'currency', 3);
  if (amount === undefined || amount === null || currency === null) return null;
  return fromProviderAmount(ID, amount, currency, { kind: 'major' });
}

/** Like {@link readAmount} but never throws: for unsigned callbacks, whose amount is re-read from the status query. */
export function readMtnMomoAmountLeniently(body: JsonObject): Money | null {
  try {
    return readAmount(body);
  } catch {
    return null;
  }
}

/**
 * Maps the status query answer. `financialTransactionId` is only trusted on SUCCESSFUL (it appears only then).
 * @throws ConnectorError RESPONSE_DECODING_FAILED when the body or its amount is unreadable.
 */
export function fromMtnMomoRequestToPayResult(data: unknown): CollectionStatus {
  const body = requireObject(data, 'MTN MoMo status response');
  const rawStatus = own(body, 'status');
  if (typeof rawStatus !== 'string')
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', 'MTN MoMo status response has no status');
  const status = mapMtnMomoStatus(rawStatus);
  const reason = status === 'FAILED' ? readMtnMomoReason(own(body, 'reason')) : { code: null, message: null };
  return {
    status,
    providerTransactionId: status === 'SUCCEEDED' ? ownString(body, 'financialTransactionId', 128) : null,
    amount: readAmount(body),
    // A FAILED answer without a reason still needs a code the service can show and branch on.
    failureCode: status === 'FAILED' ? (reason.code ?? 'FAILED') : null,
    failureMessage: reason.message,
  };
}

/** Maps a refund status answer (same vocabulary as request-to-pay). */
export function fromMtnMomoRefundResult(data: unknown): { status: RailStatus; failureCode: string | null } {
  const body = requireObject(data, 'MTN MoMo refund status response');
  const rawStatus = own(body, 'status');
  if (typeof rawStatus !== 'string')
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', 'MTN MoMo refund status has no status');
  const status = mapMtnMomoStatus(rawStatus);
  return {
    status,
    failureCode: status === 'FAILED' ? (readMtnMomoReason(own(body, 'reason')).code ?? 'FAILED') : null,
  };
}

/** Callback fields the webhook needs, read safely. */
export function readMtnMomoCallbackFields(body: JsonObject): {
  status: string;
  financialTransactionId: string | null;
  referenceId: string | null;
  payeeNote: string | null;
  payerPartyId: string | null;
  reason: unknown;
} {
  const payer = own(body, 'payer');
  const referenceId = ownString(body, 'referenceId', 64);
  return {
    status: readMtnMomoStatusToken(body, 'MTN MoMo callback'),
    financialTransactionId: ownString(body, 'financialTransactionId', 128),
    referenceId: referenceId !== null && isMtnMomoReferenceToken(referenceId) ? referenceId : null,
    payeeNote: ownString(body, 'payeeNote', 160),
    payerPartyId: isObject(payer) ? ownString(payer, 'partyId', 64) : null,
    reason: own(body, 'reason'),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------------

/** Configuration the operator must fix (target environment, callback host registered with MTN). */
const CONFIG_CODES: ReadonlySet<string> = new Set([
  'NOT_ALLOWED_TARGET_ENVIRONMENT',
  'INVALID_CALLBACK_URL_HOST',
]);

/** Codes that refuse the request for good; retrying with the same reference cannot change the answer. */
const DECLINE_CODES: ReadonlySet<string> = new Set([
  'NOT_ALLOWED',
  'PAYER_NOT_FOUND',
  'PAYEE_NOT_FOUND',
  'NOT_ENOUGH_FUNDS',
  'PAYER_LIMIT_REACHED',
  'SENDER_ACCOUNT_NOT_ACTIVE',
  'PAYEE_NOT_ALLOWED_TO_RECEIVE',
  'APPROVAL_REJECTED',
  'EXPIRED',
  'TRANSACTION_CANCELED',
  'RESOURCE_ALREADY_EXIST',
]);

/** Reads `{code, message}` from an error body (any shape tolerated). */
export function readMtnMomoError(data: unknown): { code: string | null; message: string | null } {
  if (!isObject(data)) return { code: null, message: null };
  const code = ownString(data, 'code', 128);
  return {
    code: code !== null && STATUS_TOKEN.test(code) ? code : null,
    message: ownString(data, 'message', 500),
  };
}

/**
 * Turns a non-2xx MTN answer into a {@link ConnectorError}. MTN reports business refusals as 500 with a code
 * (rails.md 2.3), so the code decides before the HTTP status does:
 * INVALID_CURRENCY -> CURRENCY_UNSUPPORTED; NOT_ALLOWED_TARGET_ENVIRONMENT / INVALID_CALLBACK_URL_HOST ->
 * AUTH_CONFIG_INVALID; NOT_ALLOWED and reason codes -> DECLINED; 503 SERVICE_UNAVAILABLE, 500
 * INTERNAL_PROCESSING_ERROR or a bare 5xx -> PROVIDER_UNAVAILABLE (retryable: the X-Reference-Id makes a retry safe).
 */
export function mapMtnMomoError(response: ProviderResponse): ConnectorError {
  const { status } = response;
  const { code, message } = readMtnMomoError(response.data);
  const base = { httpStatus: status, providerCode: code ?? undefined, providerMessage: message ?? undefined };
  if (code === 'INVALID_CURRENCY')
    return new ConnectorError(ID, 'CURRENCY_UNSUPPORTED', 'MTN MoMo refused the currency', base);
  if (code !== null && CONFIG_CODES.has(code)) {
    return new ConnectorError(
      ID,
      'AUTH_CONFIG_INVALID',
      `MTN MoMo rejected the source configuration (${code})`,
      base,
    );
  }
  if (code !== null && DECLINE_CODES.has(code))
    return new ConnectorError(ID, 'DECLINED', `MTN MoMo refused the request (${code})`, base);
  if (status === 401 || status === 403)
    return new ConnectorError(
      ID,
      'AUTH_CONFIG_INVALID',
      `MTN MoMo rejected the credentials (${status})`,
      base,
    );
  if (status === 404 || code === 'RESOURCE_NOT_FOUND')
    return new ConnectorError(ID, 'NOT_FOUND', 'MTN MoMo has no such resource', base);
  if (status === 429) {
    return new ConnectorError(ID, 'RATE_LIMITED', 'MTN MoMo rate limit reached', {
      ...base,
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    });
  }
  if (status >= 500 || status === 408 || status === 425) {
    return new ConnectorError(
      ID,
      'PROVIDER_UNAVAILABLE',
      `MTN MoMo is temporarily unavailable (${status}${code ? ` ${code}` : ''})`,
      base,
    );
  }
  return new ConnectorError(
    ID,
    'DECLINED',
    `MTN MoMo refused the request (${status}${code ? ` ${code}` : ''})`,
    base,
  );
}
