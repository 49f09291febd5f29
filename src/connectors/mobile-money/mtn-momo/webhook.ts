/**
 * MTN MoMo callbacks. MTN signs nothing ("No signature header is documented", rails.md 2.5;
 * https://momodeveloper.mtn.com/api-documentation/callback), so:
 * - authenticity rests on the per-source secret token in the callback URL, compared in constant time;
 * - the request it answers is named by the `ref` query parameter Lipa appended to `X-Callback-Url`, because the
 *   body (a copy of the status answer) does not carry the `X-Reference-Id`;
 * - every event is `needsConfirmation: true`: the service trusts only `GET /collection/v1_0/requesttopay/{ref}`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ConnectorError } from '../../errors';
import type { RailEvent, VerifiedCallback, VerifyCallbackInput } from '../../types';
import {
  isMtnMomoReferenceToken,
  mapMtnMomoStatus,
  parseMtnMomoJsonObject,
  readMtnMomoAmountLeniently,
  readMtnMomoCallbackFields,
  readMtnMomoReason,
} from './transformers';
import { MTN_MOMO_CONNECTOR_ID as ID } from './types';

/** MTN only needs a 2xx; the body is not read. */
export const MTN_MOMO_CALLBACK_ACK = Object.freeze({ status: 200, body: Object.freeze({}) });

/**
 * Constant-time comparison of the URL token with the source's secret. Both sides are hashed to 32 bytes first, so
 * `timingSafeEqual` always compares equal lengths and the time taken reveals neither content nor length.
 * An empty expected token never matches (a source without a secret must not accept callbacks).
 */
export function mtnMomoCallbackTokenMatches(presented: string | null, expected: string): boolean {
  if (typeof presented !== 'string' || presented.length === 0 || expected.length === 0) return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

interface ReadCallback {
  /** The X-Reference-Id the callback answers, or null when neither the URL nor the body names it. */
  referenceId: string | null;
  fields: ReturnType<typeof readMtnMomoCallbackFields>;
  body: Record<string, unknown>;
}

/**
 * The reference comes from `?ref=` (Lipa's own URL). As a fallback the body's `referenceId` is used: some MoMo
 * deployments are reported to echo it (obs., not in MTN's docs). A `ref` that is present but malformed is an
 * error rather than a silent fallback, since Lipa wrote it.
 */
function readCallback(rawBody: Buffer, query: Record<string, string>): ReadCallback {
  const body = parseMtnMomoJsonObject(rawBody, 'MTN MoMo callback');
  const fields = readMtnMomoCallbackFields(body);
  const queryRef = Object.prototype.hasOwnProperty.call(query, 'ref') ? query.ref : undefined;
  if (queryRef !== undefined && (typeof queryRef !== 'string' || !isMtnMomoReferenceToken(queryRef))) {
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', 'MTN MoMo callback URL has a malformed ref');
  }
  return { referenceId: queryRef ?? fields.referenceId, fields, body };
}

/** A stable id for a callback that names no request: duplicates of the same bytes share it. */
function unreferencedEventId(rawBody: Buffer): string {
  return `rtp:noref:${createHash('sha256').update(rawBody).digest('hex').slice(0, 32)}`;
}

/**
 * Checks the URL token (constant time), then reads just enough of the body to name the event:
 * `rtp:<X-Reference-Id>:<status>`, so a repeated callback (MTN may retry, by PUT or POST) is stored once while a
 * later different status for the same request is a new event.
 * @throws ConnectorError WEBHOOK_SIGNATURE_INVALID (token missing or wrong), RESPONSE_DECODING_FAILED (body unreadable).
 */
export function verifyMtnMomoCallback(input: VerifyCallbackInput): VerifiedCallback {
  if (!mtnMomoCallbackTokenMatches(input.pathToken, input.expectedToken)) {
    throw new ConnectorError(ID, 'WEBHOOK_SIGNATURE_INVALID', 'MTN MoMo callback token is missing or wrong');
  }
  const { referenceId, fields } = readCallback(input.rawBody, input.query);
  if (referenceId === null) {
    return {
      events: [
        { providerEventId: unreferencedEventId(input.rawBody), eventType: 'requesttopay.unreferenced' },
      ],
      ack: MTN_MOMO_CALLBACK_ACK,
    };
  }
  return {
    events: [{ providerEventId: `rtp:${referenceId}:${fields.status}`, eventType: 'requesttopay' }],
    ack: MTN_MOMO_CALLBACK_ACK,
  };
}

/**
 * Turns a verified callback into one PAYMENT event that the service must confirm by status query
 * (`needsConfirmation: true` always). A callback naming no request becomes IGNORED (kept for audit; the status poll
 * that runs when no callback arrives settles the request).
 * @throws ConnectorError RESPONSE_DECODING_FAILED when the body is not a readable MTN callback.
 */
export function parseMtnMomoCallback(input: { rawBody: Buffer; query: Record<string, string> }): RailEvent[] {
  const { referenceId, fields, body } = readCallback(input.rawBody, input.query);
  if (referenceId === null) {
    return [
      {
        kind: 'IGNORED',
        providerEventId: unreferencedEventId(input.rawBody),
        reason:
          'MTN MoMo callback names no X-Reference-Id (no ref in the URL or body); the status poll settles the request',
      },
    ];
  }
  const status = mapMtnMomoStatus(fields.status);
  const reason = status === 'FAILED' ? readMtnMomoReason(fields.reason) : { code: null, message: null };
  return [
    {
      kind: 'PAYMENT',
      providerEventId: `rtp:${referenceId}:${fields.status}`,
      providerRequestId: referenceId,
      // Only a SUCCESSFUL callback carries financialTransactionId; anything else has none yet.
      providerTransactionId: status === 'SUCCEEDED' ? fields.financialTransactionId : null,
      status,
      amount: readMtnMomoAmountLeniently(body),
      // payeeNote is what Lipa sent as the account reference (truncated and cleaned for MTN).
      accountReference: fields.payeeNote ? fields.payeeNote.trim().toUpperCase() : null,
      payerReference: fields.payerPartyId,
      occurredAt: null,
      failureCode: status === 'FAILED' ? (reason.code ?? 'FAILED') : null,
      failureMessage: reason.message,
      needsConfirmation: true,
    },
  ];
}
