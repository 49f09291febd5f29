/**
 * Airtel Money wire types and pure mapping functions (no I/O). Facts are from rails.md section 3: observed copies of
 * https://developers.airtel.africa/documentation (several parts are thin and marked so here).
 */
import { ConnectorError } from '../../errors';
import { parseRetryAfter, type ProviderResponse } from '../../http';
import { toProviderAmount } from '../../money';
import type { CachedToken } from '../../token-cache';
import type { CollectionStatus, InitiateCollectionInput, RailStatus } from '../../types';
import type { Money } from '../../../domain/money';
import { AIRTEL_MONEY_CONNECTOR_ID as ID, AIRTEL_MONEY_COUNTRIES, type AirtelMoneyCountry } from './types';

// ---------------------------------------------------------------------------------------------------------------
// Wire types
// ---------------------------------------------------------------------------------------------------------------

/** `POST /auth/oauth2/token` body (JSON, not form-encoded). */
export interface AirtelMoneyTokenRequest {
  client_id: string;
  client_secret: string;
  grant_type: 'client_credentials';
}

/** Token answer. The docs sample has `expires_in` as the STRING "180"; numbers are accepted too. */
export interface AirtelMoneyTokenResponse {
  access_token: string;
  expires_in: string | number;
  token_type?: string;
}

/** The `status` block every transaction answer carries. */
export interface AirtelMoneyStatus {
  code?: string;
  message?: string;
  /** ESB-level result ("ESB000010" success, "ESB000033" invalid MSISDN length, ...). */
  result_code?: string;
  /** DP-level transaction code ("DP00800001006" in process); see {@link AIRTEL_MONEY_RESPONSE_CODES}. */
  response_code?: string;
  success?: boolean;
}

/** `POST /merchant/v1/payments/` body. `amount` is a JSON NUMBER in major units. */
export interface AirtelMoneyPaymentRequest {
  /** Shown to the payer ("Loan repayment"). */
  reference: string;
  /** `msisdn` WITHOUT the country code ("752123456"). */
  subscriber: { country: string; currency: string; msisdn: string };
  /** `id` is the merchant's unique transaction id; the enquiry and the callback use it. */
  transaction: { amount: number; country: string; currency: string; id: string };
}

/**
 * Collection answer. The docs sample is `{"data":{"transaction":{"id":false,"status":"SUCCESS"}},"status":{...,
 * "response_code":"DP00800001006","success":true}}`: "SUCCESS" means accepted, DP00800001006 "in process", and
 * `id` is literally `false` there, so it is never read.
 */
export interface AirtelMoneyPaymentResponse {
  data?: { transaction?: { id?: string | boolean; status?: string } };
  status: AirtelMoneyStatus;
}

/** Transaction status in the enquiry: TS success, TF failed, TA ambiguous, TIP in progress, TE expired. */
export type AirtelMoneyTransactionStatus = 'TS' | 'TF' | 'TA' | 'TIP' | 'TE';

/** `GET /standard/v1/payments/{id}` answer. No amount is documented. */
export interface AirtelMoneyEnquiryResponse {
  data?: {
    transaction?: {
      id?: string;
      airtel_money_id?: string;
      message?: string;
      status?: AirtelMoneyTransactionStatus | string;
    };
  };
  status: AirtelMoneyStatus;
}

/** Callback body (POST to the URL configured on the app). `hash` appears when Callback Authentication is on. */
export interface AirtelMoneyCallbackBody {
  transaction: { id: string; message?: string; status_code: 'TS' | 'TF' | string; airtel_money_id?: string };
  hash?: string;
}

/** `POST /standard/v1/payments/refund` body: full refunds only, by Airtel's transaction id. */
export interface AirtelMoneyRefundRequest {
  transaction: { airtel_money_id: string };
}

/** Refund answer. The docs sample pairs `"status":"SUCCESS"` and ESB000010 with `"success": false`. */
export interface AirtelMoneyRefundResponse {
  data?: { transaction?: { airtel_money_id?: string; status?: string } };
  status: AirtelMoneyStatus;
}

// ---------------------------------------------------------------------------------------------------------------
// Safe JSON reading
// ---------------------------------------------------------------------------------------------------------------

/** Callback and API bodies are a few hundred bytes; anything this large is not Airtel's. */
export const AIRTEL_MONEY_MAX_BODY_BYTES = 64 * 1024;

