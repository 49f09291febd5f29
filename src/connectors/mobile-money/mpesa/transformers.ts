/**
 * Daraja wire types (prefixed `Mpesa…`) and pure functions mapping between them and Lipa's connector types.
 * No I/O here: every function is deterministic given its arguments, which keeps the quirks testable one by one.
 *
 * Sources: Safaricom Daraja docs https://developer.safaricom.co.ke/apis (Authorization, MpesaExpressSimulate,
 * MpesaExpressQuery, CustomerToBusinessRegisterURL, Reversal, TransactionStatus); summary in
 * shared/reference/rails.md section 1.
 */
import type { Money } from '../../../domain/money';
import { ConnectorError } from '../../errors';
import { defaultMapError, parseRetryAfter, type ProviderResponse } from '../../http';
import { fromProviderAmount, toProviderAmount } from '../../money';
import type { CollectionStatus, RailEvent, RailStatus } from '../../types';
import type { MpesaStkTransactionType } from './types';

/** Connector id used in errors and logs. */
export const MPESA = 'mpesa';
/** Daraja moves Kenyan shillings only. */
export const MPESA_CURRENCY = 'KES';
const KES_MAJOR = { kind: 'major' } as const;

// ---------------------------------------------------------------------------------------------------------------
// Wire types
// ---------------------------------------------------------------------------------------------------------------

/** `GET /oauth/v1/generate` reply. `expires_in` is a number in the docs and a string in older samples. */
export interface MpesaTokenResponse {
  access_token: string;
  expires_in: number | string;
}

/** Error envelope of every Daraja API (`400.002.02`, `404.001.03`, `500.001.1001`, `500.003.02`, ...). */
export interface MpesaErrorReply {
  requestId?: string;
  errorCode: string;
  errorMessage?: string;
}

/** `POST /mpesa/stkpush/v1/processrequest`. Daraja accepts numbers or digit strings; Lipa sends strings. */
export interface MpesaStkPushRequest {
  BusinessShortCode: string;
  /** base64(BusinessShortCode + passkey + Timestamp). */
  Password: string;
  /** `yyyyMMddHHmmss` in East Africa Time. */
  Timestamp: string;
  TransactionType: MpesaStkTransactionType;
  /** Whole shillings. */
  Amount: string;
  PartyA: string;
  PartyB: string;
  PhoneNumber: string;
  CallBackURL: string;
  /** At most 12 characters; shown on the payer's phone. */
  AccountReference: string;
  /** At most 13 characters. */
  TransactionDesc: string;
}

export interface MpesaStkPushResponse {
  MerchantRequestID: string;
  CheckoutRequestID: string;
  ResponseCode: string;
  ResponseDescription: string;
  CustomerMessage?: string;
}

/** `POST /mpesa/stkpushquery/v1/query`. */
export interface MpesaStkQueryRequest {
  BusinessShortCode: string;
  Password: string;
  Timestamp: string;
  CheckoutRequestID: string;
}

/** STK query reply. `ResultCode` is a **string** here (a number in the callback); there is no receipt number. */
export interface MpesaStkQueryResponse {
  ResponseCode: string;
  ResponseDescription: string;
  MerchantRequestID: string;
  CheckoutRequestID: string;
  ResultCode: string;
  ResultDesc: string;
}

/** `POST /mpesa/reversal/v1/request`. */
export interface MpesaReversalRequest {
  Initiator: string;
  SecurityCredential: string;
  CommandID: 'TransactionReversal';
  /** The M-Pesa receipt of the payment being reversed. */
  TransactionID: string;
  /** Whole shillings. */
  Amount: string;
  ReceiverParty: string;
  /** Spelled `Reciever` (sic) by Daraja; "11" per the current docs (older docs: "4"). */
  RecieverIdentifierType: '11';
  ResultURL: string;
  QueueTimeOutURL: string;
  /** 2–100 characters. */
  Remarks: string;
}

/** `POST /mpesa/transactionstatus/v1/query` (the docs sample's `"Command ID"`/`"Transaction ID"` are typos). */
export interface MpesaTransactionStatusRequest {
  Initiator: string;
  SecurityCredential: string;
  CommandID: 'TransactionStatusQuery';
  /** The M-Pesa receipt being asked about. */
  TransactionID: string;
  /** The organisation asking: Lipa's shortcode. */
  PartyA: string;
  /** 1 = MSISDN, 2 = till, 4 = shortcode. */
  IdentifierType: '4';
  ResultURL: string;
  QueueTimeOutURL: string;
  Remarks: string;
  /** Echoed back by Daraja as `ReferenceData.ReferenceItem` `Occasion`. */
  Occasion: string;
}

/** Synchronous acknowledgement of an asynchronous API (reversal, transaction status, balance). */
export interface MpesaAsyncAcknowledgement {
  OriginatorConversationID: string;
  ConversationID: string;
  ResponseCode: string;
  ResponseDescription: string;
}

/** `POST /mpesa/c2b/{v1|v2}/registerurl`. */
export interface MpesaRegisterUrlRequest {
  ShortCode: string;
  /** Exactly `Completed` or `Cancelled`, sentence case. */
  ResponseType: 'Completed' | 'Cancelled';
  ConfirmationURL: string;
  ValidationURL: string;
}

/** Register-URL reply; `OriginatorCoversationID` is misspelled by Daraja. */
export interface MpesaRegisterUrlResponse {
  OriginatorCoversationID?: string;
  ResponseCode: string;
  ResponseDescription: string;
}

/**
 * C2B confirmation (and validation: same shape, `OrgAccountBalance` blank). `TransAmount` is a string of whole
 * shillings ("10" or "10.00"); `MSISDN` is masked or hashed by Safaricom (data minimisation); names may be empty.
 */
export interface MpesaC2bConfirmation {
  TransactionType: string;
  /** The M-Pesa receipt: the payment's unique id. */
  TransID: string;
  /** `yyyyMMddHHmmss`, East Africa Time. */
  TransTime: string;
  TransAmount: string;
  BusinessShortCode: string;
  /** What the payer typed as account: free text, up to 20 characters. */
  BillRefNumber: string;
  InvoiceNumber: string;
  OrgAccountBalance: string;
  ThirdPartyTransID: string;
  MSISDN: string;
  FirstName: string;
  MiddleName: string;
  LastName: string;
}

