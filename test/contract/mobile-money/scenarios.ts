/**
 * The shared contract every mobile-money connector passes. Each connector's test file supplies a harness that
 * knows the rail's wire format (nock interceptors and callback bodies built from the documented payloads in
 * shared/reference/rails.md); the scenarios below are the same for every rail.
 */
import nock from 'nock';
import { ConnectorError } from '../../../src/connectors/errors';
import { TokenCache } from '../../../src/connectors/token-cache';
import type {
  ConnectorRuntime,
  MobileMoneyConnector,
  RailEvent,
  VerifyCallbackInput,
} from '../../../src/connectors/types';
import type { Money } from '../../../src/domain/money';
import { testRuntime } from '../../helpers/nock';

export interface CallbackFixture {
  rawBody: Buffer;
  headers: Record<string, string>;
  method: 'POST' | 'PUT';
  query: Record<string, string>;
}

export interface MobileMoneyHarness {
  /** Display name ("M-Pesa Daraja"). */
  name: string;
  /** The amount scenarios collect, e.g. money(50000n, 'UGX'). */
  amount: Money;
  /** How that amount must appear on the wire in the initiate request (e.g. "50000"). */
  wireAmount: string | number;
  /** Per-source secret token expected in the callback URL. */
  callbackToken: string;
  /** Builds the connector pointed at the nock host, using the runtime given. */
  build(runtime: ConnectorRuntime): MobileMoneyConnector;
  /** Intercepts exactly one token request answering a token valid for `expiresInSeconds`. */
  mockToken(expiresInSeconds?: number): nock.Scope;
  /**
   * Intercepts one initiate call that the rail accepts. `onBody` receives the parsed request body and
   * `onHeaders` the request headers, for assertions. Does not include the token call.
   */
  mockInitiateAccepted(hooks?: {
    onBody?: (body: unknown) => void;
    onHeaders?: (headers: Record<string, string | string[]>) => void;
  }): nock.Scope;
  /** Intercepts one initiate call that the rail refuses for a business reason (invalid number, limits). */
  mockInitiateDeclined(): nock.Scope;
  /**
   * Intercepts every attempt of an initiate call with a network timeout. With nock 14 pass a real Error:
   * `replyWithError(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }))` (a plain object is not raised).
   */
  mockInitiateTimeout(attempts: number): nock.Scope;
  /** Intercepts one initiate that fails with a 5xx, then one that is accepted; records idempotency keys sent. */
  mockInitiateServerErrorThenAccepted(onKey: (key: string | undefined) => void): nock.Scope;
  /** Intercepts one status query answering the given outcome ('UNKNOWN' = a status string the rail never documented). */
  mockStatus(outcome: 'SUCCEEDED' | 'FAILED' | 'PENDING' | 'UNKNOWN', providerRequestId: string): nock.Scope;
  /** A genuine success callback for `providerRequestId` (token in the URL for unsigned rails). */
  successCallback(providerRequestId: string): CallbackFixture;
  /** A genuine failure callback for `providerRequestId`. */
  failureCallback(providerRequestId: string): CallbackFixture;
  /** A callback for a transaction Lipa never initiated (e.g. payer-initiated or unknown reference). */
  unknownTransactionCallback(): CallbackFixture;
  /** The transaction id the success callback / SUCCEEDED status carries. */
  expectedTransactionId: string;
  /**
   * Transaction id a SUCCEEDED status query carries; null for rails whose query has none (Daraja's STK query has no
   * receipt). Default: expectedTransactionId.
   */
  statusTransactionId?: string | null;
  /** Intercepts one reversal/refund request the rail accepts. */
  mockReverseAccepted(hooks?: { onBody?: (body: unknown) => void }): nock.Scope;
}

function verifyInput(h: MobileMoneyHarness, cb: CallbackFixture, token: string | null): VerifyCallbackInput {
  return {
    rawBody: cb.rawBody,
    headers: cb.headers,
    method: cb.method,
    query: cb.query,
    pathToken: token,
    expectedToken: h.callbackToken,
  };
}

const collectInput = (h: MobileMoneyHarness) => ({
  reference: 'preq_01JCONTRACT000000000000001',
  idempotencyKey: '3f1c2b9e-0a4d-4c6e-9b8f-2d7e5a1c0b44',
  amount: h.amount,
  phoneNumber: '256772123456',
  accountReference: 'LN-2024-000187',
  description: 'Loan repayment',
  callbackUrl: `https://hub.example.com/hooks/psrc_1/${h.callbackToken}`,
});

