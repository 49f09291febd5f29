import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as nodeCrypto from 'node:crypto';
import nock from 'nock';
import { ConnectorError } from '../../../src/connectors/errors';
import {
  MTN_MOMO_DEFAULT_BASE_URL,
  mtnMomoCallbackTokenMatches,
  mtnMomoDefinition,
  type MtnMomoCredentials,
} from '../../../src/connectors/mobile-money/mtn-momo';
import type {
  ConnectorRuntime,
  InitiateCollectionInput,
  MobileMoneyConnector,
  RailEvent,
  VerifyCallbackInput,
} from '../../../src/connectors/types';
import { money } from '../../../src/domain/money';
import { testRuntime } from '../../helpers/nock';
import { runMobileMoneyContract, type CallbackFixture, type MobileMoneyHarness } from './scenarios';

// Wraps timingSafeEqual (module exports cannot be redefined by jest.spyOn) to prove how tokens are compared.
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});

/** A network timeout as nock 14 must raise it (a plain object is not emitted and the call waits for its timeout). */
const timeoutError = () => Object.assign(new Error('socket timeout'), { code: 'ETIMEDOUT' });

const BASE = 'https://proxy.momoapi.mtn.com';
const CALLBACK_TOKEN = 'cbtok_7Qm2xV9rLk4pZs1aHc8dNe3f';

const COLLECTION = {
  apiUser: 'b7e4c1a2-5d3f-4e8a-9c1b-2f6d8e0a4c11',
  apiKey: 'f1e2d3c4b5a6978812345678abcdef01',
  subscriptionKey: 'collection-subscription-key-0001',
};
const DISBURSEMENT = {
  apiUser: 'c8f5d2b3-6e4a-4f9b-8d2c-3a7e9f1b5d22',
  apiKey: 'a9b8c7d6e5f4031211223344556677ff',
  subscriptionKey: 'disbursement-subscription-key-0002',
};
const CREDENTIALS: MtnMomoCredentials = {
  ...COLLECTION,
  targetEnvironment: 'mtnuganda',
  disbursement: DISBURSEMENT,
};

const basic = (c: { apiUser: string; apiKey: string }) =>
  `Basic ${Buffer.from(`${c.apiUser}:${c.apiKey}`).toString('base64')}`;
const fixtureText = (name: string) => readFileSync(join(__dirname, '../../fixtures/mtn-momo', name), 'utf8');
const fixture = (name: string) => JSON.parse(fixtureText(name)) as Record<string, unknown>;

const COLLECTION_TOKEN = fixture('token.json').access_token as string;
const DISBURSEMENT_TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSMjU2In0.disbursement.c2ln';

function mockCollectionToken(expiresIn: number | string = 3600): nock.Scope {
  return nock(BASE)
    .post('/collection/token/')
    .matchHeader('authorization', basic(COLLECTION))
    .matchHeader('ocp-apim-subscription-key', COLLECTION.subscriptionKey)
    .reply(200, { ...fixture('token.json'), expires_in: expiresIn });
}

function mockDisbursementToken(): nock.Scope {
  return nock(BASE)
    .post('/disbursement/token/')
    .matchHeader('authorization', basic(DISBURSEMENT))
    .matchHeader('ocp-apim-subscription-key', DISBURSEMENT.subscriptionKey)
    .reply(200, { access_token: DISBURSEMENT_TOKEN, token_type: 'access_token', expires_in: 3600 });
}

/** The request-to-pay interceptor with the headers every call must carry. */
function requestToPay(onBody?: (body: unknown) => void): nock.Interceptor {
  return nock(BASE)
    .post('/collection/v1_0/requesttopay', (body) => {
      onBody?.(body);
      return true;
    })
    .matchHeader('authorization', `Bearer ${COLLECTION_TOKEN}`)
    .matchHeader('ocp-apim-subscription-key', COLLECTION.subscriptionKey)
    .matchHeader('x-target-environment', 'mtnuganda');
}

const callback = (name: string, ref: string | null, method: 'PUT' | 'POST' = 'PUT'): CallbackFixture => ({
  rawBody: Buffer.from(fixtureText(name).trim()),
  headers: { 'content-type': 'application/json' },
  method,
  query: ref === null ? {} : { ref },
});