/** Reply to a C2B validation request. `ResultCode` "0" accepts; `C2B00011`..`C2B00016` reject. */
export interface MpesaC2bValidationReply {
  ResultCode: string;
  ResultDesc: string;
}

/** Reply to a C2B confirmation. */
export interface MpesaC2bConfirmationReply {
  ResultCode: 0;
  ResultDesc: 'Success';
}

/** One `CallbackMetadata.Item`. `Value` may be absent (`Balance`); read items by `Name`, never by position. */
export interface MpesaCallbackItem {
  Name: string;
  Value?: string | number;
}

/** `Body.stkCallback` of the STK push callback. `CallbackMetadata` only on success. */
export interface MpesaStkCallback {
  MerchantRequestID: string;
  CheckoutRequestID: string;
  /** A number in the callback (a string in the STK query). */
  ResultCode: number | string;
  ResultDesc: string;
  CallbackMetadata?: { Item: MpesaCallbackItem[] };
}

/** One `ResultParameter` / `ReferenceItem`. `Value` may be missing, a string or a number; keys may repeat. */
export interface MpesaResultParameter {
  Key: string;
  Value?: string | number;
}

/** The `Result` envelope posted to a ResultURL (reversal, transaction status, B2C, balance). */
export interface MpesaResult {
  /** 0 = completed; 1 = waiting for further messages. */
  ResultType: number | null;
  /** Number 0 on success; failures are numbers or strings such as "R000002". */
  ResultCode: number | string;
  ResultDesc: string;
  OriginatorConversationID: string | null;
  ConversationID: string;
  TransactionID: string | null;
  /** Parameters as sent: an object or an array of objects. */
  ResultParameters?: { ResultParameter: MpesaResultParameter | MpesaResultParameter[] };
  /** Reference data as sent: `ReferenceItem` is an object or an array. */
  ReferenceData?: { ReferenceItem: MpesaResultParameter | MpesaResultParameter[] };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading untrusted JSON
// ---------------------------------------------------------------------------------------------------------------

/** Returns `value` when it is a plain JSON object (not null, not an array). */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Own property only: a body's `__proto__` or `constructor` keys are data, never the prototype chain. */
export function own(record: Record<string, unknown> | undefined, key: string): unknown {
  return record !== undefined && Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/** A scalar as text (numbers as JSON writes them), bounded; anything else is null. */
function scalarText(value: unknown, max: number): string | null {
  if (typeof value === 'string') return value.length > max ? value.slice(0, max) : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/** Daraja ids (TransID, CheckoutRequestID, ConversationID, receipts): short, no spaces or markup. */
const PROVIDER_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;

/** Daraja receipts (`TransID`, `MpesaReceiptNumber`): letters and digits only, 10 in practice. */
const RECEIPT = /^[A-Za-z0-9]{1,32}$/;

function decodeError(message: string): ConnectorError {
  return new ConnectorError(MPESA, 'RESPONSE_DECODING_FAILED', message);
}

function requireId(value: unknown, field: string): string {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !PROVIDER_ID.test(text))
    throw decodeError(`M-Pesa ${field} is missing or malformed`);
  return text;
}

function optionalId(value: unknown): string | null {
  return typeof value === 'string' && PROVIDER_ID.test(value) ? value : null;
}

/** A result code as text: 0 and "0" are the same; "R000002" stays as is. Null when absent or not a scalar. */
export function resultCodeText(value: unknown): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && /^[A-Za-z0-9_.-]{1,40}$/.test(value.trim())) return value.trim();
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Time, password, amounts, request fields
// ---------------------------------------------------------------------------------------------------------------

/** Daraja timestamps are East Africa Time: UTC+3 all year (Kenya has no daylight saving). */
const EAT_OFFSET_MS = 3 * 60 * 60 * 1000;

/**
 * `yyyyMMddHHmmss` in EAT, as Daraja wants for `Timestamp` (and as it writes `TransTime`).
 * @example darajaTimestamp(new Date('2021-06-28T06:24:08Z')) // "20210628092408"
 */
export function darajaTimestamp(at: Date): string {
  const eat = new Date(at.getTime() + EAT_OFFSET_MS);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    String(eat.getUTCFullYear()).padStart(4, '0') +
    two(eat.getUTCMonth() + 1) +
    two(eat.getUTCDate()) +
    two(eat.getUTCHours()) +
    two(eat.getUTCMinutes()) +
    two(eat.getUTCSeconds())
  );
}

/**
 * Reads an EAT `yyyyMMddHHmmss` (string `TransTime`, number `TransactionDate`) into an instant; null when it is not a
 * real date (the payment is still valid without it).
 */
export function parseDarajaTimestamp(value: unknown): Date | null {
  const text =
    typeof value === 'number'
      ? Number.isSafeInteger(value)
        ? String(value)
        : ''
      : typeof value === 'string'
        ? value.trim()
        : '';
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  if (new Date(local).getUTCDate() !== day) return null; // 31 February and friends
  return new Date(local - EAT_OFFSET_MS);
}

/**
 * The STK push/query `Password`: base64 of shortcode + passkey + timestamp (Daraja MpesaExpressSimulate docs).
 * @example stkPassword('174379', 'bfb279f9...c919', '20210628092408') // "MTc0Mzc5YmZi..."
 */
export function stkPassword(shortCode: string, passkey: string, timestamp: string): string {
  return Buffer.from(shortCode + passkey + timestamp, 'utf8').toString('base64');
}

/**
 * Lipa money to Daraja's request amount: whole Kenyan shillings as a digit string ("500").
 * @throws ConnectorError CURRENCY_UNSUPPORTED (not KES), REQUEST_ENCODING_FAILED (zero/negative, or cents: Daraja
 *   takes whole shillings only).
 */
export function toDarajaAmount(amount: Money): string {
  if (amount.currency !== MPESA_CURRENCY) {
    throw new ConnectorError(
      MPESA,
      'CURRENCY_UNSUPPORTED',
      `M-Pesa Daraja moves KES only, not ${amount.currency}`,
    );
  }
  if (amount.amountMinor <= 0n)
    throw new ConnectorError(MPESA, 'REQUEST_ENCODING_FAILED', 'M-Pesa amounts must be positive');
  try {
    return toProviderAmount(MPESA, amount, KES_MAJOR, { wholeUnitsOnly: true });
  } catch (err) {
    throw new ConnectorError(
      MPESA,
      'REQUEST_ENCODING_FAILED',
      'M-Pesa accepts whole shillings only; the amount has cents',
      { cause: err },
    );
  }
}