type JsonObject = Record<string, unknown>;

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own properties only: a `"__proto__"` key in JSON becomes an own property and is never followed. */
function ownValue(obj: JsonObject, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/** A non-empty string of at most `max` characters, else null. */
function ownString(obj: JsonObject, key: string, max = 256): string | null {
  const v = ownValue(obj, key);
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : null;
}

function ownObject(obj: JsonObject, key: string): JsonObject | null {
  const v = ownValue(obj, key);
  return isJsonObject(v) ? v : null;
}

/** Parses a raw JSON object body. @throws ConnectorError RESPONSE_DECODING_FAILED */
export function parseAirtelMoneyJsonObject(raw: Buffer, what: string): JsonObject {
  if (raw.length > AIRTEL_MONEY_MAX_BODY_BYTES)
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', `${what} is too large (${raw.length} bytes)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', `${what} is not JSON`);
  }
  if (!isJsonObject(parsed))
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', `${what} is not a JSON object`);
  return parsed;
}

/** Merchant transaction ids: bounded, URL-path and event-id safe. Airtel documents no format ("random-unique-id"). */
const TRANSACTION_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

/** True when `value` can serve as Airtel's `transaction.id` (and so in an enquiry path and an event id). */
export function isAirtelMoneyTransactionId(value: string): boolean {
  return TRANSACTION_ID.test(value);
}

/** Status codes ("TS") and response codes ("DP00800001006") are short words. */
const CODE_TOKEN = /^[A-Za-z0-9_]{1,32}$/;

// ---------------------------------------------------------------------------------------------------------------
// Token
// ---------------------------------------------------------------------------------------------------------------

/**
 * Reads a token answer. `expires_in` is a string ("180") in the docs sample and a number in some deployments.
 * @throws ConnectorError RESPONSE_DECODING_FAILED when `access_token` or `expires_in` is missing or malformed.
 */
export function readAirtelMoneyToken(data: unknown, nowMs: number): CachedToken {
  if (!isJsonObject(data))
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', 'Airtel token response is not a JSON object');
  const token = ownString(data, 'access_token', 8192);
  const raw = ownValue(data, 'expires_in');
  const seconds =
    typeof raw === 'number'
      ? raw
      : typeof raw === 'string' && /^\d{1,9}$/.test(raw.trim())
        ? Number(raw.trim())
        : NaN;
  if (!token || !Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new ConnectorError(
      ID,
      'RESPONSE_DECODING_FAILED',
      'Airtel token response lacks access_token or expires_in',
    );
  }
  return { token, expiresAt: nowMs + seconds * 1000 };
}

// ---------------------------------------------------------------------------------------------------------------
// Collection request
// ---------------------------------------------------------------------------------------------------------------

/**
 * Lipa's E.164 digits ("256752123456") to Airtel's national MSISDN ("752123456"): the country's calling code is
 * removed ("Do not send country code in msisdn"); a national number with a trunk "0" loses the 0.
 * @throws ConnectorError REQUEST_ENCODING_FAILED when the number is not plausibly from the source's country.
 */
export function toAirtelMoneyMsisdn(phoneNumber: string, country: AirtelMoneyCountry): string {
  const digits = phoneNumber.trim().replace(/^\+/, '');
  if (!/^\d{6,15}$/.test(digits))
    throw new ConnectorError(ID, 'REQUEST_ENCODING_FAILED', 'phoneNumber must be 6-15 digits');
  const callingCode = AIRTEL_MONEY_COUNTRIES[country];
  let national: string;
  if (digits.startsWith(callingCode) && digits.length >= callingCode.length + 7)
    national = digits.slice(callingCode.length);
  else if (digits.startsWith('0')) national = digits.slice(1);
  else if (digits.length <= 10) national = digits;
  else
    throw new ConnectorError(
      ID,
      'REQUEST_ENCODING_FAILED',
      `phoneNumber is not a number in country ${country}`,
    );
  if (!/^\d{6,12}$/.test(national))
    throw new ConnectorError(ID, 'REQUEST_ENCODING_FAILED', 'phoneNumber is too short or too long');
  return national;
}

/** The payer-visible `reference`: printable text, bounded (Airtel documents no limit; 64 is our cap). */
function payerText(text: string): string {
  const cleaned = text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 64)
    .trim();
  return cleaned.length > 0 ? cleaned : 'Payment';
}

