/**
 * Daraja callbacks: authenticity, classification and parsing.
 *
 * Daraja signs nothing (rails.md 1.7). Lipa gives Safaricom callback URLs that embed a per-source secret token
 * (`/hooks/:sourceId/:token`) and a `kind` query parameter naming the flow; the token is checked in constant time
 * before a single byte of the body is parsed. Operators may add Safaricom's IP allow-list at the edge, and STK
 * callbacks are confirmed by STK query before they are trusted (`needsConfirmation`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ConnectorError } from '../../errors';
import type { RailEvent, VerifiedCallback, VerifyCallbackInput } from '../../types';
import {
  MPESA,
  asRecord,
  c2bConfirmationToEvent,
  c2bValidationToEvent,
  classifyResult,
  decodeC2bConfirmation,
  decodeResult,
  decodeStkCallback,
  mpesaEventId,
  own,
  reversalResultToEvent,
  stkCallbackToEvent,
  transactionStatusResultToEvent,
  type MpesaC2bConfirmation,
  type MpesaC2bConfirmationReply,
  type MpesaC2bValidationReply,
  type MpesaResult,
  type MpesaStkCallback,
} from './transformers';
import type { MpesaCallbackUrls } from './types';

/** Daraja callbacks are a few kilobytes; anything far larger is not one and is refused before parsing. */
export const MAX_CALLBACK_BYTES = 64 * 1024;

/** Values of the `kind` query parameter in the URLs from {@link buildMpesaCallbackUrls}. */
export const CALLBACK_KIND = Object.freeze({ validation: 'validation', stk: 'stk', result: 'result' });

/**
 * Daraja refuses callback URLs containing these words (Daraja register-URL docs, rails.md 1.2); matched
 * case-insensitively anywhere in the URL.
 */
const FORBIDDEN_URL_WORDS = ['m-pesa', 'mpesa', 'safaricom', 'exec', 'cmd', 'sql', 'query'] as const;

/**
 * The callback URLs of one M-Pesa payment source, all on `/hooks/:sourceId/:token`.
 * @throws ConnectorError REQUEST_ENCODING_FAILED when a URL would contain a word Daraja refuses (then generate a new
 *   token; the message names the word, never the token).
 * @example buildMpesaCallbackUrls('https://lipa.example.com', 'psrc_01J...', token).stkCallbackUrl
 *   // "https://lipa.example.com/hooks/psrc_01J.../<token>?kind=stk"
 */
export function buildMpesaCallbackUrls(
  publicBase: string,
  sourceId: string,
  token: string,
): MpesaCallbackUrls {
  if (token.length === 0)
    throw new ConnectorError(MPESA, 'REQUEST_ENCODING_FAILED', 'The callback token is empty');
  const root = `${publicBase.replace(/\/+$/, '')}/hooks/${encodeURIComponent(sourceId)}/${encodeURIComponent(token)}`;
  const lower = root.toLowerCase();
  for (const word of FORBIDDEN_URL_WORDS) {
    if (lower.includes(word)) {
      const where = publicBase.toLowerCase().includes(word)
        ? 'the public URL'
        : token.toLowerCase().includes(word)
          ? 'the callback token'
          : 'the source id';
      throw new ConnectorError(
        MPESA,
        'REQUEST_ENCODING_FAILED',
        `Daraja refuses callback URLs containing "${word}" (found in ${where})`,
      );
    }
  }
  return {
    confirmationUrl: root,
    validationUrl: `${root}?kind=${CALLBACK_KIND.validation}`,
    stkCallbackUrl: `${root}?kind=${CALLBACK_KIND.stk}`,
    resultUrl: `${root}?kind=${CALLBACK_KIND.result}`,
  };
}

/**
 * `url` with `kind=result`, the flow marker {@link buildMpesaCallbackUrls} puts on `resultUrl`. Services may hand
 * over the bare `/hooks/:sourceId/:token` URL; without the marker a Result would still parse (its body tells it
 * apart), but with `kind=validation` it would be read as a C2B body, so the marker is set rather than trusted.
 * A URL already carrying `kind=result` is returned unchanged, byte for byte.
 * @throws ConnectorError REQUEST_ENCODING_FAILED when `url` is not an absolute http(s) URL.
 */