/** A Daraja amount (callback number `1.00`, C2B string `"10.00"`) as KES money. */
export function fromDarajaAmount(value: unknown): Money {
  return fromProviderAmount(MPESA, value, MPESA_CURRENCY, KES_MAJOR);
}

/**
 * Payer phone as Daraja wants it for `PartyA`/`PhoneNumber`: international digits without '+' (2547XXXXXXXX).
 * @throws ConnectorError REQUEST_ENCODING_FAILED (the number itself is never put in the message).
 */
export function darajaMsisdn(phoneNumber: string): string {
  const digits = phoneNumber.trim().replace(/^\+/, '');
  if (!/^\d{9,15}$/.test(digits)) {
    throw new ConnectorError(
      MPESA,
      'REQUEST_ENCODING_FAILED',
      'The phone number must be international digits such as 2547XXXXXXXX',
    );
  }
  return digits;
}

/** Daraja's limit for `AccountReference` (MpesaExpressSimulate docs). */
export const STK_ACCOUNT_REFERENCE_MAX = 12;
/** Daraja's limit for `TransactionDesc`. */
export const STK_TRANSACTION_DESC_MAX = 13;

/**
 * Fits a loan account number into the 12 characters of `AccountReference`: unchanged when it fits, otherwise
 * separators are dropped first ("LN-2024-000187" -> "LN2024000187") and only then is the end cut.
 * Matching of STK payments uses the CheckoutRequestID, so this is what the payer sees, not a match key.
 */
export function fitStkAccountReference(reference: string): string {
  const trimmed = reference.trim();
  if (trimmed.length === 0)
    throw new ConnectorError(MPESA, 'REQUEST_ENCODING_FAILED', 'M-Pesa needs an account reference');
  if (trimmed.length <= STK_ACCOUNT_REFERENCE_MAX) return trimmed;
  const compact = trimmed.replace(/[^A-Za-z0-9]/g, '');
  return (compact.length > 0 ? compact : trimmed).slice(0, STK_ACCOUNT_REFERENCE_MAX);
}

/** Fits a description into the 13 characters of `TransactionDesc` ("Loan repayment" -> "Loan repaymen"). */
export function fitStkTransactionDesc(description: string): string {
  const fitted = description.trim().slice(0, STK_TRANSACTION_DESC_MAX).trimEnd();
  return fitted.length > 0 ? fitted : 'Payment';
}

export interface StkPushParams {
  shortCode: string;
  passkey: string;
  /** Paybill: the shortcode; till: the till number. */
  partyB: string;
  transactionType: MpesaStkTransactionType;
  timestamp: string;
  /** From {@link toDarajaAmount}. */
  amount: string;
  /** From {@link darajaMsisdn}. */
  msisdn: string;
  callbackUrl: string;
  accountReference: string;
  description: string;
}

/** Builds the STK push body (Daraja MpesaExpressSimulate). */
export function buildStkPushRequest(p: StkPushParams): MpesaStkPushRequest {
  return {
    BusinessShortCode: p.shortCode,
    Password: stkPassword(p.shortCode, p.passkey, p.timestamp),
    Timestamp: p.timestamp,
    TransactionType: p.transactionType,
    Amount: p.amount,
    PartyA: p.msisdn,
    PartyB: p.partyB,
    PhoneNumber: p.msisdn,
    CallBackURL: p.callbackUrl,
    AccountReference: fitStkAccountReference(p.accountReference),
    TransactionDesc: fitStkTransactionDesc(p.description),
  };
}

/** Builds the STK query body (Daraja MpesaExpressQuery). */
export function buildStkQueryRequest(
  shortCode: string,
  passkey: string,
  timestamp: string,
  checkoutRequestId: string,
): MpesaStkQueryRequest {
  return {
    BusinessShortCode: shortCode,
    Password: stkPassword(shortCode, passkey, timestamp),
    Timestamp: timestamp,
    CheckoutRequestID: checkoutRequestId,
  };
}

export interface ReversalParams {
  initiator: string;
  securityCredential: string;
  /** M-Pesa receipt of the payment. */
  transactionId: string;
  /** From {@link toDarajaAmount}. */
  amount: string;
  receiverParty: string;
  resultUrl: string;
  reason: string;
}

/** `Remarks` must be 2–100 characters (Daraja Reversal docs). */
export function fitReversalRemarks(reason: string): string {
  const trimmed = reason.trim().replace(/\s+/g, ' ').slice(0, 100).trimEnd();
  return trimmed.length >= 2 ? trimmed : 'Payment reversal';
}

/**
 * Builds the reversal body (Daraja Reversal). Both ResultURL and QueueTimeOutURL point at Lipa's result URL: a
 * queue timeout is a result too and is told apart by its body.
 */
export function buildReversalRequest(p: ReversalParams): MpesaReversalRequest {
  if (!RECEIPT.test(p.transactionId)) {
    throw new ConnectorError(MPESA, 'REQUEST_ENCODING_FAILED', 'The M-Pesa receipt to reverse is malformed');
  }
  return {
    Initiator: p.initiator,
    SecurityCredential: p.securityCredential,
    CommandID: 'TransactionReversal',
    TransactionID: p.transactionId,
    Amount: p.amount,
    ReceiverParty: p.receiverParty,
    RecieverIdentifierType: '11',
    ResultURL: p.resultUrl,
    QueueTimeOutURL: p.resultUrl,
    Remarks: fitReversalRemarks(p.reason),
  };
}

/** Text limit of `Remarks` and `Occasion` in the Transaction Status docs (2–100 and up to 100 characters). */
const STATUS_TEXT_MAX = 100;

/** `Remarks`/`Occasion` of a status query: Lipa's reference on one line, bounded; a fixed word when too short. */
export function fitStatusText(reference: string): string {
  const text = reference.trim().replace(/\s+/g, ' ').slice(0, STATUS_TEXT_MAX).trimEnd();
  return text.length >= 2 ? text : 'Transaction status';
}

export interface TransactionStatusParams {
  initiator: string;
  securityCredential: string;
  /** M-Pesa receipt of the transaction asked about. */
  transactionId: string;
  /** Lipa's shortcode (`PartyA`, `IdentifierType` 4). */
  shortCode: string;
  /** Lipa's result URL, already carrying `kind=result`. */
  resultUrl: string;
  /** Lipa's id for the query, sent as `Remarks` and `Occasion` so it shows in Safaricom's logs and the Result. */
  reference: string;
}