/** Whole major units as digits ("50000"). Mobile money moves whole units (rails.md section 8). */
function amountDigits(amount: Money, currency: string): string {
  if (amount.currency !== currency) {
    throw new ConnectorError(
      ID,
      'CURRENCY_UNSUPPORTED',
      `This Airtel Money source collects ${currency}, not ${amount.currency}`,
    );
  }
  if (amount.amountMinor <= 0n)
    throw new ConnectorError(ID, 'REQUEST_ENCODING_FAILED', 'Amount must be positive');
  return toProviderAmount(ID, amount, { kind: 'major' }, { wholeUnitsOnly: true });
}

/**
 * Builds the collection body as JSON text. The amount must be a JSON number in major units; it is written as the
 * exact digit string from {@link toProviderAmount}, so no JavaScript number ever holds the money.
 * @throws ConnectorError CURRENCY_UNSUPPORTED, REQUEST_ENCODING_FAILED (amount, phone number or reference unusable).
 */
export function encodeAirtelMoneyPaymentRequest(
  input: InitiateCollectionInput,
  source: { country: AirtelMoneyCountry; currency: string },
): { json: string; transactionId: string } {
  if (!isAirtelMoneyTransactionId(input.reference)) {
    throw new ConnectorError(
      ID,
      'REQUEST_ENCODING_FAILED',
      'reference must be 1-100 URL-safe characters to serve as the Airtel transaction id',
    );
  }
  const digits = amountDigits(input.amount, source.currency);
  const msisdn = toAirtelMoneyMsisdn(input.phoneNumber, source.country);
  const subscriber = { country: source.country, currency: source.currency, msisdn };
  const json =
    `{"reference":${JSON.stringify(payerText(input.description))},` +
    `"subscriber":${JSON.stringify(subscriber)},` +
    `"transaction":{"amount":${digits},"country":${JSON.stringify(source.country)},` +
    `"currency":${JSON.stringify(source.currency)},"id":${JSON.stringify(input.reference)}}}`;
  return { json, transactionId: input.reference };
}

// ---------------------------------------------------------------------------------------------------------------
// Response codes and statuses
// ---------------------------------------------------------------------------------------------------------------

/** `response_code` values (several independent clients agree; rails.md 3.3). */
export const AIRTEL_MONEY_RESPONSE_CODES: Readonly<Record<string, string>> = Object.freeze({
  DP00800001000: 'Ambiguous: the outcome is not known yet',
  DP00800001001: 'Success',
  DP00800001002: 'Incorrect PIN',
  DP00800001003: 'Transaction limit exceeded',
  DP00800001004: 'Invalid amount',
  DP00800001005: 'PIN not entered',
  DP00800001006: 'In process',
  DP00800001007: 'Not enough balance',
  DP00800001008: 'Refused',
  DP00800001009: 'Do not honor',
  DP00800001010: 'Payee not permitted',
  DP00800001024: 'Timed out',
  DP00800001025: 'Transaction not found',
  DP00800001026: 'x-signature and payload mismatch',
  DP00800001029: 'Transaction expired',
});

/** Codes that mean "not final yet" (re-query): ambiguous and in process. */
export const AIRTEL_MONEY_PENDING_CODES: ReadonlySet<string> = new Set(['DP00800001000', 'DP00800001006']);
export const AIRTEL_MONEY_SUCCESS_CODE = 'DP00800001001';
export const AIRTEL_MONEY_NOT_FOUND_CODE = 'DP00800001025';

/** Every other documented code is a failure. */
function isFailureCode(code: string | null): code is string {
  return (
    code !== null &&
    Object.prototype.hasOwnProperty.call(AIRTEL_MONEY_RESPONSE_CODES, code) &&
    code !== AIRTEL_MONEY_SUCCESS_CODE &&
    code !== AIRTEL_MONEY_NOT_FOUND_CODE &&
    !AIRTEL_MONEY_PENDING_CODES.has(code)
  );
}

const TRANSACTION_STATUS_TEXT: Readonly<Record<string, string>> = Object.freeze({
  TF: 'Airtel reported the transaction failed',
  TE: 'The transaction expired before the payer approved it',
});

/** TS -> SUCCEEDED; TF, TE -> FAILED; TA (ambiguous), TIP and anything unknown -> PENDING (re-queried). */
export function mapAirtelMoneyTransactionStatus(status: unknown): RailStatus {
  if (status === 'TS') return 'SUCCEEDED';
  if (status === 'TF' || status === 'TE') return 'FAILED';
  return 'PENDING';
}

