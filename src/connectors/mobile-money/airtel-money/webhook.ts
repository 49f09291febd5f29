/**
 * Airtel Money callbacks: `{"transaction":{"id","message","status_code","airtel_money_id"}}` POSTed to the URL
 * configured on the Airtel app, plus a top-level `hash` when "Callback Authentication" is enabled (rails.md 3.4).
 *
 * Authority: the per-source secret token in the callback URL, compared in constant time. The `hash` is base64
 * HMAC-SHA256 with the app's callback key, but *which bytes are signed is not publicly specified* and clients
 * disagree, so a hash can neither accept nor reject a callback. When a key is configured, the connector checks one
 * reading (the body without `hash`, re-serialised in received key order) and logs whether it matched, so operators
 * can learn from production which reading Airtel uses before anyone relies on it.
 *
 * Every event is `needsConfirmation: true`: the callback has no amount and is unsigned in any verifiable sense, so
 * the service confirms with `GET /standard/v1/payments/{id}` before trusting it.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ConnectorError } from '../../errors';
import type { Logger } from '../../../logger';
import type { RailEvent, VerifiedCallback, VerifyCallbackInput } from '../../types';
import {
  mapAirtelMoneyTransactionStatus,
  parseAirtelMoneyJsonObject,
  readAirtelMoneyCallback,
} from './transformers';
import { AIRTEL_MONEY_CONNECTOR_ID as ID } from './types';

/** Airtel needs a 2xx; the body is not read. */
export const AIRTEL_MONEY_CALLBACK_ACK = Object.freeze({ status: 200, body: Object.freeze({}) });

function digest(value: string | Buffer): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Constant-time comparison of the URL token with the source's secret. Both sides are hashed to 32 bytes first, so
 * `timingSafeEqual` always compares equal lengths and timing reveals neither content nor length. An empty expected
 * token never matches.
 */
export function airtelMoneyCallbackTokenMatches(presented: string | null, expected: string): boolean {
  if (typeof presented !== 'string' || presented.length === 0 || expected.length === 0) return false;
  return timingSafeEqual(digest(Buffer.from(presented, 'utf8')), digest(Buffer.from(expected, 'utf8')));
}

/** Outcome of the informational `hash` check. */
export type AirtelMoneyHashCheck = 'no-hash' | 'no-key' | 'matched' | 'unmatched';

/**
 * Checks the callback `hash` against ONE reading of what Airtel signs: HMAC-SHA256 (base64) of the JSON body
 * without the `hash` member, re-serialised with `JSON.stringify` in received key order. Informational only.
 */
export function checkAirtelMoneyCallbackHash(
  body: Record<string, unknown>,
  hash: string | null,
  key: string | undefined,
): AirtelMoneyHashCheck {
  if (hash === null) return 'no-hash';
  if (!key) return 'no-key';
  const { hash: _signature, ...unsigned } = body;
  const expected = createHmac('sha256', key).update(JSON.stringify(unsigned), 'utf8').digest('base64');
  return timingSafeEqual(digest(expected), digest(hash)) ? 'matched' : 'unmatched';
}

export interface AirtelMoneyCallbackOptions {
  /** The app's callback key, when Callback Authentication is enabled. */
  callbackHashKey?: string;
  /** Where the informational hash result is recorded (no personal data is logged). */
  logger?: Logger;
}

/**
 * Checks the URL token (constant time), then reads the transaction id and status code for the event id
 * `airtel:<transaction.id>:<status_code>`, so a repeated callback is stored once.
 * @throws ConnectorError WEBHOOK_SIGNATURE_INVALID (token missing or wrong), RESPONSE_DECODING_FAILED (unreadable body).
 */
export function verifyAirtelMoneyCallback(
  input: VerifyCallbackInput,
  options: AirtelMoneyCallbackOptions = {},
): VerifiedCallback {
  if (!airtelMoneyCallbackTokenMatches(input.pathToken, input.expectedToken)) {
    throw new ConnectorError(ID, 'WEBHOOK_SIGNATURE_INVALID', 'Airtel callback token is missing or wrong');
  }
  const body = parseAirtelMoneyJsonObject(input.rawBody, 'Airtel callback');
  const fields = readAirtelMoneyCallback(body);
  const hashCheck = checkAirtelMoneyCallbackHash(body, fields.hash, options.callbackHashKey);
  if (hashCheck !== 'no-hash') {
    options.logger?.info(
      { connector: ID, hashCheck, statusCode: fields.statusCode },
      'Airtel callback hash checked (informational; the URL token is the authority)',
    );
  }
  return {
    events: [{ providerEventId: `airtel:${fields.id}:${fields.statusCode}`, eventType: 'payment' }],
    ack: AIRTEL_MONEY_CALLBACK_ACK,
  };
}

/**
 * Turns a verified callback into one PAYMENT event to be confirmed by enquiry. `message` is not copied: it is free
 * text that may name the merchant or payer ("Paid UGX 50,000 to ACME LENDING ...").
 * @throws ConnectorError RESPONSE_DECODING_FAILED
 */
export function parseAirtelMoneyCallback(input: { rawBody: Buffer }): RailEvent[] {
  const fields = readAirtelMoneyCallback(parseAirtelMoneyJsonObject(input.rawBody, 'Airtel callback'));
  const status = mapAirtelMoneyTransactionStatus(fields.statusCode);
  return [
    {
      kind: 'PAYMENT',
      providerEventId: `airtel:${fields.id}:${fields.statusCode}`,
      providerRequestId: fields.id,
      providerTransactionId: fields.airtelMoneyId,
      status,
      // No amount in the callback (obs.): the service takes it from its own request record.
      amount: null,
      accountReference: null,
      payerReference: null,
      occurredAt: null,
      failureCode: status === 'FAILED' ? fields.statusCode : null,
      failureMessage: status === 'FAILED' ? 'Airtel reported the transaction failed' : null,
      needsConfirmation: true,
    },
  ];
}