/**
 * Builds the Transaction Status body (Daraja TransactionStatus). ResultURL and QueueTimeOutURL are the same URL, as
 * for reversals: a queue timeout is a Result too. No `OriginalConversationID`: Lipa always asks by receipt.
 * @throws ConnectorError REQUEST_ENCODING_FAILED when the receipt is malformed (checked before any call).
 */
export function buildTransactionStatusRequest(p: TransactionStatusParams): MpesaTransactionStatusRequest {
  if (!RECEIPT.test(p.transactionId)) {
    throw new ConnectorError(MPESA, 'REQUEST_ENCODING_FAILED', 'The M-Pesa receipt to look up is malformed');
  }
  const text = fitStatusText(p.reference);
  return {
    Initiator: p.initiator,
    SecurityCredential: p.securityCredential,
    CommandID: 'TransactionStatusQuery',
    TransactionID: p.transactionId,
    PartyA: p.shortCode,
    IdentifierType: '4',
    ResultURL: p.resultUrl,
    QueueTimeOutURL: p.resultUrl,
    Remarks: text,
    Occasion: text,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Replies to Lipa's calls
// ---------------------------------------------------------------------------------------------------------------

/**
 * Reads the OAuth reply. `expires_in` may be a number or a string; when absent the documented lifetime (3600 s,
 * sent as 3599) is assumed.
 * @throws ConnectorError RESPONSE_DECODING_FAILED
 */
export function readTokenResponse(data: unknown): { accessToken: string; expiresInSeconds: number } {
  const body = asRecord(data);
  const accessToken = own(body, 'access_token');
  if (typeof accessToken !== 'string' || accessToken.length === 0 || accessToken.length > 4096) {
    throw decodeError('M-Pesa token reply has no access_token');
  }
  const raw = own(body, 'expires_in');
  if (raw === undefined || raw === null || raw === '') return { accessToken, expiresInSeconds: 3599 };
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  if (!/^\d{1,7}$/.test(text) || Number(text) === 0)
    throw decodeError('M-Pesa token reply has a malformed expires_in');
  return { accessToken, expiresInSeconds: Number(text) };
}

/** Daraja error codes Lipa treats specially (rails.md 1.1, 1.3). */
export const DARAJA_ERROR = Object.freeze({
  invalidAccessToken: '404.001.03',
  invalidAuthType: '400.008.01',
  invalidGrantType: '400.008.02',
  /** Overloaded: "Unable to lock subscriber", "Merchant does not exist", "Wrong credentials", "being processed". */
  internal: '500.001.1001',
  spikeArrest: '500.003.02',
  quotaViolation: '500.003.03',
});

/** Reads Daraja's `{requestId, errorCode, errorMessage}` envelope; null when the body is something else. */
export function readErrorReply(data: unknown): MpesaErrorReply | null {
  const body = asRecord(data);
  const errorCode = own(body, 'errorCode');
  if (typeof errorCode !== 'string' || !/^[A-Za-z0-9.]{1,40}$/.test(errorCode)) return null;
  const errorMessage = scalarText(own(body, 'errorMessage'), 300) ?? undefined;
  const requestId = scalarText(own(body, 'requestId'), 100) ?? undefined;
  return { errorCode, errorMessage, requestId };
}

const STILL_PROCESSING = /being processed|under processing|still processing/i;
const SUBSCRIBER_LOCKED = /lock subscriber|already in process/i;
const BAD_MERCHANT_CONFIG = /wrong credentials|merchant does not exist|invalid credentials/i;

/**
 * Turns a Daraja error reply into a {@link ConnectorError}. Messages are Lipa's own; Daraja's text is kept in
 * `providerMessage` (logged, never shown to clients).
 */
export function mapDarajaError(response: ProviderResponse): ConnectorError {
  const reply = readErrorReply(response.data);
  if (!reply) return defaultMapError(MPESA, response);
  const options = {
    httpStatus: response.status,
    providerCode: reply.errorCode,
    providerMessage: reply.errorMessage,
    providerRequestId: reply.requestId ?? response.headers['x-request-id'],
  };
  const code = reply.errorCode;
  const text = reply.errorMessage ?? '';
  if (
    code === DARAJA_ERROR.invalidAccessToken ||
    code === DARAJA_ERROR.invalidAuthType ||
    code === DARAJA_ERROR.invalidGrantType
  ) {
    return new ConnectorError(
      MPESA,
      'AUTH_CONFIG_INVALID',
      `M-Pesa rejected the credentials (${code})`,
      options,
    );
  }
  if (code === DARAJA_ERROR.spikeArrest || code === DARAJA_ERROR.quotaViolation) {
    return new ConnectorError(MPESA, 'RATE_LIMITED', `M-Pesa rate limit reached (${code})`, {
      ...options,
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    });
  }
  if (code === DARAJA_ERROR.internal) {
    // The STK query answers an unfinished prompt with this error. It is an answer (PENDING), not an outage, so
    // it is marked not retryable: the query caller turns it into PENDING instead of hammering Daraja.
    if (STILL_PROCESSING.test(text)) {
      return new ConnectorError(
        MPESA,
        'PROVIDER_UNAVAILABLE',
        'The M-Pesa transaction is still being processed',
        { ...options, retryable: false },
      );
    }
    if (SUBSCRIBER_LOCKED.test(text)) {
      return new ConnectorError(
        MPESA,
        'PROVIDER_UNAVAILABLE',
        'A payment prompt is already open on this phone; try again after it closes',
        options,
      );
    }
    if (BAD_MERCHANT_CONFIG.test(text)) {
      return new ConnectorError(
        MPESA,
        'AUTH_CONFIG_INVALID',
        `M-Pesa rejected the shortcode or credentials (${code})`,
        options,
      );
    }
    return new ConnectorError(
      MPESA,
      'PROVIDER_UNAVAILABLE',
      `M-Pesa could not process the request (${code})`,
      options,
    );
  }
  if (code.startsWith('400.')) {
    if (/CheckoutRequestID/i.test(text))
      return new ConnectorError(MPESA, 'NOT_FOUND', `M-Pesa does not know this request (${code})`, options);
    return new ConnectorError(MPESA, 'DECLINED', `M-Pesa refused the request (${code})`, options);
  }
  if (code.startsWith('404.'))
    return new ConnectorError(MPESA, 'NOT_FOUND', `M-Pesa resource not found (${code})`, options);
  if (code.startsWith('401.') || response.status === 401 || response.status === 403) {
    return new ConnectorError(
      MPESA,
      'AUTH_CONFIG_INVALID',
      `M-Pesa rejected the credentials (${code})`,
      options,
    );
  }
  if (code.startsWith('500.') || response.status >= 500) {
    return new ConnectorError(
      MPESA,
      'PROVIDER_UNAVAILABLE',
      `M-Pesa is temporarily unavailable (${code})`,
      options,
    );
  }
  const fallback = defaultMapError(MPESA, response);
  return new ConnectorError(MPESA, fallback.code, fallback.message, {
    ...options,
    retryAfterMs: fallback.retryAfterMs,
  });
}

/** True when an STK query error means "no final answer yet" (so the status is PENDING). */
export function isStkStillProcessing(err: ConnectorError): boolean {
  return err.providerCode === DARAJA_ERROR.internal && STILL_PROCESSING.test(err.providerMessage ?? '');
}

/**
 * Reads the STK push acknowledgement.
 * @throws ConnectorError DECLINED when `ResponseCode` is not 0; OUTCOME_UNKNOWN when a 2xx reply carries no
 *   CheckoutRequestID (the prompt may be on the phone, but Lipa cannot track it).
 */
export function readStkPushResponse(data: unknown): {
  checkoutRequestId: string;
  merchantRequestId: string | null;
} {
  const body = asRecord(data);
  const responseCode = resultCodeText(own(body, 'ResponseCode'));
  if (responseCode !== null && responseCode !== '0') {
    throw new ConnectorError(MPESA, 'DECLINED', `M-Pesa refused the payment prompt (${responseCode})`, {
      providerCode: responseCode,
      providerMessage: scalarText(own(body, 'ResponseDescription'), 300) ?? undefined,
    });
  }
  const checkoutRequestId = own(body, 'CheckoutRequestID');
  if (typeof checkoutRequestId !== 'string' || !PROVIDER_ID.test(checkoutRequestId)) {
    throw new ConnectorError(
      MPESA,
      'OUTCOME_UNKNOWN',
      'M-Pesa accepted the payment prompt without a CheckoutRequestID; the outcome is unknown',
      {
        retryable: false,
      },
    );
  }
  return { checkoutRequestId, merchantRequestId: optionalId(own(body, 'MerchantRequestID')) };
}

/**
 * STK result codes Lipa knows to be final failures (Daraja docs and rails.md 1.3): insufficient balance (1), below
 * minimum (2), above maximum (3), daily limit (4), max balance (8), duplicate within 2 min (17), subscriber locked (observed,
 * 1001), expired (1019), push error (1025), cancelled (1032), unreachable (1037), wrong PIN (2001), not permitted
 * (2028), credential locked (8006), operator does not exist (SFC_IC0003).
 */
export const STK_FAILURE_CODES: ReadonlySet<string> = new Set([
  '1',
  '2',
  '3',
  '4',
  '8',
  '17',
  '1001',
  '1019',
  '1025',
  '1032',
  '1037',
  '2001',
  '2028',
  '8006',
  'SFC_IC0003',
]);

/**
 * Status of an STK query `ResultCode`: "0" succeeded, a known failure code failed, anything else (including the
 * observed "4999 still under processing") is PENDING and re-queried — never guessed (ARCHITECTURE invariant 6).
 */
export function stkQueryStatus(resultCode: string | null): RailStatus {
  if (resultCode === '0') return 'SUCCEEDED';
  if (resultCode !== null && STK_FAILURE_CODES.has(resultCode)) return 'FAILED';
  return 'PENDING';
}

/** Maps an STK query reply. The query never carries the receipt, so `providerTransactionId` stays null. */
export function mapStkQueryResponse(data: unknown): CollectionStatus {
  const body = asRecord(data);
  if (!body) throw decodeError('M-Pesa STK query reply is not a JSON object');
  const resultCode = resultCodeText(own(body, 'ResultCode'));
  const status = stkQueryStatus(resultCode);
  return {
    status,
    providerTransactionId: null,
    amount: null,
    failureCode: status === 'FAILED' ? resultCode : null,
    failureMessage: status === 'FAILED' ? scalarText(own(body, 'ResultDesc'), 300) : null,
  };
}

/** Reads the acknowledgement of an asynchronous request (reversal). @throws ConnectorError DECLINED, OUTCOME_UNKNOWN */
export function readAsyncAcknowledgement(
  data: unknown,
  what: string,
): { conversationId: string; originatorConversationId: string | null } {
  const body = asRecord(data);
  const responseCode = resultCodeText(own(body, 'ResponseCode'));
  if (responseCode !== null && responseCode !== '0') {
    throw new ConnectorError(MPESA, 'DECLINED', `M-Pesa refused the ${what} (${responseCode})`, {
      providerCode: responseCode,
      providerMessage: scalarText(own(body, 'ResponseDescription'), 300) ?? undefined,
    });
  }
  const conversationId = own(body, 'ConversationID');
  if (typeof conversationId !== 'string' || !PROVIDER_ID.test(conversationId)) {
    throw new ConnectorError(
      MPESA,
      'OUTCOME_UNKNOWN',
      `M-Pesa accepted the ${what} without a ConversationID; the outcome is unknown`,
      {
        retryable: false,
      },
    );
  }
  return { conversationId, originatorConversationId: optionalId(own(body, 'OriginatorConversationID')) };
}

/** Reads the register-URL reply. @throws ConnectorError DECLINED when `ResponseCode` is not 0. */
export function readRegisterUrlResponse(data: unknown): {
  originatorConversationId: string | null;
  description: string;
} {
  const body = asRecord(data);
  const responseCode = resultCodeText(own(body, 'ResponseCode'));
  const description = scalarText(own(body, 'ResponseDescription'), 300) ?? '';
  if (responseCode !== '0') {
    throw new ConnectorError(
      MPESA,
      'DECLINED',
      `M-Pesa refused the URL registration (${responseCode ?? 'no code'})`,
      {
        providerCode: responseCode ?? undefined,
        providerMessage: description,
      },
    );
  }
  // Daraja spells it OriginatorCoversationID; accept the correct spelling too in case it is ever fixed.
  const id =
    optionalId(own(body, 'OriginatorCoversationID')) ?? optionalId(own(body, 'OriginatorConversationID'));
  return { originatorConversationId: id, description };
}

// ---------------------------------------------------------------------------------------------------------------
// Callback bodies
// ---------------------------------------------------------------------------------------------------------------

/** Reads a C2B confirmation/validation body. @throws ConnectorError RESPONSE_DECODING_FAILED (no usable TransID). */
export function decodeC2bConfirmation(body: Record<string, unknown>): MpesaC2bConfirmation {
  const text = (key: string, max = 100) => scalarText(own(body, key), max) ?? '';
  const amount = own(body, 'TransAmount');
  return {
    TransactionType: text('TransactionType'),
    TransID: requireId(own(body, 'TransID'), 'TransID'),
    TransTime: text('TransTime', 20),
    // Kept as sent (string or number) and validated by fromDarajaAmount when mapped.
    TransAmount: typeof amount === 'number' ? String(amount) : text('TransAmount', 40),
    BusinessShortCode: text('BusinessShortCode', 20),
    BillRefNumber: text('BillRefNumber'),
    InvoiceNumber: text('InvoiceNumber'),
    OrgAccountBalance: text('OrgAccountBalance', 40),
    ThirdPartyTransID: text('ThirdPartyTransID'),
    MSISDN: text('MSISDN', 100),
    FirstName: text('FirstName'),
    MiddleName: text('MiddleName'),
    LastName: text('LastName'),
  };
}

/** Reads `Body.stkCallback`. @throws ConnectorError RESPONSE_DECODING_FAILED (no CheckoutRequestID or ResultCode). */
export function decodeStkCallback(callback: Record<string, unknown>): MpesaStkCallback {
  const resultCode = resultCodeText(own(callback, 'ResultCode'));
  if (resultCode === null) throw decodeError('M-Pesa STK callback has no ResultCode');
  const items: MpesaCallbackItem[] = [];
  const rawItems = own(asRecord(own(callback, 'CallbackMetadata')), 'Item');
  for (const raw of Array.isArray(rawItems) ? rawItems.slice(0, 50) : asRecord(rawItems) ? [rawItems] : []) {
    const item = asRecord(raw);
    const name = own(item, 'Name');
    if (typeof name !== 'string' || name.length > 100) continue;
    const value = own(item, 'Value');
    items.push(
      typeof value === 'string' || typeof value === 'number'
        ? { Name: name, Value: typeof value === 'string' ? value.slice(0, 200) : value }
        : { Name: name },
    );
  }
  return {
    MerchantRequestID: optionalId(own(callback, 'MerchantRequestID')) ?? '',
    CheckoutRequestID: requireId(own(callback, 'CheckoutRequestID'), 'CheckoutRequestID'),
    ResultCode: resultCode,
    ResultDesc: scalarText(own(callback, 'ResultDesc'), 300) ?? '',
    ...(items.length > 0 ? { CallbackMetadata: { Item: items } } : {}),
  };
}

function decodeParameters(value: unknown): MpesaResultParameter[] {
  const list = Array.isArray(value) ? value.slice(0, 100) : asRecord(value) ? [value] : [];
  const out: MpesaResultParameter[] = [];
  for (const raw of list) {
    const entry = asRecord(raw);
    const key = own(entry, 'Key');
    if (typeof key !== 'string' || key.length > 100) continue;
    const v = own(entry, 'Value');
    out.push(
      typeof v === 'string' || typeof v === 'number'
        ? { Key: key, Value: typeof v === 'string' ? v.slice(0, 500) : v }
        : { Key: key },
    );
  }
  return out;
}

/** Reads a `Result` envelope. @throws ConnectorError RESPONSE_DECODING_FAILED (no ConversationID or ResultCode). */
export function decodeResult(result: Record<string, unknown>): MpesaResult {
  const resultCode = resultCodeText(own(result, 'ResultCode'));
  if (resultCode === null) throw decodeError('M-Pesa Result has no ResultCode');
  const resultType = own(result, 'ResultType');
  const parameters = decodeParameters(own(asRecord(own(result, 'ResultParameters')), 'ResultParameter'));
  const references = decodeParameters(own(asRecord(own(result, 'ReferenceData')), 'ReferenceItem'));
  return {
    ResultType:
      typeof resultType === 'number' && Number.isSafeInteger(resultType)
        ? resultType
        : typeof resultType === 'string' && /^\d+$/.test(resultType)
          ? Number(resultType)
          : null,
    ResultCode: resultCode,
    ResultDesc: scalarText(own(result, 'ResultDesc'), 300) ?? '',
    OriginatorConversationID: optionalId(own(result, 'OriginatorConversationID')),
    ConversationID: requireId(own(result, 'ConversationID'), 'ConversationID'),
    TransactionID: optionalId(own(result, 'TransactionID')),
    ...(parameters.length > 0 ? { ResultParameters: { ResultParameter: parameters } } : {}),
    ...(references.length > 0 ? { ReferenceData: { ReferenceItem: references } } : {}),
  };
}

function firstWins(
  pairs: ReadonlyArray<readonly [string, string | number | undefined]>,
): Map<string, string | number | undefined> {
  const map = new Map<string, string | number | undefined>();
  for (const [name, value] of pairs) if (!map.has(name)) map.set(name, value);
  return map;
}

/**
 * `CallbackMetadata.Item` by `Name` (never by position), first occurrence winning. A Map, so hostile names such as
 * `__proto__` are plain keys.
 */
export function itemsByName(
  items: readonly MpesaCallbackItem[] | undefined,
): Map<string, string | number | undefined> {
  return firstWins((items ?? []).map((i) => [i.Name, i.Value] as const));
}

/** `ResultParameter` / `ReferenceItem` (an object or an array) by `Key`; Daraja repeats some keys, first wins. */
export function parametersByKey(
  params: MpesaResultParameter | readonly MpesaResultParameter[] | undefined,
): Map<string, string | number | undefined> {
  const list: readonly MpesaResultParameter[] =
    params === undefined
      ? []
      : Array.isArray(params)
        ? (params as readonly MpesaResultParameter[])
        : [params as MpesaResultParameter];
  return firstWins(list.map((p) => [p.Key, p.Value] as const));
}

/** Trims and upper-cases what the payer typed as account, so it can be matched to a loan; null when blank. */
export function normalizeBillRef(value: string): string | null {
  const normalized = value.trim().toUpperCase();
  return normalized.length > 0 ? normalized : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Callback bodies -> rail events
// ---------------------------------------------------------------------------------------------------------------

/** Provider event ids: unique per source, the same for every redelivery of one callback. */
export const mpesaEventId = Object.freeze({
  c2bConfirmation: (transId: string) => `c2b:${transId}`,
  // Distinct from the confirmation's id, or storing the validation would swallow the confirmation as a duplicate.
  c2bValidation: (transId: string) => `c2b-validation:${transId}`,
  stk: (checkoutRequestId: string) => `stk:${checkoutRequestId}`,
  result: (conversationId: string) => `result:${conversationId}`,
});

/**
 * A C2B confirmation is a completed payment. It cannot be re-queried synchronously (Transaction Status answers by
 * callback), so `needsConfirmation` is false: trust rests on the URL token and on settlement reconciliation.
 */
export function c2bConfirmationToEvent(body: MpesaC2bConfirmation): RailEvent {
  return {
    kind: 'PAYMENT',
    providerEventId: mpesaEventId.c2bConfirmation(body.TransID),
    providerTransactionId: body.TransID,
    providerRequestId: null,
    status: 'SUCCEEDED',
    amount: fromDarajaAmount(body.TransAmount),
    accountReference: normalizeBillRef(body.BillRefNumber),
    payerReference: body.MSISDN.trim() === '' ? null : body.MSISDN,
    occurredAt: parseDarajaTimestamp(body.TransTime),
    failureCode: null,
    failureMessage: null,
    needsConfirmation: false,
  };
}

/** A validation request moves no money: Lipa accepts it and keeps it for audit only. */
export function c2bValidationToEvent(body: MpesaC2bConfirmation): RailEvent {
  return {
    kind: 'IGNORED',
    providerEventId: mpesaEventId.c2bValidation(body.TransID),
    reason: 'C2B validation request (accepted; the confirmation carries the payment)',
  };
}

/**
 * An STK callback. `ResultCode` 0 is a payment whose receipt, amount, date and phone come from
 * `CallbackMetadata.Item` read by name; any other code is a failure (the Daraja docs: "0 means success; any other
 * code means error or failure", and the callback is the final word on that prompt). Callbacks are unsigned while
 * the STK query can confirm them, so `needsConfirmation` is true.
 */
export function stkCallbackToEvent(callback: MpesaStkCallback): RailEvent {
  const code = String(callback.ResultCode);
  const base = {
    kind: 'PAYMENT' as const,
    providerEventId: mpesaEventId.stk(callback.CheckoutRequestID),
    providerRequestId: callback.CheckoutRequestID,
    accountReference: null,
    needsConfirmation: true,
  };
  if (code !== '0') {
    return {
      ...base,
      providerTransactionId: null,
      status: 'FAILED',
      amount: null,
      payerReference: null,
      occurredAt: null,
      failureCode: code,
      failureMessage: callback.ResultDesc || null,
    };
  }
  const items = itemsByName(callback.CallbackMetadata?.Item);
  const amount = items.get('Amount');
  const receipt = items.get('MpesaReceiptNumber');
  const phone = items.get('PhoneNumber');
  return {
    ...base,
    providerTransactionId: typeof receipt === 'string' && PROVIDER_ID.test(receipt) ? receipt : null,
    status: 'SUCCEEDED',
    amount: amount === undefined ? null : fromDarajaAmount(amount),
    payerReference: phone === undefined || phone === '' ? null : String(phone),
    occurredAt: parseDarajaTimestamp(items.get('TransactionDate')),
    failureCode: null,
    failureMessage: null,
  };
}

/** "The transaction has already been reversed": the wanted end state, reached (by this or an earlier request). */
export const REVERSAL_ALREADY_REVERSED = 'R000001';

/**
 * Reversal status from a `Result`: 0 succeeded; R000001 (already reversed) also succeeded, with the code kept in
 * `failureCode` as evidence; `ResultType` 1 (more messages to come) pending; any other code failed (the Result is
 * Daraja's final answer and there is no reversal query to ask again).
 */
export function reversalResultStatus(result: MpesaResult): RailStatus {
  const code = String(result.ResultCode);
  if (code === '0' || code === REVERSAL_ALREADY_REVERSED) return 'SUCCEEDED';
  if (result.ResultType === 1) return 'PENDING';
  return 'FAILED';
}

/** A reversal `Result` as a REVERSAL event; the reversal id is the ConversationID `reverseCollection` returned. */
export function reversalResultToEvent(result: MpesaResult): RailEvent {
  const params = parametersByKey(result.ResultParameters?.ResultParameter);
  const status = reversalResultStatus(result);
  const original = params.get('OriginalTransactionID');
  const amount = params.get('Amount');
  const code = String(result.ResultCode);
  return {
    kind: 'REVERSAL',
    providerEventId: mpesaEventId.result(result.ConversationID),
    providerReversalId: result.ConversationID,
    originalProviderTransactionId:
      typeof original === 'string' && PROVIDER_ID.test(original) ? original : null,
    status,
    amount: status === 'SUCCEEDED' && amount !== undefined && amount !== '' ? fromDarajaAmount(amount) : null,
    occurredAt: parseDarajaTimestamp(params.get('TransCompletedTime')),
    failureCode: code === '0' ? null : code,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Result envelopes: reversal or transaction status?
// ---------------------------------------------------------------------------------------------------------------

/**
 * `ResultParameter` keys only a reversal Result carries (Daraja Reversal docs): the reversed receipt, the debited
 * account's balance, the completion time and the public party names.
 */
export const REVERSAL_RESULT_KEYS: ReadonlySet<string> = new Set([
  'OriginalTransactionID',
  'DebitAccountBalance',
  'TransCompletedTime',
  'CreditPartyPublicName',
  'DebitPartyPublicName',
  'Charge',
]);

/**
 * `ResultParameter` keys only a Transaction Status Result carries (Daraja TransactionStatus docs): the looked-up
 * receipt, its status, its times and the (non-public) party names.
 */
export const TRANSACTION_STATUS_RESULT_KEYS: ReadonlySet<string> = new Set([
  'ReceiptNo',
  'TransactionStatus',
  'FinalisedTime',
  'InitiatedTime',
  'DebitPartyName',
  'CreditPartyName',
  'DebitAccountType',
  'DebitPartyCharges',
  'ReasonType',
  'TransactionReason',
]);

/**
 * Which request a `Result` answers. Daraja posts the same envelope for reversal and Transaction Status (and B2C,
 * balance), with nothing naming the API, and Lipa gives both the same `?kind=result` URL, so the keys decide:
 *
 * 1. any reversal-only parameter ({@link REVERSAL_RESULT_KEYS}, e.g. `OriginalTransactionID`) -> reversal; checked
 *    first so a reversal Result is read exactly as before this connector queried statuses;
 * 2. any status-only parameter ({@link TRANSACTION_STATUS_RESULT_KEYS}, e.g. `ReceiptNo`, `TransactionStatus`)
 *    -> transaction status;
 * 3. no telling parameter (a failed Result has none): a `ReferenceItem` keyed `Occasion` -> transaction status,
 *    because Lipa sends `Occasion` on every status query and never on a reversal, and Daraja echoes it there (the
 *    TransactionStatus sample), while reversal Results carry `QueueTimeoutURL`;
 * 4. otherwise reversal: a reversal's failure has no other way to reach Lipa (there is no reversal query), while a
 *    lost status failure only means asking again.
 */
export function classifyResult(result: MpesaResult): 'reversal' | 'transaction_status' {
  const params = parametersByKey(result.ResultParameters?.ResultParameter);
  const keys = [...params.keys()];
  if (keys.some((k) => REVERSAL_RESULT_KEYS.has(k))) return 'reversal';
  if (keys.some((k) => TRANSACTION_STATUS_RESULT_KEYS.has(k))) return 'transaction_status';
  if (parametersByKey(result.ReferenceData?.ReferenceItem).has('Occasion')) return 'transaction_status';
  return 'reversal';
}

/** Every value of `key`, in order: Daraja repeats some keys (e.g. `DebitPartyName`) with different values. */
export function parameterValues(
  params: MpesaResultParameter | readonly MpesaResultParameter[] | undefined,
  key: string,
): Array<string | number | undefined> {
  const list: readonly MpesaResultParameter[] =
    params === undefined
      ? []
      : Array.isArray(params)
        ? (params as readonly MpesaResultParameter[])
        : [params as MpesaResultParameter];
  return list.filter((p) => p.Key === key).map((p) => p.Value);
}

/**
 * True when a party name ("254708374149 - JOHN DOE", masked "2547 ***** 126 - JOHN") starts with a phone number,
 * i.e. names a person. Organisations are written "<5–7 digit shortcode> - <name>" ("600310 - Safaricom333").
 */
export function isPersonParty(party: string): boolean {
  const id = party.split(' - ')[0].replace(/\s+/g, '');
  return /^\+?[\d*]{9,15}$/.test(id) && /\d{3}/.test(id);
}

/** The value Daraja writes for a finished transaction in `TransactionStatus`. */
const TRANSACTION_COMPLETED = 'completed';

/**
 * Status of a Transaction Status `Result`: `ResultCode` 0 with `TransactionStatus` "Completed" and a receipt is
 * SUCCEEDED; `ResultType` 1 (more messages to come) PENDING; any other code FAILED (the query was refused or the
 * receipt is unknown to M-Pesa: the `failureCode` says which); code 0 with any other or no `TransactionStatus` is
 * PENDING — an undocumented state is never guessed (ARCHITECTURE invariant 6). SUCCEEDED needs `ReceiptNo` because
 * the receipt is what the payment is deduplicated on.
 */
export function transactionStatusResultStatus(result: MpesaResult): RailStatus {
  const params = parametersByKey(result.ResultParameters?.ResultParameter);
  const code = String(result.ResultCode);
  if (code !== '0') return result.ResultType === 1 ? 'PENDING' : 'FAILED';
  const status = params.get('TransactionStatus');
  const receipt = params.get('ReceiptNo');
  const completed = typeof status === 'string' && status.trim().toLowerCase() === TRANSACTION_COMPLETED;
  return completed && typeof receipt === 'string' && PROVIDER_ID.test(receipt) ? 'SUCCEEDED' : 'PENDING';
}

/**
 * A Transaction Status `Result` as a PAYMENT event: the answer to {@link MpesaTransactionStatusRequest}, used to
 * recover a payment whose C2B confirmation or STK callback never came. `providerTransactionId` is `ReceiptNo`;
 * `amount` is `Amount` (KES, string or number, via connectors/money.ts); `occurredAt` is `FinalisedTime` (EAT);
 * `payerReference` is the first `DebitPartyName` that names a person ("2547… - NAME", personal data, kept as given
 * and never logged) — for a B2C or an org-to-org transfer the debit party is an organisation, not a payer, so it is
 * left out. `providerRequestId` stays null: Lipa matches requests on the CheckoutRequestID, which this Result does
 * not carry (the ConversationID is in `providerEventId`). `needsConfirmation` is false: the Result is itself the
 * answer to Lipa's own query.
 * @throws ConnectorError RESPONSE_DECODING_FAILED when `Amount` is present but not a positive KES amount.
 */
export function transactionStatusResultToEvent(result: MpesaResult): RailEvent {
  const params = parametersByKey(result.ResultParameters?.ResultParameter);
  const status = transactionStatusResultStatus(result);
  const code = String(result.ResultCode);
  const receipt = params.get('ReceiptNo');
  const rawAmount = params.get('Amount');
  const amount = rawAmount === undefined || rawAmount === '' ? null : fromDarajaAmount(rawAmount);
  if (amount !== null && amount.amountMinor <= 0n) {
    throw decodeError('M-Pesa Transaction Status Result has a non-positive Amount');
  }
  const payer = parameterValues(result.ResultParameters?.ResultParameter, 'DebitPartyName')
    .map((v) => (v === undefined ? '' : String(v)))
    .find((v) => v.trim() !== '' && isPersonParty(v));
  return {
    kind: 'PAYMENT',
    providerEventId: mpesaEventId.result(result.ConversationID),
    providerTransactionId: typeof receipt === 'string' && PROVIDER_ID.test(receipt) ? receipt : null,
    providerRequestId: null,
    status,
    amount,
    accountReference: null,
    payerReference: payer ?? null,
    occurredAt: parseDarajaTimestamp(params.get('FinalisedTime')),
    failureCode: status === 'FAILED' ? code : null,
    failureMessage: status === 'FAILED' ? result.ResultDesc || null : null,
    needsConfirmation: false,
  };
}