/** Meaning of a failure code, for staff; null when Airtel's code is not in the table. */
export function describeAirtelMoneyCode(code: string): string | null {
  if (Object.prototype.hasOwnProperty.call(AIRTEL_MONEY_RESPONSE_CODES, code))
    return AIRTEL_MONEY_RESPONSE_CODES[code];
  if (Object.prototype.hasOwnProperty.call(TRANSACTION_STATUS_TEXT, code))
    return TRANSACTION_STATUS_TEXT[code];
  return null;
}

interface StatusBlock {
  success: boolean | null;
  responseCode: string | null;
  resultCode: string | null;
  message: string | null;
}

function readStatusBlock(body: JsonObject): StatusBlock | null {
  const st = ownObject(body, 'status');
  if (!st) return null;
  const rawSuccess = ownValue(st, 'success');
  const success =
    rawSuccess === true || rawSuccess === 'true'
      ? true
      : rawSuccess === false || rawSuccess === 'false'
        ? false
        : null;
  const code = (key: string) => {
    const v = ownString(st, key, 32);
    return v !== null && CODE_TOKEN.test(v) ? v : null;
  };
  return {
    success,
    responseCode: code('response_code'),
    resultCode: code('result_code'),
    message: ownString(st, 'message', 300),
  };
}

/**
 * Reads the collection answer: accepted (`success: true`, or an ambiguous / in-process code) is PENDING; a
 * refusal throws DECLINED with Airtel's code. The final state always comes later (callback, enquiry).
 * @throws ConnectorError DECLINED; OUTCOME_UNKNOWN when the answer cannot be read (the push may have gone out).
 */
export function readAirtelMoneyPaymentResponse(data: unknown): 'PENDING' {
  const status = isJsonObject(data) ? readStatusBlock(data) : null;
  if (!status || (status.success === null && status.responseCode === null)) {
    throw new ConnectorError(
      ID,
      'OUTCOME_UNKNOWN',
      'Airtel answered the collection with an unreadable body; query the status',
      { retryable: true },
    );
  }
  if (status.success === true) return 'PENDING';
  if (status.responseCode !== null && AIRTEL_MONEY_PENDING_CODES.has(status.responseCode)) return 'PENDING';
  const code = status.responseCode ?? status.resultCode ?? 'DECLINED';
  throw new ConnectorError(
    ID,
    'DECLINED',
    `Airtel refused the collection (${code}${describeAirtelMoneyCode(code) ? `: ${describeAirtelMoneyCode(code)}` : ''})`,
    {
      providerCode: code,
      providerMessage: status.message ?? undefined,
    },
  );
}

/**
 * Reads the enquiry answer. `data.transaction.status` decides; without it a documented failure code is FAILED,
 * "not found" (DP00800001025) is NOT_FOUND and anything else is PENDING. No amount is documented, so `amount` is
 * null: the service uses its own request record. `airtel_money_id` is returned whenever present.
 * @throws ConnectorError NOT_FOUND, RESPONSE_DECODING_FAILED
 */
export function fromAirtelMoneyEnquiry(data: unknown): CollectionStatus {
  if (!isJsonObject(data))
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', 'Airtel enquiry answer is not a JSON object');
  const status = readStatusBlock(data);
  const dataBlock = ownObject(data, 'data');
  const tx = dataBlock ? ownObject(dataBlock, 'transaction') : null;
  if (!status && !tx)
    throw new ConnectorError(
      ID,
      'RESPONSE_DECODING_FAILED',
      'Airtel enquiry answer has neither status nor transaction',
    );
  const rawTxStatus = tx ? ownString(tx, 'status', 16) : null;
  const txStatus = rawTxStatus !== null && CODE_TOKEN.test(rawTxStatus) ? rawTxStatus : null;
  const responseCode = status?.responseCode ?? null;

  let railStatus: RailStatus;
  if (txStatus !== null) railStatus = mapAirtelMoneyTransactionStatus(txStatus);
  else if (responseCode === AIRTEL_MONEY_NOT_FOUND_CODE) {
    throw new ConnectorError(ID, 'NOT_FOUND', 'Airtel has no transaction with this id', {
      providerCode: responseCode,
    });
  } else if (isFailureCode(responseCode)) railStatus = 'FAILED';
  else railStatus = 'PENDING';

  const failureCode =
    railStatus === 'FAILED'
      ? isFailureCode(responseCode)
        ? responseCode
        : (txStatus ?? responseCode ?? 'FAILED')
      : null;
  const airtelMoneyId = tx ? ownString(tx, 'airtel_money_id', 100) : null;
  return {
    status: railStatus,
    providerTransactionId: airtelMoneyId,
    amount: null,
    failureCode,
    failureMessage: failureCode ? describeAirtelMoneyCode(failureCode) : null,
  };
}