const STATUS_FIXTURES = {
  SUCCEEDED: 'requesttopay-status-successful.json',
  FAILED: 'requesttopay-status-failed.json',
  PENDING: 'requesttopay-status-pending.json',
  UNKNOWN: 'requesttopay-status-undocumented.json',
} as const;

const harness: MobileMoneyHarness = {
  name: 'MTN MoMo Collections',
  amount: money(50000n, 'UGX'),
  wireAmount: '50000',
  callbackToken: CALLBACK_TOKEN,
  build: (runtime) => mtnMomoDefinition.create({ baseUrl: BASE, credentials: CREDENTIALS }, runtime),
  mockToken: (expiresInSeconds = 3600) => mockCollectionToken(expiresInSeconds),
  mockInitiateAccepted: (hooks) =>
    requestToPay(hooks?.onBody).reply(function () {
      hooks?.onHeaders?.(this.req.headers);
      return [202, ''];
    }),
  mockInitiateDeclined: () => requestToPay().reply(500, fixture('error-not-allowed.json')),
  mockInitiateTimeout: (attempts) => requestToPay().times(attempts).replyWithError(timeoutError()),
  mockInitiateServerErrorThenAccepted: (onKey) =>
    requestToPay()
      .reply(function () {
        onKey(this.req.headers['x-reference-id'] as string | undefined);
        return [503, fixture('error-service-unavailable.json')];
      })
      .post('/collection/v1_0/requesttopay')
      .reply(function () {
        onKey(this.req.headers['x-reference-id'] as string | undefined);
        return [202, ''];
      }),
  mockStatus: (outcome, providerRequestId) =>
    nock(BASE)
      .get(`/collection/v1_0/requesttopay/${providerRequestId}`)
      .matchHeader('authorization', `Bearer ${COLLECTION_TOKEN}`)
      .matchHeader('x-target-environment', 'mtnuganda')
      .reply(200, fixture(STATUS_FIXTURES[outcome])),
  successCallback: (ref) => callback('callback-successful.json', ref, 'PUT'),
  failureCallback: (ref) => callback('callback-failed.json', ref, 'POST'),
  unknownTransactionCallback: () =>
    callback('callback-successful.json', '0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a', 'PUT'),
  expectedTransactionId: '1232581108',
  mockReverseAccepted: (hooks) => {
    mockDisbursementToken();
    return nock(BASE)
      .post('/disbursement/v1_0/refund', (body) => {
        hooks?.onBody?.(body);
        return true;
      })
      .matchHeader('authorization', `Bearer ${DISBURSEMENT_TOKEN}`)
      .matchHeader('ocp-apim-subscription-key', DISBURSEMENT.subscriptionKey)
      .matchHeader('x-target-environment', 'mtnuganda')
      .reply(202, '');
  },
};

runMobileMoneyContract(harness);

// nock 14 patches http once per process through @mswjs/interceptors; a later test file in the same jest worker
// gets a fresh nock whose interceptors are never consulted unless this file's copy is restored when it ends.
// (Belongs in test/helpers/setup-after-env.ts; kept here until it is there.)
afterAll(() => nock.restore());

// ---------------------------------------------------------------------------------------------------------------
// MTN-specific behaviour
// ---------------------------------------------------------------------------------------------------------------

const KEY = '3f1c2b9e-0a4d-4c6e-9b8f-2d7e5a1c0b44';
const collectInput = (overrides: Partial<InitiateCollectionInput> = {}): InitiateCollectionInput => ({
  reference: 'preq_01JMTN0000000000000000001',
  idempotencyKey: KEY,
  amount: money(50000n, 'UGX'),
  phoneNumber: '256772123456',
  accountReference: 'LN-2024-000187',
  description: 'Loan repayment',
  callbackUrl: `https://hub.example.com/hooks/psrc_1/${CALLBACK_TOKEN}`,
  ...overrides,
});

const verifyInput = (cb: CallbackFixture, token: string | null = CALLBACK_TOKEN): VerifyCallbackInput => ({
  rawBody: cb.rawBody,
  headers: cb.headers,
  method: cb.method,
  query: cb.query,
  pathToken: token,
  expectedToken: CALLBACK_TOKEN,
});