export function runMobileMoneyContract(h: MobileMoneyHarness): void {
  describe(`${h.name}: mobile-money contract`, () => {
    let now = Date.UTC(2026, 10, 22, 9, 0, 0);
    let runtime: ConnectorRuntime;
    let connector: MobileMoneyConnector;

    beforeEach(() => {
      now = Date.UTC(2026, 10, 22, 9, 0, 0);
      runtime = testRuntime({ tokenCache: new TokenCache(60_000, () => now), now: () => new Date(now) });
      connector = h.build(runtime);
    });

    it('caches the access token across calls and refreshes it after expiry', async () => {
      const token1 = h.mockToken(3600);
      const first = h.mockInitiateAccepted();
      const second = h.mockInitiateAccepted();
      await connector.initiateCollection(collectInput(h));
      await connector.initiateCollection({
        ...collectInput(h),
        idempotencyKey: '9b2d7c1e-1111-4c6e-9b8f-2d7e5a1c0b45',
      });
      token1.done();
      first.done();
      second.done();
      now += 3600 * 1000;
      const token2 = h.mockToken(3600);
      const third = h.mockInitiateAccepted();
      await connector.initiateCollection({
        ...collectInput(h),
        idempotencyKey: '9b2d7c1e-2222-4c6e-9b8f-2d7e5a1c0b46',
      });
      token2.done();
      third.done();
    });

    it('initiates a collection with the amount in the rail unit and returns a pending request', async () => {
      h.mockToken();
      let seenBody: unknown;
      const scope = h.mockInitiateAccepted({ onBody: (b) => (seenBody = b) });
      const out = await connector.initiateCollection(collectInput(h));
      scope.done();
      expect(out.status).toBe('PENDING');
      expect(out.providerRequestId).toEqual(expect.any(String));
      expect(out.providerRequestId.length).toBeGreaterThan(0);
      expect(JSON.stringify(seenBody)).toContain(JSON.stringify(h.wireAmount));
    });

    it('reports a business refusal as DECLINED without retrying', async () => {
      h.mockToken();
      const scope = h.mockInitiateDeclined();
      const err = await connector.initiateCollection(collectInput(h)).then(
        () => undefined,
        (e: unknown) => e,
      );
      scope.done();
      expect(err).toBeInstanceOf(ConnectorError);
      expect((err as ConnectorError).code).toBe('DECLINED');
      expect((err as ConnectorError).retryable).toBe(false);
    });

    it('turns a timeout on initiate into OUTCOME_UNKNOWN, and the status query then tells the outcome', async () => {
      h.mockToken();
      const scope = h.mockInitiateTimeout(3);
      const err = await connector.initiateCollection(collectInput(h)).then(
        () => undefined,
        (e: unknown) => e,
      );
      scope.done();
      expect(err).toBeInstanceOf(ConnectorError);
      expect((err as ConnectorError).code).toBe('OUTCOME_UNKNOWN');
      const status = h.mockStatus('SUCCEEDED', 'req-after-timeout');
      const result = await connector.getCollectionStatus({
        providerRequestId: 'req-after-timeout',
        reference: collectInput(h).reference,
      });
      status.done();
      expect(result.status).toBe('SUCCEEDED');
    });

    it('retries a 5xx on initiate with the same idempotency key', async () => {
      h.mockToken();
      const keys: Array<string | undefined> = [];
      const scope = h.mockInitiateServerErrorThenAccepted((k) => keys.push(k));
      const out = await connector.initiateCollection(collectInput(h));
      scope.done();
      expect(out.status).toBe('PENDING');
      expect(keys).toHaveLength(2);
      expect(keys[0]).toBe(keys[1]);
    });

    it.each(['SUCCEEDED', 'FAILED', 'PENDING'] as const)('maps a %s status query', async (outcome) => {
      h.mockToken();
      const scope = h.mockStatus(outcome, 'req-1');
      const result = await connector.getCollectionStatus({ providerRequestId: 'req-1', reference: 'preq_x' });
      scope.done();
      expect(result.status).toBe(outcome);
      if (outcome === 'SUCCEEDED')
        expect(result.providerTransactionId).toBe(
          h.statusTransactionId === undefined ? h.expectedTransactionId : h.statusTransactionId,
        );
      if (outcome === 'FAILED') expect(result.failureCode).toEqual(expect.any(String));
    });

    it('maps a status the rail never documented to PENDING (unknown means pending)', async () => {
      h.mockToken();
      const scope = h.mockStatus('UNKNOWN', 'req-2');
      const result = await connector.getCollectionStatus({ providerRequestId: 'req-2', reference: 'preq_x' });
      scope.done();
      expect(result.status).toBe('PENDING');
    });

    it('accepts a genuine success callback and parses it into a payment event with exact money', () => {
      const cb = h.successCallback('req-3');
      const verified = connector.verifyCallback(verifyInput(h, cb, h.callbackToken));
      expect(verified.events.length).toBeGreaterThan(0);
      expect(verified.ack.status).toBeGreaterThanOrEqual(200);
      expect(verified.ack.status).toBeLessThan(300);
      const events = connector.parseCallback({ rawBody: cb.rawBody, headers: cb.headers, query: cb.query });
      const payment = events.find((e): e is Extract<RailEvent, { kind: 'PAYMENT' }> => e.kind === 'PAYMENT');
      expect(payment).toBeDefined();
      // Unsigned rails (MTN, Airtel) mark the event for confirmation by status query; it must not be FAILED.
      expect(payment!.status).not.toBe('FAILED');
      if (!payment!.needsConfirmation) {
        expect(payment!.status).toBe('SUCCEEDED');
        expect(payment!.providerTransactionId).toBe(h.expectedTransactionId);
      }
      if (payment!.amount) {
        expect(payment!.amount.currency).toBe(h.amount.currency);
        expect(payment!.amount.amountMinor).toBe(h.amount.amountMinor);
      }
      expect(payment!.providerEventId).toBe(verified.events[0].providerEventId);
    });

    it('parses a failure callback into a FAILED (or to-be-confirmed) payment event', () => {
      const cb = h.failureCallback('req-4');
      connector.verifyCallback(verifyInput(h, cb, h.callbackToken));
      const events = connector.parseCallback({ rawBody: cb.rawBody, headers: cb.headers, query: cb.query });
      const payment = events.find((e) => e.kind === 'PAYMENT') as Extract<RailEvent, { kind: 'PAYMENT' }>;
      expect(payment).toBeDefined();
      expect(payment.status === 'FAILED' || payment.needsConfirmation).toBe(true);
    });

    it('gives duplicate callbacks the same provider event id (so ingest stores them once)', () => {
      const a = connector.verifyCallback(verifyInput(h, h.successCallback('req-5'), h.callbackToken));
      const b = connector.verifyCallback(verifyInput(h, h.successCallback('req-5'), h.callbackToken));
      expect(a.events.map((e) => e.providerEventId)).toEqual(b.events.map((e) => e.providerEventId));
    });

    it('rejects a callback with a wrong or missing token', () => {
      const cb = h.successCallback('req-6');
      for (const token of ['wrong-token', null, '', h.callbackToken.slice(0, -1)]) {
        expect(() => connector.verifyCallback(verifyInput(h, cb, token))).toThrow(
          expect.objectContaining({ code: 'WEBHOOK_SIGNATURE_INVALID' }),
        );
      }
    });

    it('rejects a malformed callback body with a ConnectorError, not a crash', () => {
      const cb = h.successCallback('req-7');
      for (const body of ['', '{', 'null', '[]', '<html>oops</html>', '{"unexpected":true}']) {
        const bad = { ...cb, rawBody: Buffer.from(body) };
        let error: unknown;
        try {
          const v = connector.verifyCallback(verifyInput(h, bad, h.callbackToken));
          connector.parseCallback({ rawBody: bad.rawBody, headers: bad.headers, query: bad.query });
          // Some rails acknowledge unknown shapes and ignore them; then there must be no payment event.
          expect(v.events.every((e) => typeof e.providerEventId === 'string')).toBe(true);
        } catch (e) {
          error = e;
        }
        if (error !== undefined) expect(error).toBeInstanceOf(ConnectorError);
      }
    });

    it('parses a callback for a transaction Lipa never initiated (the service decides what it means)', () => {
      const cb = h.unknownTransactionCallback();
      connector.verifyCallback(verifyInput(h, cb, h.callbackToken));
      const events = connector.parseCallback({ rawBody: cb.rawBody, headers: cb.headers, query: cb.query });
      expect(events.length).toBeGreaterThan(0);
      expect(events[0].providerEventId).toEqual(expect.any(String));
    });

    it('requests a reversal and reports it pending until the rail confirms', async () => {
      h.mockToken();
      let seenBody: unknown;
      const scope = h.mockReverseAccepted({ onBody: (b) => (seenBody = b) });
      const out = await connector.reverseCollection({
        providerTransactionId: h.expectedTransactionId,
        providerRequestId: '3f1c2b9e-0a4d-4c6e-9b8f-2d7e5a1c0b44',
        amount: h.amount,
        reference: 'rev_01JCONTRACT0000000000001',
        idempotencyKey: '7d2c9a1e-0a4d-4c6e-9b8f-2d7e5a1c0b47',
        reason: 'Duplicate payment',
        resultUrl: `https://hub.example.com/hooks/psrc_1/${h.callbackToken}`,
      });
      scope.done();
      expect(out.status).toBe('PENDING');
      expect(out.providerReversalId).toEqual(expect.any(String));
      expect(seenBody).toBeDefined();
    });
  });
}