/**
 * Reads the refund answer. The docs sample has `"success": false` next to `"status":"SUCCESS"` and ESB000010, so
 * either signal counts as accepted. The refund stays PENDING in Lipa: Airtel documents no refund status query.
 * @throws ConnectorError DECLINED; OUTCOME_UNKNOWN when unreadable.
 */
export function readAirtelMoneyRefundResponse(
  data: unknown,
  originalAirtelMoneyId: string,
): { providerReversalId: string } {
  const status = isJsonObject(data) ? readStatusBlock(data) : null;
  const dataBlock = isJsonObject(data) ? ownObject(data, 'data') : null;
  const tx = dataBlock ? ownObject(dataBlock, 'transaction') : null;
  if (!status && !tx)
    throw new ConnectorError(ID, 'OUTCOME_UNKNOWN', 'Airtel answered the refund with an unreadable body', {
      retryable: true,
    });
  const txStatus = tx ? ownString(tx, 'status', 32) : null;
  const accepted =
    status?.success === true ||
    (txStatus !== null && txStatus.toUpperCase() === 'SUCCESS') ||
    status?.resultCode === 'ESB000010';
  if (!accepted) {
    const code = status?.responseCode ?? status?.resultCode ?? 'DECLINED';
    throw new ConnectorError(ID, 'DECLINED', `Airtel refused the refund (${code})`, {
      providerCode: code,
      providerMessage: status?.message ?? undefined,
    });
  }
  // Airtel gives the refund no id of its own in the documented answer; it echoes the transaction's airtel_money_id.
  const echoed = tx ? ownString(tx, 'airtel_money_id', 100) : null;
  return { providerReversalId: echoed ?? originalAirtelMoneyId };
}

// ---------------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------------

/** Turns a non-2xx Airtel answer into a {@link ConnectorError}, keeping Airtel's code when the body has one. */
export function mapAirtelMoneyError(response: ProviderResponse): ConnectorError {
  const { status } = response;
  const block = isJsonObject(response.data) ? readStatusBlock(response.data) : null;
  const providerCode = block?.responseCode ?? block?.resultCode ?? undefined;
  const base = { httpStatus: status, providerCode, providerMessage: block?.message ?? undefined };
  if (status === 401 || status === 403)
    return new ConnectorError(ID, 'AUTH_CONFIG_INVALID', `Airtel rejected the credentials (${status})`, base);
  if (status === 404) return new ConnectorError(ID, 'NOT_FOUND', 'Airtel has no such resource', base);
  if (status === 429) {
    return new ConnectorError(ID, 'RATE_LIMITED', 'Airtel rate limit reached', {
      ...base,
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    });
  }
  if (status >= 500 || status === 408 || status === 409 || status === 425) {
    return new ConnectorError(
      ID,
      'PROVIDER_UNAVAILABLE',
      `Airtel is temporarily unavailable (${status})`,
      base,
    );
  }
  return new ConnectorError(
    ID,
    'DECLINED',
    `Airtel refused the request (${status}${providerCode ? ` ${providerCode}` : ''})`,
    base,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Callback
// ---------------------------------------------------------------------------------------------------------------

/** The callback fields, read safely. @throws ConnectorError RESPONSE_DECODING_FAILED */
export function readAirtelMoneyCallback(body: JsonObject): {
  id: string;
  statusCode: string;
  airtelMoneyId: string | null;
  hash: string | null;
} {
  const tx = ownObject(body, 'transaction');
  if (!tx)
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', 'Airtel callback has no transaction object');
  const id = ownString(tx, 'id', 100);
  const statusCode = ownString(tx, 'status_code', 32);
  if (id === null || !isAirtelMoneyTransactionId(id))
    throw new ConnectorError(
      ID,
      'RESPONSE_DECODING_FAILED',
      'Airtel callback has no readable transaction id',
    );
  if (statusCode === null || !CODE_TOKEN.test(statusCode)) {
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', 'Airtel callback has no readable status_code');
  }
  return {
    id,
    statusCode,
    airtelMoneyId: ownString(tx, 'airtel_money_id', 100),
    hash: ownString(body, 'hash', 512),
  };
}