async function caught(promise: Promise<unknown>): Promise<ConnectorError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectorError);
  return err as ConnectorError;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('MTN MoMo connector specifics', () => {
  let runtime: ConnectorRuntime;
  let connector: MobileMoneyConnector;

  beforeEach(() => {
    runtime = testRuntime();
    connector = mtnMomoDefinition.create({ baseUrl: BASE, credentials: CREDENTIALS }, runtime);
  });

  describe('definition and credentials', () => {
    it('is MTN_MOMO / mtn-momo and defaults to the sandbox host', async () => {
      expect(mtnMomoDefinition.kind).toBe('MTN_MOMO');
      expect(mtnMomoDefinition.id).toBe('mtn-momo');
      const sandbox = mtnMomoDefinition.create(
        { baseUrl: null, credentials: { ...CREDENTIALS, targetEnvironment: 'sandbox' } },
        runtime,
      );
      expect(sandbox.capabilities.currencies).toEqual(['EUR']);
      const token = nock(MTN_MOMO_DEFAULT_BASE_URL)
        .post('/collection/token/')
        .reply(200, fixture('token.json'));
      const status = nock(MTN_MOMO_DEFAULT_BASE_URL)
        .get(`/collection/v1_0/requesttopay/${KEY}`)
        .matchHeader('x-target-environment', 'sandbox')
        .reply(200, { ...fixture('requesttopay-status-pending.json'), currency: 'EUR', amount: '5.0' });
      const result = await sandbox.getCollectionStatus({ providerRequestId: KEY, reference: 'preq_x' });
      token.done();
      status.done();
      expect(result).toEqual({
        status: 'PENDING',
        providerTransactionId: null,
        amount: money(500n, 'EUR'),
        failureCode: null,
        failureMessage: null,
      });
    });

    it('accepts valid credentials with and without disbursement', () => {
      const { disbursement: _omitted, ...collectionOnly } = CREDENTIALS;
      expect(mtnMomoDefinition.parseCredentials(collectionOnly)).toEqual(collectionOnly);
      expect(mtnMomoDefinition.parseCredentials(CREDENTIALS)).toEqual(CREDENTIALS);
    });

    it('names every bad field without echoing secret values', () => {
      const err = thrown(() =>
        mtnMomoDefinition.parseCredentials({
          apiUser: 'not-a-uuid-secretish',
          apiKey: '',
          targetEnvironment: 'mtnmars',
          disbursement: { apiUser: DISBURSEMENT.apiUser, apiKey: 42, subscriptionKey: 'sub-key-value-zzz' },
        }),
      ) as ConnectorError;
      expect(err).toBeInstanceOf(ConnectorError);
      expect(err.code).toBe('AUTH_CONFIG_INVALID');
      for (const field of [
        'apiUser',
        'apiKey',
        'subscriptionKey',
        'targetEnvironment',
        'disbursement.apiKey',
      ])
        expect(err.message).toContain(field);
      for (const value of ['not-a-uuid-secretish', 'mtnmars', 'sub-key-value-zzz', '42'])
        expect(err.message).not.toContain(value);
      expect((thrown(() => mtnMomoDefinition.parseCredentials(null)) as ConnectorError).code).toBe(
        'AUTH_CONFIG_INVALID',
      );
    });
  });

  describe('request-to-pay', () => {
    it('sends the documented request: X-Reference-Id, target environment, callback URL with ref, string amount', async () => {
      mockCollectionToken();
      let headers: Record<string, string | string[]> = {};
      let body: unknown;
      const scope = requestToPay((b) => (body = b)).reply(function () {
        headers = this.req.headers;
        return [202, ''];
      });
      const out = await connector.initiateCollection(collectInput({ reference: 'LN-2024-000187-04' }));
      scope.done();
      expect(out).toEqual({ providerRequestId: KEY, status: 'PENDING' });
      expect(headers['x-reference-id']).toBe(KEY);
      expect(headers['x-callback-url']).toBe(
        `https://hub.example.com/hooks/psrc_1/${CALLBACK_TOKEN}?ref=${KEY}`,
      );
      expect(headers['idempotency-key']).toBeUndefined();
      expect(body).toEqual(fixture('requesttopay-request.json'));
    });

    it('keeps query parameters already in the callback URL when appending ref', async () => {
      mockCollectionToken();
      let header: unknown;
      const scope = requestToPay().reply(function () {
        header = this.req.headers['x-callback-url'];
        return [202, ''];
      });
      await connector.initiateCollection(
        collectInput({ callbackUrl: 'https://hub.example.com/hooks/psrc_1/tok?src=mtn' }),
      );
      scope.done();
      expect(header).toBe(`https://hub.example.com/hooks/psrc_1/tok?src=mtn&ref=${KEY}`);
    });

    it.each([
      'preq_01JMTN0000000000000000001',
      '3f1c2b9e-0a4d-1c6e-9b8f-2d7e5a1c0b44',
      '3f1c2b9e-0a4d-4c6e-7b8f-2d7e5a1c0b44',
      '',
    ])('rejects the non-UUIDv4 idempotency key %j before any call', async (key) => {
      const token = mockCollectionToken();
      const err = await caught(connector.initiateCollection(collectInput({ idempotencyKey: key })));
      expect(err.code).toBe('REQUEST_ENCODING_FAILED');
      expect(token.isDone()).toBe(false);
    });

    it('refuses a currency the target environment does not hold before any call', async () => {
      const token = mockCollectionToken();
      const err = await caught(connector.initiateCollection(collectInput({ amount: money(5000n, 'KES') })));
      expect(err.code).toBe('CURRENCY_UNSUPPORTED');
      expect(token.isDone()).toBe(false);
    });

    it('refuses a malformed phone number before any call', async () => {
      const token = mockCollectionToken();
      const err = await caught(connector.initiateCollection(collectInput({ phoneNumber: '07721-ABC' })));
      expect(err.code).toBe('REQUEST_ENCODING_FAILED');
      expect(token.isDone()).toBe(false);
    });

    it('treats 409 RESOURCE_ALREADY_EXIST on a retry as accepted (the earlier attempt landed)', async () => {
      mockCollectionToken();
      const keys: unknown[] = [];
      const scope = requestToPay()
        .reply(function () {
          keys.push(this.req.headers['x-reference-id']);
          return [503, fixture('error-service-unavailable.json')];
        })
        .post('/collection/v1_0/requesttopay')
        .reply(function () {
          keys.push(this.req.headers['x-reference-id']);
          return [409, fixture('error-resource-already-exist.json')];
        });
      const out = await connector.initiateCollection(collectInput());
      scope.done();
      expect(keys).toEqual([KEY, KEY]);
      expect(out).toEqual({ providerRequestId: KEY, status: 'PENDING' });
    });

    it('treats 409 RESOURCE_ALREADY_EXIST after a timeout as accepted', async () => {
      mockCollectionToken();
      const scope = requestToPay()
        .replyWithError(timeoutError())
        .post('/collection/v1_0/requesttopay')
        .reply(409, fixture('error-resource-already-exist.json'));
      await expect(connector.initiateCollection(collectInput())).resolves.toEqual({
        providerRequestId: KEY,
        status: 'PENDING',
      });
      scope.done();
    });

    it('does not treat a 409 without RESOURCE_ALREADY_EXIST as accepted', async () => {
      mockCollectionToken();
      const scope = requestToPay().reply(409, { code: 'SOMETHING_ELSE', message: 'conflict' });
      const err = await caught(connector.initiateCollection(collectInput()));
      scope.done();
      expect(err.code).toBe('DECLINED');
      expect(err.retryable).toBe(false);
    });

    it.each([
      ['error-invalid-currency.json', 500, 'CURRENCY_UNSUPPORTED', 'INVALID_CURRENCY'],
      ['error-not-allowed.json', 500, 'DECLINED', 'NOT_ALLOWED'],
      ['error-invalid-callback-url-host.json', 500, 'AUTH_CONFIG_INVALID', 'INVALID_CALLBACK_URL_HOST'],
      ['error-not-allowed.json', 400, 'DECLINED', 'NOT_ALLOWED'],
    ])('maps %s (HTTP %d) to %s without retrying', async (file, status, code, providerCode) => {
      mockCollectionToken();
      const scope = requestToPay().reply(status, fixture(file));
      const err = await caught(connector.initiateCollection(collectInput()));
      scope.done();
      expect(err.code).toBe(code);
      expect(err.providerCode).toBe(providerCode);
      expect(err.retryable).toBe(false);
    });

    it('retries 500 INTERNAL_PROCESSING_ERROR with the same X-Reference-Id, then reports PROVIDER_UNAVAILABLE', async () => {
      mockCollectionToken();
      const keys: unknown[] = [];
      const scope = requestToPay()
        .times(3)
        .reply(function () {
          keys.push(this.req.headers['x-reference-id']);
          return [500, fixture('error-internal-processing.json')];
        });
      const err = await caught(connector.initiateCollection(collectInput()));
      scope.done();
      expect(keys).toEqual([KEY, KEY, KEY]);
      expect(err.code).toBe('PROVIDER_UNAVAILABLE');
      expect(err.retryable).toBe(true);
    });

    it('refreshes the token once on a 401 and retries', async () => {
      mockCollectionToken();
      const first = requestToPay().reply(401, {
        statusCode: 401,
        message: 'Access denied due to invalid subscription key.',
      });
      mockCollectionToken();
      const second = requestToPay().reply(202, '');
      await expect(connector.initiateCollection(collectInput())).resolves.toMatchObject({
        status: 'PENDING',
      });
      first.done();
      second.done();
    });

    it('reports AUTH_CONFIG_INVALID when the token endpoint rejects the API user', async () => {
      const token = nock(BASE)
        .post('/collection/token/')
        .reply(401, { error: 'login_failed', error_description: 'Login failed' });
      const err = await caught(connector.initiateCollection(collectInput()));
      token.done();
      expect(err.code).toBe('AUTH_CONFIG_INVALID');
    });

    it('reads expires_in given as a string', async () => {
      mockCollectionToken('3600');
      const a = requestToPay().reply(202, '');
      const b = requestToPay().reply(202, '');
      await connector.initiateCollection(collectInput());
      await connector.initiateCollection(
        collectInput({ idempotencyKey: '9b2d7c1e-1111-4c6e-9b8f-2d7e5a1c0b45' }),
      );
      a.done();
      b.done();
    });
  });

  describe('status query', () => {
    const statusOf = (body: unknown, status = 200) => {
      mockCollectionToken();
      return nock(BASE)
        .get(`/collection/v1_0/requesttopay/${KEY}`)
        .reply(status, body as nock.Body);
    };

    it('reads a SUCCESSFUL answer with exact money and the financial transaction id', async () => {
      const scope = statusOf(fixture('requesttopay-status-successful.json'));
      const result = await connector.getCollectionStatus({ providerRequestId: KEY, reference: 'preq_x' });
      scope.done();
      expect(result).toEqual({
        status: 'SUCCEEDED',
        providerTransactionId: '1232581108',
        amount: money(50000n, 'UGX'),
        failureCode: null,
        failureMessage: null,
      });
    });

    it('reads reason as a string', async () => {
      const scope = statusOf(fixture('requesttopay-status-failed.json'));
      const result = await connector.getCollectionStatus({ providerRequestId: KEY, reference: 'preq_x' });
      scope.done();
      expect(result).toMatchObject({
        status: 'FAILED',
        providerTransactionId: null,
        failureCode: 'NOT_ENOUGH_FUNDS',
        amount: money(500n, 'UGX'),
      });
      expect(result.failureMessage).toEqual(expect.stringContaining('enough funds'));
    });

    it('reads reason as a {code, message} object (older sandbox builds)', async () => {
      const scope = statusOf(fixture('requesttopay-status-failed-reason-object.json'));
      const result = await connector.getCollectionStatus({ providerRequestId: KEY, reference: 'preq_x' });
      scope.done();
      expect(result).toMatchObject({ status: 'FAILED', failureCode: 'PAYER_NOT_FOUND' });
    });

    it('keeps an unlisted reason object message and gives FAILED without reason a code', async () => {
      let scope = statusOf({
        status: 'FAILED',
        reason: { code: 'BRAND_NEW_REASON', message: 'Something new' },
      });
      expect(await connector.getCollectionStatus({ providerRequestId: KEY, reference: 'x' })).toMatchObject({
        failureCode: 'BRAND_NEW_REASON',
        failureMessage: 'Something new',
      });
      scope.done();
      scope = nock(BASE).get(`/collection/v1_0/requesttopay/${KEY}`).reply(200, { status: 'FAILED' });
      expect(await connector.getCollectionStatus({ providerRequestId: KEY, reference: 'x' })).toMatchObject({
        status: 'FAILED',
        failureCode: 'FAILED',
      });
      scope.done();
    });

    it('ignores a financialTransactionId on a non-successful answer', async () => {
      const scope = statusOf({
        ...fixture('requesttopay-status-pending.json'),
        financialTransactionId: '999',
      });
      const result = await connector.getCollectionStatus({ providerRequestId: KEY, reference: 'x' });
      scope.done();
      expect(result.providerTransactionId).toBeNull();
    });

    it('reports 404 RESOURCE_NOT_FOUND as NOT_FOUND (the request-to-pay never produced a 202)', async () => {
      const scope = statusOf(fixture('error-resource-not-found.json'), 404);
      const err = await caught(connector.getCollectionStatus({ providerRequestId: KEY, reference: 'x' }));
      scope.done();
      expect(err.code).toBe('NOT_FOUND');
      expect(err.providerCode).toBe('RESOURCE_NOT_FOUND');
    });

    it.each([
      ['not json at all'],
      [[]],
      [{ amount: '50000' }],
      [{ status: 'SUCCESSFUL', amount: 50000.5, currency: 'UGX' }],
    ])('reports an unreadable answer %j as RESPONSE_DECODING_FAILED', async (body) => {
      const scope = statusOf(body);
      const err = await caught(connector.getCollectionStatus({ providerRequestId: KEY, reference: 'x' }));
      scope.done();
      expect(err.code).toBe('RESPONSE_DECODING_FAILED');
    });

    it('encodes the reference in the path', async () => {
      mockCollectionToken();
      const scope = nock(BASE)
        .get('/collection/v1_0/requesttopay/a%2Fb')
        .reply(200, fixture('requesttopay-status-pending.json'));
      await connector.getCollectionStatus({ providerRequestId: 'a/b', reference: 'x' });
      scope.done();
    });
  });

  describe('callbacks', () => {
    it('accepts the same callback by PUT and by POST with the same event id', () => {
      const put = connector.verifyCallback(verifyInput(callback('callback-successful.json', KEY, 'PUT')));
      const post = connector.verifyCallback(verifyInput(callback('callback-successful.json', KEY, 'POST')));
      expect(put).toEqual({
        events: [{ providerEventId: `rtp:${KEY}:SUCCESSFUL`, eventType: 'requesttopay' }],
        ack: { status: 200, body: {} },
      });
      expect(post).toEqual(put);
    });

    it('parses a success callback into a payment event that needs confirmation', () => {
      const cb = callback('callback-successful.json', KEY);
      const [event] = connector.parseCallback({ rawBody: cb.rawBody, headers: cb.headers, query: cb.query });
      expect(event).toEqual({
        kind: 'PAYMENT',
        providerEventId: `rtp:${KEY}:SUCCESSFUL`,
        providerRequestId: KEY,
        providerTransactionId: '1232581108',
        status: 'SUCCEEDED',
        amount: money(50000n, 'UGX'),
        accountReference: 'LN-2024-000187',
        payerReference: '256772123456',
        occurredAt: null,
        failureCode: null,
        failureMessage: null,
        needsConfirmation: true,
      });
    });

    it('parses a failure callback with its reason, still to be confirmed', () => {
      const cb = callback('callback-failed.json', KEY, 'POST');
      const [event] = connector.parseCallback({ rawBody: cb.rawBody, headers: cb.headers, query: cb.query });
      expect(event).toMatchObject({
        kind: 'PAYMENT',
        status: 'FAILED',
        failureCode: 'APPROVAL_REJECTED',
        providerTransactionId: null,
        needsConfirmation: true,
      });
      expect(connector.verifyCallback(verifyInput(cb)).events[0].providerEventId).toBe(`rtp:${KEY}:FAILED`);
    });

    it('turns a callback without ref into an IGNORED event with a stable id', () => {
      const cb = callback('callback-successful.json', null);
      const v1 = connector.verifyCallback(verifyInput(cb));
      const v2 = connector.verifyCallback(verifyInput(cb));
      expect(v1.events).toHaveLength(1);
      expect(v1.events[0].providerEventId).toMatch(/^rtp:noref:[0-9a-f]{32}$/);
      expect(v2.events).toEqual(v1.events);
      const events = connector.parseCallback({ rawBody: cb.rawBody, headers: cb.headers, query: cb.query });
      expect(events).toEqual([
        expect.objectContaining({ kind: 'IGNORED', providerEventId: v1.events[0].providerEventId }),
      ]);
    });

    it('falls back to a referenceId in the body when the URL has no ref', () => {
      const body = { ...fixture('callback-successful.json'), referenceId: KEY };
      const cb: CallbackFixture = {
        rawBody: Buffer.from(JSON.stringify(body)),
        headers: {},
        method: 'PUT',
        query: {},
      };
      expect(connector.verifyCallback(verifyInput(cb)).events[0].providerEventId).toBe(
        `rtp:${KEY}:SUCCESSFUL`,
      );
      const [event] = connector.parseCallback({ rawBody: cb.rawBody, headers: cb.headers, query: cb.query });
      expect(event).toMatchObject({ kind: 'PAYMENT', providerRequestId: KEY });
    });

    it('checks the token before reading the body', () => {
      const cb: CallbackFixture = {
        rawBody: Buffer.from('{'),
        headers: {},
        method: 'PUT',
        query: { ref: KEY },
      };
      expect(() => connector.verifyCallback(verifyInput(cb, 'wrong'))).toThrow(
        expect.objectContaining({ code: 'WEBHOOK_SIGNATURE_INVALID' }),
      );
    });

    it('never accepts when the expected token is empty', () => {
      const cb = callback('callback-successful.json', KEY);
      expect(() => connector.verifyCallback({ ...verifyInput(cb, ''), expectedToken: '' })).toThrow(
        expect.objectContaining({ code: 'WEBHOOK_SIGNATURE_INVALID' }),
      );
    });

    it('compares tokens in constant time, hashing both sides so lengths never differ', () => {
      const spy = jest.mocked(nodeCrypto.timingSafeEqual);
      spy.mockClear();
      expect(mtnMomoCallbackTokenMatches('short', 'a-much-longer-expected-token')).toBe(false);
      expect(mtnMomoCallbackTokenMatches('a-much-longer-presented-token-value', 'short')).toBe(false);
      expect(mtnMomoCallbackTokenMatches(CALLBACK_TOKEN.slice(0, -1) + 'X', CALLBACK_TOKEN)).toBe(false);
      expect(mtnMomoCallbackTokenMatches(CALLBACK_TOKEN, CALLBACK_TOKEN)).toBe(true);
      expect(mtnMomoCallbackTokenMatches(null, CALLBACK_TOKEN)).toBe(false);
      expect(spy).toHaveBeenCalledTimes(4);
      for (const [a, b] of spy.mock.calls) {
        expect((a as Buffer).length).toBe(32);
        expect((b as Buffer).length).toBe(32);
      }
    });

    const hostile: Array<[string, string, Record<string, string>]> = [
      [
        '__proto__ status',
        '{"__proto__":{"status":"SUCCESSFUL"},"amount":"50000","currency":"UGX"}',
        { ref: KEY },
      ],
      [
        'constructor key',
        '{"constructor":{"prototype":{"polluted":true}},"status":"SUCCESSFUL"}',
        { ref: KEY },
      ],
      ['status as object', '{"status":{"toString":"SUCCESSFUL"}}', { ref: KEY }],
      ['status as number', '{"status":1}', { ref: KEY }],
      ['huge status', JSON.stringify({ status: 'S'.repeat(100_000) }), { ref: KEY }],
      ['huge body', JSON.stringify({ status: 'SUCCESSFUL', payeeNote: 'x'.repeat(200_000) }), { ref: KEY }],
      ['huge ref', '{"status":"SUCCESSFUL"}', { ref: 'r'.repeat(10_000) }],
      ['ref with path characters', '{"status":"SUCCESSFUL"}', { ref: '../../etc' }],
      [
        'amount as object',
        '{"status":"SUCCESSFUL","amount":{"value":1},"currency":"UGX","financialTransactionId":["1"]}',
        { ref: KEY },
      ],
      ['amount as float', '{"status":"SUCCESSFUL","amount":1e21,"currency":"UGX"}', { ref: KEY }],
      ['reason as array', '{"status":"FAILED","reason":["NOT_ENOUGH_FUNDS"]}', { ref: KEY }],
      ['unknown currency', '{"status":"SUCCESSFUL","amount":"10","currency":"ZZZ"}', { ref: KEY }],
    ];

    it.each(hostile)(
      'handles a hostile body (%s) as a ConnectorError or a safe event, never a crash',
      (_name, raw, query) => {
        const cb: CallbackFixture = { rawBody: Buffer.from(raw), headers: {}, method: 'PUT', query };
        let events: RailEvent[] = [];
        const err = thrown(() => {
          const verified = connector.verifyCallback(verifyInput(cb));
          events = connector.parseCallback({ rawBody: cb.rawBody, headers: cb.headers, query: cb.query });
          expect(verified.events[0].providerEventId.length).toBeLessThan(200);
        });
        if (err !== undefined) {
          expect(err).toBeInstanceOf(ConnectorError);
          expect((err as ConnectorError).code).toBe('RESPONSE_DECODING_FAILED');
        } else {
          for (const e of events) {
            expect(['PAYMENT', 'IGNORED']).toContain(e.kind);
            if (e.kind === 'PAYMENT') {
              expect(e.needsConfirmation).toBe(true);
              expect(e.amount === null || typeof e.amount.amountMinor === 'bigint').toBe(true);
            }
          }
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      },
    );
  });

  describe('refunds (Disbursement product)', () => {
    const refundInput = {
      providerTransactionId: '1232581108',
      providerRequestId: KEY,
      amount: money(50000n, 'UGX'),
      reference: 'LN-2024-000187-04R',
      idempotencyKey: '7d2c9a1e-0a4d-4c6e-9b8f-2d7e5a1c0b47',
      reason: 'Refund',
      resultUrl: 'https://hub.example.com/hooks/psrc_1/tok',
    };

    it('posts the documented refund with its own token and X-Reference-Id, and reports it pending', async () => {
      const token = mockDisbursementToken();
      let body: unknown;
      let headers: Record<string, string | string[]> = {};
      const scope = nock(BASE)
        .post('/disbursement/v1_0/refund', (b) => {
          body = b;
          return true;
        })
        .matchHeader('authorization', `Bearer ${DISBURSEMENT_TOKEN}`)
        .reply(function () {
          headers = this.req.headers;
          return [202, ''];
        });
      const out = await connector.reverseCollection(refundInput);
      token.done();
      scope.done();
      expect(out).toEqual({ providerReversalId: refundInput.idempotencyKey, status: 'PENDING' });
      expect(body).toEqual(fixture('refund-request.json'));
      expect(headers['x-reference-id']).toBe(refundInput.idempotencyKey);
      expect(headers['ocp-apim-subscription-key']).toBe(DISBURSEMENT.subscriptionKey);
    });

    it('treats 409 RESOURCE_ALREADY_EXIST on a refund as accepted', async () => {
      mockDisbursementToken();
      const scope = nock(BASE)
        .post('/disbursement/v1_0/refund')
        .reply(409, fixture('error-resource-already-exist.json'));
      await expect(connector.reverseCollection(refundInput)).resolves.toEqual({
        providerReversalId: refundInput.idempotencyKey,
        status: 'PENDING',
      });
      scope.done();
    });

    it('needs the original X-Reference-Id and a UUIDv4 refund key', async () => {
      expect(
        (await caught(connector.reverseCollection({ ...refundInput, providerRequestId: null }))).code,
      ).toBe('REQUEST_ENCODING_FAILED');
      expect(
        (await caught(connector.reverseCollection({ ...refundInput, idempotencyKey: 'rev_1' }))).code,
      ).toBe('REQUEST_ENCODING_FAILED');
    });

    it.each([
      ['refund-status-successful.json', { status: 'SUCCEEDED', failureCode: null }],
      ['refund-status-failed.json', { status: 'FAILED', failureCode: 'NOT_ENOUGH_FUNDS' }],
    ])('reads the refund status %s', async (file, expected) => {
      mockDisbursementToken();
      const scope = nock(BASE)
        .get(`/disbursement/v1_0/refund/${refundInput.idempotencyKey}`)
        .matchHeader('authorization', `Bearer ${DISBURSEMENT_TOKEN}`)
        .reply(200, fixture(file));
      await expect(
        connector.getReversalStatus({ providerReversalId: refundInput.idempotencyKey, reference: 'rev_1' }),
      ).resolves.toEqual(expected);
      scope.done();
    });

    it('refuses refunds and refund status without disbursement credentials', async () => {
      const { disbursement: _omitted, ...collectionOnly } = CREDENTIALS;
      const c = mtnMomoDefinition.create({ baseUrl: BASE, credentials: collectionOnly }, runtime);
      expect(c.capabilities.reversal).toBe(false);
      expect((await caught(c.reverseCollection(refundInput))).code).toBe('FLOW_NOT_SUPPORTED');
      expect((await caught(c.getReversalStatus({ providerReversalId: KEY, reference: 'x' }))).code).toBe(
        'FLOW_NOT_SUPPORTED',
      );
    });
  });
});