export function withResultKind(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConnectorError(MPESA, 'REQUEST_ENCODING_FAILED', 'The M-Pesa result URL is not a valid URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new ConnectorError(MPESA, 'REQUEST_ENCODING_FAILED', 'The M-Pesa result URL must be http(s)');
  const kinds = parsed.searchParams.getAll('kind');
  if (kinds.length === 1 && kinds[0] === CALLBACK_KIND.result) return url;
  parsed.searchParams.set('kind', CALLBACK_KIND.result);
  return parsed.toString();
}

/**
 * Constant-time comparison of the URL token with the source's token. Both are hashed first so the buffers given to
 * `timingSafeEqual` always have equal length and the comparison time says nothing about the expected token's length.
 * Missing or empty tokens never match.
 */
export function callbackTokenMatches(given: string | null | undefined, expected: string): boolean {
  if (
    typeof given !== 'string' ||
    given.length === 0 ||
    typeof expected !== 'string' ||
    expected.length === 0
  )
    return false;
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** A callback body, classified. */
export type DecodedMpesaCallback =
  | { kind: 'c2b.confirmation'; body: MpesaC2bConfirmation }
  | { kind: 'c2b.validation'; body: MpesaC2bConfirmation }
  | { kind: 'stk.callback'; body: MpesaStkCallback }
  | { kind: 'reversal.result'; body: MpesaResult }
  | { kind: 'transaction_status.result'; body: MpesaResult };

/**
 * Parses and classifies a callback body (no authentication: call after {@link callbackTokenMatches}).
 * @throws ConnectorError RESPONSE_DECODING_FAILED (empty, too large, not a JSON object, ids missing),
 *   WEBHOOK_EVENT_UNKNOWN (a JSON object of no Daraja shape Lipa knows).
 */
export function decodeMpesaCallback(rawBody: Buffer, query: Record<string, string>): DecodedMpesaCallback {
  if (rawBody.length === 0)
    throw new ConnectorError(MPESA, 'RESPONSE_DECODING_FAILED', 'M-Pesa callback body is empty');
  if (rawBody.length > MAX_CALLBACK_BYTES)
    throw new ConnectorError(MPESA, 'RESPONSE_DECODING_FAILED', 'M-Pesa callback body is too large');
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new ConnectorError(MPESA, 'RESPONSE_DECODING_FAILED', 'M-Pesa callback body is not JSON');
  }
  const root = asRecord(json);
  if (!root)
    throw new ConnectorError(MPESA, 'RESPONSE_DECODING_FAILED', 'M-Pesa callback body is not a JSON object');

  // Validation and confirmation bodies have the same shape; only the URL Lipa registered tells them apart.
  if (own(query, 'kind') === CALLBACK_KIND.validation)
    return { kind: 'c2b.validation', body: decodeC2bConfirmation(root) };
  const stk = asRecord(own(asRecord(own(root, 'Body')), 'stkCallback'));
  if (stk) return { kind: 'stk.callback', body: decodeStkCallback(stk) };
  const result = asRecord(own(root, 'Result'));
  if (result) {
    const body = decodeResult(result);
    // Same envelope for both APIs and the same `?kind=result` URL: the keys present decide (see classifyResult).
    return {
      kind: classifyResult(body) === 'transaction_status' ? 'transaction_status.result' : 'reversal.result',
      body,
    };
  }
  if (own(root, 'TransID') !== undefined)
    return { kind: 'c2b.confirmation', body: decodeC2bConfirmation(root) };
  throw new ConnectorError(
    MPESA,
    'WEBHOOK_EVENT_UNKNOWN',
    'The M-Pesa callback is not a C2B, STK or Result body',
  );
}

function eventIdOf(decoded: DecodedMpesaCallback): string {
  switch (decoded.kind) {
    case 'c2b.confirmation':
      return mpesaEventId.c2bConfirmation(decoded.body.TransID);
    case 'c2b.validation':
      return mpesaEventId.c2bValidation(decoded.body.TransID);
    case 'stk.callback':
      return mpesaEventId.stk(decoded.body.CheckoutRequestID);
    case 'reversal.result':
    case 'transaction_status.result':
      return mpesaEventId.result(decoded.body.ConversationID);
  }
}

const CONFIRMATION_ACK: MpesaC2bConfirmationReply = { ResultCode: 0, ResultDesc: 'Success' };
// Lipa never rejects at validation: it matches (or raises a discrepancy) after the money has arrived.
const VALIDATION_ACK: MpesaC2bValidationReply = { ResultCode: '0', ResultDesc: 'Accepted' };
const RESULT_ACK = { ResultCode: 0, ResultDesc: 'Accepted' } as const;

function ackOf(decoded: DecodedMpesaCallback): VerifiedCallback['ack'] {
  switch (decoded.kind) {
    case 'c2b.confirmation':
      return { status: 200, body: CONFIRMATION_ACK };
    case 'c2b.validation':
      return { status: 200, body: VALIDATION_ACK };
    default:
      return { status: 200, body: RESULT_ACK };
  }
}

/**
 * Checks the URL token (constant time) and extracts the event id and the reply Daraja expects.
 * @throws ConnectorError WEBHOOK_SIGNATURE_INVALID (token missing or wrong; checked before parsing),
 *   RESPONSE_DECODING_FAILED, WEBHOOK_EVENT_UNKNOWN.
 */
export function verifyMpesaCallback(input: VerifyCallbackInput): VerifiedCallback {
  if (!callbackTokenMatches(input.pathToken, input.expectedToken)) {
    throw new ConnectorError(
      MPESA,
      'WEBHOOK_SIGNATURE_INVALID',
      'The M-Pesa callback URL token is missing or wrong',
    );
  }
  const decoded = decodeMpesaCallback(input.rawBody, input.query);
  return { events: [{ providerEventId: eventIdOf(decoded), eventType: decoded.kind }], ack: ackOf(decoded) };
}

/**
 * Parses a verified callback into rail events: C2B confirmation -> PAYMENT, C2B validation -> IGNORED, STK
 * callback -> PAYMENT (receipt on success), reversal Result -> REVERSAL, Transaction Status Result -> PAYMENT
 * (the answer to `queryTransactionStatus`; the two Results are told apart by their keys, see `classifyResult`).
 * @throws ConnectorError RESPONSE_DECODING_FAILED, WEBHOOK_EVENT_UNKNOWN
 */
export function parseMpesaCallback(input: { rawBody: Buffer; query: Record<string, string> }): RailEvent[] {
  const decoded = decodeMpesaCallback(input.rawBody, input.query);
  switch (decoded.kind) {
    case 'c2b.confirmation':
      return [c2bConfirmationToEvent(decoded.body)];
    case 'c2b.validation':
      return [c2bValidationToEvent(decoded.body)];
    case 'stk.callback':
      return [stkCallbackToEvent(decoded.body)];
    case 'reversal.result':
      return [reversalResultToEvent(decoded.body)];
    case 'transaction_status.result':
      return [transactionStatusResultToEvent(decoded.body)];
  }
}
