/**
 * M-Pesa Daraja connector over nock: the shared mobile-money contract plus Daraja's own quirks. Every wire body is
 * a fixture taken from the Daraja docs (test/fixtures/mpesa, shared/reference/rails.md section 1).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import nock from 'nock';
import { ConnectorError } from '../../../src/connectors/errors';
import {
  MPESA_SANDBOX_URL,
  MpesaConnector,
  buildMpesaCallbackUrls,
  callbackTokenMatches,
  darajaTimestamp,
  mpesaDefinition,
  stkPassword,
  type MpesaCredentials,
} from '../../../src/connectors/mobile-money/mpesa';
import { TokenCache } from '../../../src/connectors/token-cache';
import type {
  ConnectorRuntime,
  MobileMoneyConnector,
  RailEvent,
  VerifyCallbackInput,
} from '../../../src/connectors/types';
import { money } from '../../../src/domain/money';
import { createLogger } from '../../../src/logger';
import { testRuntime } from '../../helpers/nock';
import { runMobileMoneyContract, type CallbackFixture, type MobileMoneyHarness } from './scenarios';

const FIXTURES = path.join(__dirname, '../../fixtures/mpesa');
const fixtureText = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const fixture = <T = Record<string, unknown>>(name: string): T => JSON.parse(fixtureText(name)) as T;

/** The sandbox passkey, decoded from the Password in Daraja's MpesaExpressSimulate sample (rails.md 1.3). */
const SANDBOX_PASSKEY = 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919';
const ACCESS_TOKEN = fixture<{ access_token: string }>('token.json').access_token;
const CALLBACK_TOKEN = 'tok_9f3b1c0e7a5d4b2e8c6f1a3d5e7b9c0f';
const PATHS = {
  oauth: '/oauth/v1/generate',
  stkPush: '/mpesa/stkpush/v1/processrequest',
  stkQuery: '/mpesa/stkpushquery/v1/query',
  reversal: '/mpesa/reversal/v1/request',
  transactionStatus: '/mpesa/transactionstatus/v1/query',
};

const rawCredentials = {
  consumerKey: 'lipa-contract-consumer-key',
  consumerSecret: 'lipa-contract-consumer-secret',
  shortCode: '174379',
  passkey: SANDBOX_PASSKEY,
  initiatorName: 'testapi',
  securityCredential: 'c2VjdXJpdHktY3JlZGVudGlhbC1mb3ItdGVzdHM=',
};
const credentials = mpesaDefinition.parseCredentials(rawCredentials);
const basicAuth = `Basic ${Buffer.from(`${rawCredentials.consumerKey}:${rawCredentials.consumerSecret}`).toString('base64')}`;

const build = (
  runtime: ConnectorRuntime,
  creds: MpesaCredentials = credentials,
  baseUrl: string | null = null,
) => mpesaDefinition.create({ baseUrl, credentials: creds }, runtime) as MpesaConnector;

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function mockToken(
  expiresIn: number | string = 3599,
  body: Record<string, unknown> = fixture('token.json'),
): nock.Scope {
  return nock(MPESA_SANDBOX_URL, { reqheaders: { authorization: basicAuth } })
    .get(PATHS.oauth)
    .query({ grant_type: 'client_credentials' })
    .reply(200, { ...body, expires_in: expiresIn });
}

const authed = () => nock(MPESA_SANDBOX_URL, { reqheaders: { authorization: `Bearer ${ACCESS_TOKEN}` } });

/** The documented success callback for `checkoutRequestId`, collecting `amountText` shillings (kept as written). */
function stkSuccessText(checkoutRequestId: string, amountText = '500.00'): string {
  return fixtureText('stk-callback-success.json')
    .replace('ws_CO_191220191020363925', checkoutRequestId)
    .replace('"Value": 1.00', `"Value": ${amountText}`);
}

function callback(body: string | Buffer, query: Record<string, string> = {}): CallbackFixture {
  return {
    rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body),
    headers: { 'content-type': 'application/json' },
    method: 'POST',
    query,
  };
}

const verifyInput = (cb: CallbackFixture, token: string | null = CALLBACK_TOKEN): VerifyCallbackInput => ({
  rawBody: cb.rawBody,
  headers: cb.headers,
  method: cb.method,
  query: cb.query,
  pathToken: token,
  expectedToken: CALLBACK_TOKEN,
});

const harness: MobileMoneyHarness & {
  /**
   * Daraja's STK query carries no receipt (MpesaExpressQuery docs), so a SUCCEEDED status has
   * providerTransactionId null. The shared suite compares it with `expectedTransactionId`; see the report for the
   * proposed `statusTransactionId` harness field that this value is ready for.
   */
  statusTransactionId: null;
} = {
  name: 'M-Pesa Daraja',
  amount: money(50000n, 'KES'),
  // Whole shillings as a digit string, exactly as the connector writes `Amount`.
  wireAmount: '500',
  callbackToken: CALLBACK_TOKEN,
  expectedTransactionId: 'NLJ7RT61SV',
  statusTransactionId: null,
  build: (runtime) => build(runtime),
  mockToken: (expiresInSeconds = 3599) =>
    mockToken(String(expiresInSeconds), fixture('token-string-expiry.json')),
  mockInitiateAccepted: (hooks) =>
    authed()
      .post(PATHS.stkPush, (body) => {
        hooks?.onBody?.(body);
        return true;
      })
      .reply(function () {
        hooks?.onHeaders?.(this.req.headers);
        return [200, fixture('stk-push-accepted.json')];
      }),
  mockInitiateDeclined: () =>
    authed().post(PATHS.stkPush).reply(400, fixture('error-invalid-shortcode.json')),
  // Daraja has no idempotency key, so the connector never resends an STK push after a timeout (it may have put a
  // prompt on the phone): exactly one attempt is made whatever `attempts` the suite expects from keyed rails.
  mockInitiateTimeout: () =>
    authed().post(PATHS.stkPush).replyWithError({ code: 'ETIMEDOUT', message: 'socket timeout' }),
  mockInitiateServerErrorThenAccepted: (onKey) =>
    authed()
      .post(PATHS.stkPush)
      .reply(function () {
        onKey(header(this.req.headers['idempotency-key']));
        return [503, 'Service Unavailable', { 'content-type': 'text/plain' }];
      })
      .post(PATHS.stkPush)
      .reply(function () {
        onKey(header(this.req.headers['idempotency-key']));
        return [200, fixture('stk-push-accepted.json')];
      }),
  mockStatus: (outcome, providerRequestId) => {
    const interceptor = authed().post(
      PATHS.stkQuery,
      (body: Record<string, unknown>) => body.CheckoutRequestID === providerRequestId,
    );
    const withId = (name: string, extra: Record<string, unknown> = {}) => ({
      ...fixture(name),
      CheckoutRequestID: providerRequestId,
      ...extra,
    });
    switch (outcome) {
      case 'SUCCEEDED':
        return interceptor.reply(200, withId('stk-query-success.json'));
      case 'FAILED':
        return interceptor.reply(200, withId('stk-query-cancelled-1032.json'));
      case 'PENDING':
        return interceptor.reply(500, fixture('stk-query-processing.json'));
      case 'UNKNOWN':
        return interceptor.reply(
          200,
          withId('stk-query-success.json', {
            ResultCode: '7301',
            ResultDesc: 'A state Daraja never documented',
          }),
        );
    }
  },
  successCallback: (providerRequestId) => callback(stkSuccessText(providerRequestId), { kind: 'stk' }),
  failureCallback: (providerRequestId) =>
    callback(
      fixtureText('stk-callback-cancelled-1032.json').replace(
        'ws_CO_21072024125243250722943992',
        providerRequestId,
      ),
      { kind: 'stk' },
    ),
  unknownTransactionCallback: () => callback(fixtureText('c2b-confirmation.json')),
  mockReverseAccepted: (hooks) =>
    authed()
      .post(PATHS.reversal, (body) => {
        hooks?.onBody?.(body);
        return true;
      })
      .reply(200, fixture('reversal-accepted.json')),
};

runMobileMoneyContract(harness);

// ---------------------------------------------------------------------------------------------------------------
// Daraja specifics
// ---------------------------------------------------------------------------------------------------------------

const collect = (overrides: Partial<Parameters<MobileMoneyConnector['initiateCollection']>[0]> = {}) => ({
  reference: 'preq_01JMPESA00000000000000001',
  idempotencyKey: '5a0c8d1e-3b2f-4e6a-9c7d-1f2e3d4c5b6a',
  amount: money(50000n, 'KES'),
  phoneNumber: '254708374149',
  accountReference: 'LN-2024-000187',
  description: 'Loan repayment',
  callbackUrl: `https://hub.example.com/hooks/psrc_1/${CALLBACK_TOKEN}?kind=stk`,
  ...overrides,
});

async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
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
  } catch (err) {
    return err;
  }
  return undefined;
}

function paymentOf(events: RailEvent[]): Extract<RailEvent, { kind: 'PAYMENT' }> {
  expect(events).toHaveLength(1);
  expect(events[0].kind).toBe('PAYMENT');
  return events[0] as Extract<RailEvent, { kind: 'PAYMENT' }>;
}

function reversalOf(events: RailEvent[]): Extract<RailEvent, { kind: 'REVERSAL' }> {
  expect(events).toHaveLength(1);
  expect(events[0].kind).toBe('REVERSAL');
  return events[0] as Extract<RailEvent, { kind: 'REVERSAL' }>;
}

describe('M-Pesa Daraja specifics', () => {
  let now: number;
  let runtime: ConnectorRuntime;
  let connector: MpesaConnector;

  beforeEach(() => {
    now = Date.UTC(2021, 5, 28, 6, 24, 8); // 09:24:08 in Nairobi: the docs' sample Timestamp
    runtime = testRuntime({ tokenCache: new TokenCache(60_000, () => now), now: () => new Date(now) });
    connector = build(runtime);
  });

  describe('STK push request', () => {
    it('computes Password and Timestamp exactly like the docs sample (sandbox shortcode and passkey)', () => {
      const sample = fixture<{ Password: string; Timestamp: string }>('stk-push-request.json');
      expect(darajaTimestamp(new Date(now))).toBe(sample.Timestamp);
      expect(stkPassword('174379', SANDBOX_PASSKEY, sample.Timestamp)).toBe(sample.Password);
      // EAT is UTC+3 with no daylight saving: late UTC evening is already tomorrow in Nairobi.
      expect(darajaTimestamp(new Date(Date.UTC(2021, 11, 31, 22, 30, 0)))).toBe('20220101013000');
    });

    it('sends the documented body: EAT timestamp, password, whole shillings, digits, fitted reference and description', async () => {
      mockToken();
      let sent: Record<string, unknown> = {};
      const scope = authed()
        .post(PATHS.stkPush, (body) => {
          sent = body;
          return true;
        })
        .reply(200, fixture('stk-push-accepted.json'));
      const out = await connector.initiateCollection(
        collect({ amount: money(100n, 'KES'), phoneNumber: '+254722000000' }),
      );
      scope.done();
      const sample = fixture<Record<string, unknown>>('stk-push-request.json');
      expect(out).toEqual({ providerRequestId: 'ws_CO_1007202409152617172396192', status: 'PENDING' });
      expect(sent).toEqual({
        BusinessShortCode: '174379',
        Password: sample.Password,
        Timestamp: sample.Timestamp,
        TransactionType: 'CustomerPayBillOnline',
        Amount: '1',
        PartyA: '254722000000',
        PartyB: '174379',
        PhoneNumber: '254722000000',
        CallBackURL: collect().callbackUrl,
        AccountReference: 'LN2024000187',
        TransactionDesc: 'Loan repaymen',
      });
    });

    it('uses the till as PartyB for buy-goods sources', async () => {
      const till = mpesaDefinition.parseCredentials({
        ...rawCredentials,
        transactionType: 'CustomerBuyGoodsOnline',
        tillNumber: '5544332',
      });
      mockToken();
      let sent: Record<string, unknown> = {};
      const scope = authed()
        .post(PATHS.stkPush, (body) => {
          sent = body;
          return true;
        })
        .reply(200, fixture('stk-push-accepted.json'));
      await build(runtime, till).initiateCollection(collect());
      scope.done();
      expect(sent).toMatchObject({
        BusinessShortCode: '174379',
        PartyB: '5544332',
        TransactionType: 'CustomerBuyGoodsOnline',
      });
    });

    it('refuses cents, other currencies, non-positive amounts and malformed phones before any call', async () => {
      // No interceptor: a request would fail with a network error, not REQUEST_ENCODING_FAILED.
      expect(
        (await rejection(connector.initiateCollection(collect({ amount: money(1050n, 'KES') })))).code,
      ).toBe('REQUEST_ENCODING_FAILED');
      expect(
        (await rejection(connector.initiateCollection(collect({ amount: money(0n, 'KES') })))).code,
      ).toBe('REQUEST_ENCODING_FAILED');
      expect(
        (await rejection(connector.initiateCollection(collect({ amount: money(50000n, 'UGX') })))).code,
      ).toBe('CURRENCY_UNSUPPORTED');
      const phone = await rejection(connector.initiateCollection(collect({ phoneNumber: '0708 374 149x' })));
      expect(phone.code).toBe('REQUEST_ENCODING_FAILED');
      expect(phone.message).not.toContain('374');
      const reversal = await rejection(
        connector.reverseCollection({
          providerTransactionId: 'NLJ7RT61SV',
          providerRequestId: null,
          amount: money(50050n, 'KES'),
          reference: 'rev_1',
          idempotencyKey: 'k',
          reason: 'Duplicate',
          resultUrl: 'https://hub.example.com/r',
        }),
      );
      expect(reversal.code).toBe('REQUEST_ENCODING_FAILED');
    });
  });

  describe('access token', () => {
    it('reads expires_in as a number too, and fetches one token for concurrent calls', async () => {
      const token = mockToken(3599, fixture('token.json'));
      const pushes = authed().post(PATHS.stkPush).times(3).reply(200, fixture('stk-push-accepted.json'));
      await Promise.all([
        connector.initiateCollection(collect()),
        connector.initiateCollection(collect()),
        connector.initiateCollection(collect()),
      ]);
      token.done();
      pushes.done();
    });

    it('shares the token between connectors of the same app and host, not across apps', async () => {
      const other = mpesaDefinition.parseCredentials({
        ...rawCredentials,
        consumerKey: 'another-daraja-app',
      });
      mockToken();
      const otherToken = nock(MPESA_SANDBOX_URL, {
        reqheaders: {
          authorization: `Basic ${Buffer.from(`another-daraja-app:${rawCredentials.consumerSecret}`).toString('base64')}`,
        },
      })
        .get(PATHS.oauth)
        .query(true)
        .reply(200, { access_token: 'other-app-token', expires_in: '3599' });
      authed().post(PATHS.stkPush).times(2).reply(200, fixture('stk-push-accepted.json'));
      const otherPush = nock(MPESA_SANDBOX_URL, { reqheaders: { authorization: 'Bearer other-app-token' } })
        .post(PATHS.stkPush)
        .reply(200, fixture('stk-push-accepted.json'));
      await build(runtime).initiateCollection(collect());
      await build(runtime).initiateCollection(collect());
      await build(runtime, other).initiateCollection(collect());
      expect(nock.isDone()).toBe(true);
      otherToken.done();
      otherPush.done();
    });

    it('drops a revoked token (401 or 404.001.03) and retries once with a fresh one', async () => {
      mockToken();
      authed().post(PATHS.stkPush).reply(401, fixture('error-invalid-token.json'));
      mockToken();
      authed().post(PATHS.stkPush).reply(404, fixture('error-invalid-token.json'));
      mockToken();
      authed().post(PATHS.stkPush).reply(200, fixture('stk-push-accepted.json'));
      // 401 -> fresh token -> 404.001.03 (HTTP 404) -> fresh token -> accepted
      await connector.initiateCollection(collect());
      expect(nock.isDone()).toBe(true);
    });

    it('stops after one refresh when the fresh token is refused too', async () => {
      mockToken();
      authed().post(PATHS.stkPush).times(2).reply(401, fixture('error-invalid-token.json'));
      mockToken();
      const err = await rejection(connector.initiateCollection(collect()));
      expect(err.code).toBe('AUTH_CONFIG_INVALID');
      expect(nock.isDone()).toBe(true);
    });

    it('reports refused consumer key/secret as AUTH_CONFIG_INVALID without echoing them', async () => {
      nock(MPESA_SANDBOX_URL)
        .get(PATHS.oauth)
        .query(true)
        .reply(400, fixture('error-invalid-grant-type.json'));
      const err = await rejection(connector.initiateCollection(collect()));
      expect(err.code).toBe('AUTH_CONFIG_INVALID');
      expect(err.retryable).toBe(false);
      expect(err.message).not.toContain(rawCredentials.consumerSecret);
    });
  });

  describe('STK push errors and the resend policy', () => {
    function recordingPush(status: number, body: unknown, bodies: string[]) {
      return authed()
        .post(PATHS.stkPush, (b) => {
          bodies.push(JSON.stringify(b));
          return true;
        })
        .reply(status, body as nock.Body);
    }

    it('resends after spike arrest with the very same body, then succeeds', async () => {
      mockToken();
      const bodies: string[] = [];
      recordingPush(500, fixture('error-spike-arrest.json'), bodies);
      recordingPush(200, fixture('stk-push-accepted.json'), bodies);
      now += 5_000; // a retry must not recompute Timestamp/Password
      const out = await connector.initiateCollection(collect());
      expect(out.status).toBe('PENDING');
      expect(bodies).toHaveLength(2);
      expect(bodies[1]).toBe(bodies[0]);
    });

    it.each([
      ['quota violation', 500, 'error-quota-violation.json', 'RATE_LIMITED'],
      [
        'a prompt already open ("Unable to lock subscriber")',
        500,
        'error-subscriber-locked.json',
        'PROVIDER_UNAVAILABLE',
      ],
      ['a business refusal', 400, 'error-invalid-shortcode.json', 'DECLINED'],
    ])('does not resend on %s', async (_what, status, name, code) => {
      mockToken();
      const bodies: string[] = [];
      recordingPush(status as number, fixture(name as string), bodies);
      const err = await rejection(connector.initiateCollection(collect()));
      expect(err.code).toBe(code);
      expect(err.providerCode).toBe(fixture<{ errorCode: string }>(name as string).errorCode);
      expect(bodies).toHaveLength(1);
    });

    it.each([500, 502, 504])('calls a bare %d "outcome unknown" and does not resend', async (status) => {
      mockToken();
      const bodies: string[] = [];
      recordingPush(status, 'upstream trouble', bodies);
      const err = await rejection(connector.initiateCollection(collect()));
      expect(err.code).toBe('OUTCOME_UNKNOWN');
      expect(bodies).toHaveLength(1);
    });

    it('makes exactly one attempt when the push times out', async () => {
      mockToken();
      let attempts = 0;
      const scope = authed()
        .post(PATHS.stkPush, () => {
          attempts += 1;
          return true;
        })
        .times(3)
        .replyWithError({ code: 'ETIMEDOUT', message: 'socket timeout' });
      const err = await rejection(connector.initiateCollection(collect()));
      expect(err.code).toBe('OUTCOME_UNKNOWN');
      expect(attempts).toBe(1);
      expect(scope.isDone()).toBe(false);
    });

    it('treats a 2xx without CheckoutRequestID as outcome unknown and a non-zero ResponseCode as declined', async () => {
      mockToken();
      authed().post(PATHS.stkPush).reply(200, { ResponseCode: '0', ResponseDescription: 'Success' });
      expect((await rejection(connector.initiateCollection(collect()))).code).toBe('OUTCOME_UNKNOWN');
      authed().post(PATHS.stkPush).reply(200, { ResponseCode: '1', ResponseDescription: 'Rejected' });
      expect((await rejection(connector.initiateCollection(collect()))).code).toBe('DECLINED');
    });

    it('keeps phone numbers and secrets out of the logs', async () => {
      const lines: string[] = [];
      const destination = new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      });
      const logged = build({ ...runtime, logger: createLogger({ level: 'debug', destination }) });
      mockToken();
      authed().post(PATHS.stkPush).reply(500, fixture('error-spike-arrest.json'));
      authed().post(PATHS.stkPush).reply(200, fixture('stk-push-accepted.json'));
      await logged.initiateCollection(collect());
      expect(lines.length).toBeGreaterThan(0);
      const all = lines.join('\n');
      for (const secret of ['254708374149', rawCredentials.consumerSecret, SANDBOX_PASSKEY, ACCESS_TOKEN])
        expect(all).not.toContain(secret);
    });
  });

  describe('STK query', () => {
    it.each([
      ['"0" (string, as documented)', { ResultCode: '0' }, 'SUCCEEDED', null],
      ['0 (number)', { ResultCode: 0 }, 'SUCCEEDED', null],
      ['"1032" cancelled', { ResultCode: '1032', ResultDesc: 'Request cancelled by user' }, 'FAILED', '1032'],
      [
        '"1037" unreachable',
        { ResultCode: '1037', ResultDesc: 'DS timeout user cannot be reached' },
        'FAILED',
        '1037',
      ],
      [
        '"1" insufficient balance',
        { ResultCode: '1', ResultDesc: 'The balance is insufficient for the transaction' },
        'FAILED',
        '1',
      ],
      [
        '"2001" wrong PIN',
        { ResultCode: '2001', ResultDesc: 'The initiator information is invalid.' },
        'FAILED',
        '2001',
      ],
      [
        '"4999" still under processing',
        { ResultCode: '4999', ResultDesc: 'The transaction is still under processing' },
        'PENDING',
        null,
      ],
      ['no ResultCode yet', { ResultCode: undefined }, 'PENDING', null],
    ])('maps ResultCode %s', async (_what, patch, status, failureCode) => {
      mockToken();
      const scope = authed()
        .post(PATHS.stkQuery)
        .reply(200, { ...fixture('stk-query-success.json'), ...patch });
      const out = await connector.getCollectionStatus({
        providerRequestId: 'ws_CO_13012021093521236557',
        reference: 'preq_1',
      });
      scope.done();
      expect(out.status).toBe(status);
      expect(out.failureCode).toBe(failureCode);
      // The query never carries the receipt or the amount.
      expect(out.providerTransactionId).toBeNull();
      expect(out.amount).toBeNull();
    });

    it('sends the query with its own password and timestamp', async () => {
      mockToken();
      let sent: Record<string, unknown> = {};
      authed()
        .post(PATHS.stkQuery, (b) => {
          sent = b;
          return true;
        })
        .reply(200, fixture('stk-query-success.json'));
      await connector.getCollectionStatus({
        providerRequestId: 'ws_CO_13012021093521236557',
        reference: 'preq_1',
      });
      const sample = fixture<{ Password: string; Timestamp: string }>('stk-push-request.json');
      expect(sent).toEqual({
        BusinessShortCode: '174379',
        Password: sample.Password,
        Timestamp: sample.Timestamp,
        CheckoutRequestID: 'ws_CO_13012021093521236557',
      });
    });

    it('answers "the transaction is being processed" with PENDING without retrying', async () => {
      mockToken();
      const scope = authed().post(PATHS.stkQuery).once().reply(500, fixture('stk-query-processing.json'));
      const out = await connector.getCollectionStatus({ providerRequestId: 'ws_CO_1', reference: 'preq_1' });
      scope.done();
      expect(out.status).toBe('PENDING');
    });

    it('maps an unknown CheckoutRequestID to NOT_FOUND and a dead network to PROVIDER_UNAVAILABLE', async () => {
      mockToken();
      authed().post(PATHS.stkQuery).reply(400, {
        requestId: '1-2-3',
        errorCode: '400.002.02',
        errorMessage: 'Bad Request - Invalid CheckoutRequestID',
      });
      expect(
        (await rejection(connector.getCollectionStatus({ providerRequestId: 'ws_CO_x', reference: 'p' })))
          .code,
      ).toBe('NOT_FOUND');
      authed().post(PATHS.stkQuery).times(3).replyWithError({ code: 'ECONNRESET', message: 'reset' });
      expect(
        (await rejection(connector.getCollectionStatus({ providerRequestId: 'ws_CO_x', reference: 'p' })))
          .code,
      ).toBe('PROVIDER_UNAVAILABLE');
    });
  });

  describe('reversal', () => {
    it('sends the documented body (RecieverIdentifierType sic, Remarks bounds, result URLs) and returns the ConversationID', async () => {
      mockToken();
      let sent: Record<string, unknown> = {};
      authed()
        .post(PATHS.reversal, (b) => {
          sent = b;
          return true;
        })
        .reply(200, fixture('reversal-accepted.json'));
      const resultUrl = buildMpesaCallbackUrls('https://hub.example.com', 'psrc_1', CALLBACK_TOKEN).resultUrl;
      const out = await connector.reverseCollection({
        providerTransactionId: 'PDU91HIVIT',
        providerRequestId: null,
        amount: money(20000n, 'KES'),
        reference: 'rev_1',
        idempotencyKey: 'k',
        reason: 'x',
        resultUrl,
      });
      expect(out).toEqual({ providerReversalId: 'AG_20210706_20106e9209f64bebd05b', status: 'PENDING' });
      const sample = fixture<Record<string, unknown>>('reversal-request.json');
      expect(Object.keys(sent).sort()).toEqual(Object.keys(sample).sort());
      expect(sent).toMatchObject({
        Initiator: 'testapi',
        SecurityCredential: rawCredentials.securityCredential,
        CommandID: 'TransactionReversal',
        TransactionID: 'PDU91HIVIT',
        Amount: '200',
        ReceiverParty: '174379',
        RecieverIdentifierType: '11',
        ResultURL: resultUrl,
        QueueTimeOutURL: resultUrl,
        Remarks: 'Payment reversal', // "x" is below Daraja's 2-character minimum
      });
    });

    it('cuts long remarks to 100 characters and refuses a malformed receipt', async () => {
      mockToken();
      let sent: Record<string, unknown> = {};
      authed()
        .post(PATHS.reversal, (b) => {
          sent = b;
          return true;
        })
        .reply(200, fixture('reversal-accepted.json'));
      const input = {
        providerTransactionId: 'PDU91HIVIT',
        providerRequestId: null,
        amount: money(20000n, 'KES'),
        reference: 'rev_1',
        idempotencyKey: 'k',
        reason: 'r'.repeat(250),
        resultUrl: 'https://hub.example.com/hooks/psrc_1/t?kind=result',
      };
      await connector.reverseCollection(input);
      expect((sent.Remarks as string).length).toBe(100);
      expect(
        (
          await rejection(
            connector.reverseCollection({ ...input, providerTransactionId: 'PDU91 HIVIT; drop' }),
          )
        ).code,
      ).toBe('REQUEST_ENCODING_FAILED');
    });

    it('has no reversal status query (Daraja answers by callback only)', async () => {
      const err = await rejection(
        connector.getReversalStatus({ providerReversalId: 'AG_1', reference: 'rev_1' }),
      );
      expect(err.code).toBe('FLOW_NOT_SUPPORTED');
      expect(err.retryable).toBe(false);
    });
  });

  describe('transaction status query', () => {
    const resultUrl = () =>
      buildMpesaCallbackUrls('https://hub.example.com', 'psrc_1', CALLBACK_TOKEN).resultUrl;
    const query = (overrides: Partial<Parameters<MpesaConnector['queryTransactionStatus']>[0]> = {}) => ({
      transactionId: 'NEF61H8J60',
      reference: 'lookup-NEF61H8J60',
      resultUrl: resultUrl(),
      ...overrides,
    });
    function recordingQuery(status: number, body: unknown, bodies: string[]) {
      return authed()
        .post(PATHS.transactionStatus, (b) => {
          bodies.push(JSON.stringify(b));
          return true;
        })
        .reply(status, body as nock.Body);
    }

    it('sends the documented body (shortcode as PartyA, type 4, result URLs, reference as Remarks/Occasion) and returns the ack ids', async () => {
      mockToken();
      const bodies: string[] = [];
      recordingQuery(200, fixture('transaction-status-accepted.json'), bodies);
      const out = await connector.queryTransactionStatus(query());
      expect(out).toEqual({
        conversationId: 'AG_20210709_1234409f86436c583e3f',
        originatorConversationId: '1236-7134259-1',
      });
      expect(bodies).toHaveLength(1);
      const sent = JSON.parse(bodies[0]) as Record<string, unknown>;
      // The docs sample also shows OriginalConversationID (a lookup by conversation); Lipa always asks by receipt.
      const sample = fixture<Record<string, unknown>>('transaction-status-request.json');
      expect(Object.keys(sent).sort()).toEqual(
        Object.keys(sample)
          .filter((k) => k !== 'OriginalConversationID')
          .sort(),
      );
      expect(sent).toEqual({
        Initiator: 'testapi',
        SecurityCredential: rawCredentials.securityCredential,
        CommandID: 'TransactionStatusQuery',
        TransactionID: 'NEF61H8J60',
        PartyA: '174379',
        IdentifierType: '4',
        ResultURL: resultUrl(),
        QueueTimeOutURL: resultUrl(),
        Remarks: 'lookup-NEF61H8J60',
        Occasion: 'lookup-NEF61H8J60',
      });
    });

    it('adds kind=result to a bare hooks URL, and fits the reference into Remarks/Occasion', async () => {
      mockToken();
      const bodies: string[] = [];
      recordingQuery(200, fixture('transaction-status-accepted.json'), bodies);
      recordingQuery(200, fixture('transaction-status-accepted.json'), bodies);
      recordingQuery(200, fixture('transaction-status-accepted.json'), bodies);
      const bare = `https://hub.example.com/hooks/psrc_1/${CALLBACK_TOKEN}`;
      await connector.queryTransactionStatus(query({ resultUrl: bare, reference: 'x' }));
      await connector.queryTransactionStatus(
        query({ resultUrl: `${bare}?kind=stk`, reference: 'r'.repeat(250) }),
      );
      await connector.queryTransactionStatus(query({ reference: '  lookup  \n NEF61H8J60 ' }));
      const [first, second, third] = bodies.map((b) => JSON.parse(b) as Record<string, string>);
      expect(first.ResultURL).toBe(`${bare}?kind=result`);
      expect(first.QueueTimeOutURL).toBe(`${bare}?kind=result`);
      expect(first).toMatchObject({ Remarks: 'Transaction status', Occasion: 'Transaction status' });
      expect(second.ResultURL).toBe(`${bare}?kind=result`);
      expect(second.Remarks).toHaveLength(100);
      expect(second.Occasion).toHaveLength(100);
      expect(third).toMatchObject({ Remarks: 'lookup NEF61H8J60', Occasion: 'lookup NEF61H8J60' });
    });

    it('refuses a malformed receipt or result URL before any call', async () => {
      for (const bad of [
        query({ transactionId: 'NEF61H8J60; drop' }),
        query({ transactionId: '' }),
        query({ resultUrl: 'not a url' }),
        query({ resultUrl: 'ftp://hub.example.com/hooks/psrc_1/t' }),
      ]) {
        expect((await rejection(connector.queryTransactionStatus(bad))).code).toBe('REQUEST_ENCODING_FAILED');
      }
      expect(nock.pendingMocks()).toEqual([]);
    });

    it('makes exactly one attempt when the query times out: OUTCOME_UNKNOWN', async () => {
      mockToken();
      let attempts = 0;
      const scope = authed()
        .post(PATHS.transactionStatus, () => {
          attempts += 1;
          return true;
        })
        .times(3)
        .replyWithError({ code: 'ETIMEDOUT', message: 'socket timeout' });
      const err = await rejection(connector.queryTransactionStatus(query()));
      expect(err.code).toBe('OUTCOME_UNKNOWN');
      expect(attempts).toBe(1);
      expect(scope.isDone()).toBe(false);
    });

    it.each([500, 502, 504])('calls a bare %d "outcome unknown" and does not resend', async (status) => {
      mockToken();
      const bodies: string[] = [];
      recordingQuery(status, 'upstream trouble', bodies);
      expect((await rejection(connector.queryTransactionStatus(query()))).code).toBe('OUTCOME_UNKNOWN');
      expect(bodies).toHaveLength(1);
    });

    it('resends after spike arrest with the very same body, logging neither the credential nor the token', async () => {
      const lines: string[] = [];
      const destination = new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      });
      const logged = build({ ...runtime, logger: createLogger({ level: 'debug', destination }) });
      mockToken();
      const bodies: string[] = [];
      recordingQuery(500, fixture('error-spike-arrest.json'), bodies);
      recordingQuery(200, fixture('transaction-status-accepted.json'), bodies);
      const out = await logged.queryTransactionStatus(query());
      expect(out.conversationId).toBe('AG_20210709_1234409f86436c583e3f');
      expect(bodies).toHaveLength(2);
      expect(bodies[1]).toBe(bodies[0]);
      expect(lines.length).toBeGreaterThan(0);
      const all = lines.join('\n');
      for (const secret of [
        rawCredentials.securityCredential,
        rawCredentials.consumerSecret,
        ACCESS_TOKEN,
        CALLBACK_TOKEN,
      ])
        expect(all).not.toContain(secret);
    });

    it.each([
      ['a business refusal', 400, 'error-invalid-shortcode.json', 'DECLINED'],
      ['quota violation', 500, 'error-quota-violation.json', 'RATE_LIMITED'],
      ['an internal error', 500, 'error-subscriber-locked.json', 'PROVIDER_UNAVAILABLE'],
    ])('maps %s like the other Daraja calls, without resending', async (_what, status, name, code) => {
      mockToken();
      const bodies: string[] = [];
      recordingQuery(status as number, fixture(name as string), bodies);
      const err = await rejection(connector.queryTransactionStatus(query()));
      expect(err.code).toBe(code);
      expect(err.providerCode).toBe(fixture<{ errorCode: string }>(name as string).errorCode);
      expect(bodies).toHaveLength(1);
    });

    it('drops a revoked token once, and reads a refused or id-less ack as DECLINED / OUTCOME_UNKNOWN', async () => {
      mockToken();
      mockToken();
      const bodies: string[] = [];
      recordingQuery(404, fixture('error-invalid-token.json'), bodies);
      recordingQuery(200, fixture('transaction-status-accepted.json'), bodies);
      expect((await connector.queryTransactionStatus(query())).conversationId).toBe(
        'AG_20210709_1234409f86436c583e3f',
      );
      expect(bodies).toHaveLength(2);
      recordingQuery(200, { ResponseCode: '1', ResponseDescription: 'Rejected' }, bodies);
      const declined = await rejection(connector.queryTransactionStatus(query()));
      expect(declined).toMatchObject({ code: 'DECLINED', providerCode: '1' });
      recordingQuery(200, { ResponseCode: '0', ResponseDescription: 'Accepted' }, bodies);
      expect((await rejection(connector.queryTransactionStatus(query()))).code).toBe('OUTCOME_UNKNOWN');
    });

    it('keeps the originator id empty when Daraja omits it, and serves lookUpTransaction', async () => {
      mockToken();
      const { OriginatorConversationID: _omitted, ...ack } = fixture<Record<string, string>>(
        'transaction-status-accepted.json',
      );
      const bodies: string[] = [];
      recordingQuery(200, ack, bodies);
      expect(await connector.queryTransactionStatus(query())).toEqual({
        conversationId: 'AG_20210709_1234409f86436c583e3f',
        originatorConversationId: '',
      });
      recordingQuery(200, fixture('transaction-status-accepted.json'), bodies);
      expect(
        await connector.lookUpTransaction({
          providerTransactionId: 'NEF61H8J60',
          reference: 'lookup-NEF61H8J60',
          resultUrl: resultUrl(),
        }),
      ).toEqual({ providerReference: 'AG_20210709_1234409f86436c583e3f' });
      expect(JSON.parse(bodies[1])).toMatchObject({
        TransactionID: 'NEF61H8J60',
        Occasion: 'lookup-NEF61H8J60',
      });
    });
  });

  describe('C2B URL registration', () => {
    it('registers on v1 by default with ResponseType Completed, and on v2 when configured', async () => {
      const urls = buildMpesaCallbackUrls('https://hub.example.com/', 'psrc_1', CALLBACK_TOKEN);
      mockToken();
      let sent: Record<string, unknown> = {};
      authed()
        .post('/mpesa/c2b/v1/registerurl', (b) => {
          sent = b;
          return true;
        })
        .reply(200, fixture('register-url-response.json'));
      const out = await connector.registerC2bUrls({
        confirmationUrl: urls.confirmationUrl,
        validationUrl: urls.validationUrl,
      });
      expect(out).toEqual({ originatorConversationId: '7619-37765134-1', description: 'success' });
      expect(sent).toEqual({
        ShortCode: '174379',
        ResponseType: 'Completed',
        ConfirmationURL: urls.confirmationUrl,
        ValidationURL: urls.validationUrl,
      });

      const v2 = build(
        runtime,
        mpesaDefinition.parseCredentials({ ...rawCredentials, registerUrlVersion: 'v2' }),
      );
      authed()
        .post('/mpesa/c2b/v2/registerurl')
        .reply(200, {
          ...fixture('register-url-response.json'),
          ResponseCode: '1',
          ResponseDescription: 'Duplicate',
        });
      expect(
        (
          await rejection(
            v2.registerC2bUrls({ confirmationUrl: urls.confirmationUrl, validationUrl: urls.validationUrl }),
          )
        ).code,
      ).toBe('DECLINED');
      expect(nock.isDone()).toBe(true);
    });

    it('builds the callback URLs on /hooks/:sourceId/:token with a kind per flow', () => {
      expect(buildMpesaCallbackUrls('https://hub.example.com/', 'psrc_1', 'abc')).toEqual({
        confirmationUrl: 'https://hub.example.com/hooks/psrc_1/abc',
        validationUrl: 'https://hub.example.com/hooks/psrc_1/abc?kind=validation',
        stkCallbackUrl: 'https://hub.example.com/hooks/psrc_1/abc?kind=stk',
        resultUrl: 'https://hub.example.com/hooks/psrc_1/abc?kind=result',
      });
    });

    it('refuses URLs with words Daraja rejects, without echoing the token', () => {
      const err = thrown(() =>
        buildMpesaCallbackUrls('https://hub.example.com', 'psrc_1', 'zzSqLzzsecretpart'),
      ) as ConnectorError;
      expect(err).toBeInstanceOf(ConnectorError);
      expect(err.code).toBe('REQUEST_ENCODING_FAILED');
      expect(err.message).toContain('callback token');
      expect(err.message).not.toContain('secretpart');
      expect(() => buildMpesaCallbackUrls('https://mpesa.example.com', 'psrc_1', 'abc')).toThrow(
        ConnectorError,
      );
    });
  });

  describe('callbacks', () => {
    it('parses the documented STK success callback, items by name', () => {
      const cb = callback(fixtureText('stk-callback-success.json'), { kind: 'stk' });
      const verified = connector.verifyCallback(verifyInput(cb));
      expect(verified).toEqual({
        events: [{ providerEventId: 'stk:ws_CO_191220191020363925', eventType: 'stk.callback' }],
        ack: { status: 200, body: { ResultCode: 0, ResultDesc: 'Accepted' } },
      });
      expect(paymentOf(connector.parseCallback(cb))).toEqual({
        kind: 'PAYMENT',
        providerEventId: 'stk:ws_CO_191220191020363925',
        providerTransactionId: 'NLJ7RT61SV',
        providerRequestId: 'ws_CO_191220191020363925',
        status: 'SUCCEEDED',
        amount: money(100n, 'KES'),
        accountReference: null,
        payerReference: '254708374149',
        occurredAt: new Date('2019-12-19T07:21:15Z'),
        failureCode: null,
        failureMessage: null,
        needsConfirmation: true,
      });
    });

    it('reads items by name whatever their order, with or without Balance and its Value', () => {
      const doc = fixture<{
        Body: { stkCallback: { CallbackMetadata: { Item: Array<Record<string, unknown>> } } };
      }>('stk-callback-success.json');
      const items = doc.Body.stkCallback.CallbackMetadata.Item;
      const variants = [
        [...items].reverse(),
        items.filter((i) => i.Name !== 'Balance'),
        items.map((i) => (i.Name === 'Balance' ? { Name: 'Balance', Value: 32009.9 } : i)),
        [items[4], items[2], items[0], items[3], items[1]],
      ];
      const expected = paymentOf(connector.parseCallback(callback(JSON.stringify(doc), { kind: 'stk' })));
      for (const variant of variants) {
        doc.Body.stkCallback.CallbackMetadata.Item = variant;
        expect(paymentOf(connector.parseCallback(callback(JSON.stringify(doc), { kind: 'stk' })))).toEqual(
          expected,
        );
      }
    });

    it('parses the documented 1032 failure: FAILED, no receipt, no amount', () => {
      const payment = paymentOf(
        connector.parseCallback(callback(fixtureText('stk-callback-cancelled-1032.json'))),
      );
      expect(payment).toMatchObject({
        providerEventId: 'stk:ws_CO_21072024125243250722943992',
        providerRequestId: 'ws_CO_21072024125243250722943992',
        providerTransactionId: null,
        status: 'FAILED',
        amount: null,
        failureCode: '1032',
        failureMessage: 'Request cancelled by user',
      });
    });

    it('accepts ResultCode as a number or a string in callbacks', () => {
      const asString = fixtureText('stk-callback-success.json').replace(
        '"ResultCode": 0',
        '"ResultCode": "0"',
      );
      expect(paymentOf(connector.parseCallback(callback(asString))).status).toBe('SUCCEEDED');
      const failed = fixtureText('stk-callback-cancelled-1032.json').replace(
        '"ResultCode": 1032',
        '"ResultCode": "1032"',
      );
      expect(paymentOf(connector.parseCallback(callback(failed))).failureCode).toBe('1032');
    });

    it('parses a C2B confirmation: exact KES, normalised account, opaque payer, EAT time, Daraja ack', () => {
      const cb = callback(
        fixtureText('c2b-confirmation.json').replace('"LN-2024-000187"', '"  ln-2024-000187 "'),
      );
      expect(connector.verifyCallback(verifyInput(cb))).toEqual({
        events: [{ providerEventId: 'c2b:RKL51ZDR4F', eventType: 'c2b.confirmation' }],
        ack: { status: 200, body: { ResultCode: 0, ResultDesc: 'Success' } },
      });
      expect(paymentOf(connector.parseCallback(cb))).toEqual({
        kind: 'PAYMENT',
        providerEventId: 'c2b:RKL51ZDR4F',
        providerTransactionId: 'RKL51ZDR4F',
        providerRequestId: null,
        status: 'SUCCEEDED',
        amount: money(500n, 'KES'),
        accountReference: 'LN-2024-000187',
        payerReference: '2547 ***** 126',
        occurredAt: new Date('2023-11-21T09:13:25Z'),
        failureCode: null,
        failureMessage: null,
        needsConfirmation: false,
      });
    });

    it('acknowledges a C2B validation with the documented reply and keeps it as an IGNORED event', () => {
      const cb = callback(fixtureText('c2b-validation.json'), { kind: 'validation' });
      const verified = connector.verifyCallback(verifyInput(cb));
      expect(verified.ack).toEqual({ status: 200, body: { ResultCode: '0', ResultDesc: 'Accepted' } });
      expect(verified.events).toEqual([
        { providerEventId: 'c2b-validation:RKTQDM7W6S', eventType: 'c2b.validation' },
      ]);
      // The same body without ?kind=validation is the confirmation: a different event id, so both are stored.
      expect(
        connector.verifyCallback(verifyInput(callback(fixtureText('c2b-validation.json')))).events[0]
          .providerEventId,
      ).toBe('c2b:RKTQDM7W6S');
      expect(connector.parseCallback(cb)).toEqual([
        {
          kind: 'IGNORED',
          providerEventId: 'c2b-validation:RKTQDM7W6S',
          reason: expect.stringContaining('validation'),
        },
      ]);
    });

    it('parses a reversal Result: SUCCEEDED with the original receipt, amount and completion time', () => {
      const cb = callback(fixtureText('reversal-result-success.json'), { kind: 'result' });
      expect(connector.verifyCallback(verifyInput(cb)).events).toEqual([
        { providerEventId: 'result:AG_20211114_201018edbbf9f1582eaa', eventType: 'reversal.result' },
      ]);
      expect(reversalOf(connector.parseCallback(cb))).toEqual({
        kind: 'REVERSAL',
        providerEventId: 'result:AG_20211114_201018edbbf9f1582eaa',
        providerReversalId: 'AG_20211114_201018edbbf9f1582eaa',
        originalProviderTransactionId: 'SKC82PACB8',
        status: 'SUCCEEDED',
        amount: money(100n, 'KES'),
        occurredAt: new Date('2021-11-14T10:27:11Z'),
        failureCode: null,
      });
    });

    it('reads ReferenceItem and ResultParameter as an object or an array, and Value as missing, number or string', () => {
      const doc = fixture<{ Result: Record<string, any> }>('reversal-result-success.json');
      const params = doc.Result.ResultParameters.ResultParameter as Array<Record<string, unknown>>;
      doc.Result.ReferenceData.ReferenceItem = [doc.Result.ReferenceData.ReferenceItem, { Key: 'Occasion' }];
      doc.Result.ResultParameters.ResultParameter = params.map((p) =>
        p.Key === 'Amount' ? { Key: 'Amount', Value: '1.00' } : p,
      );
      expect(reversalOf(connector.parseCallback(callback(JSON.stringify(doc)))).amount).toEqual(
        money(100n, 'KES'),
      );
      doc.Result.ResultParameters.ResultParameter = { Key: 'OriginalTransactionID', Value: 'SKC82PACB8' };
      const single = reversalOf(connector.parseCallback(callback(JSON.stringify(doc))));
      expect(single).toMatchObject({
        status: 'SUCCEEDED',
        originalProviderTransactionId: 'SKC82PACB8',
        amount: null,
        occurredAt: null,
      });
      doc.Result.ResultParameters.ResultParameter = [
        { Key: 'OriginalTransactionID', Value: 'SKC82PACB8' },
        { Key: 'Amount' },
        { Key: 'TransCompletedTime', Value: '20211114132711' },
      ];
      expect(reversalOf(connector.parseCallback(callback(JSON.stringify(doc))))).toMatchObject({
        amount: null,
        occurredAt: new Date('2021-11-14T10:27:11Z'),
      });
    });

    it('maps reversal result codes: R000002 (string) FAILED, R000001 already reversed SUCCEEDED, "0" SUCCEEDED', () => {
      const invalid = reversalOf(
        connector.parseCallback(callback(fixtureText('reversal-result-invalid-R000002.json'))),
      );
      expect(invalid).toMatchObject({
        status: 'FAILED',
        failureCode: 'R000002',
        originalProviderTransactionId: null,
        amount: null,
        providerReversalId: 'AG_20211114_2010573069aefb6b625a',
      });
      const already = fixtureText('reversal-result-invalid-R000002.json').replace('"R000002"', '"R000001"');
      expect(reversalOf(connector.parseCallback(callback(already)))).toMatchObject({
        status: 'SUCCEEDED',
        failureCode: 'R000001',
      });
      const zeroString = fixtureText('reversal-result-success.json').replace(
        '"ResultCode": 0',
        '"ResultCode": "0"',
      );
      expect(reversalOf(connector.parseCallback(callback(zeroString)))).toMatchObject({
        status: 'SUCCEEDED',
        failureCode: null,
      });
      const insufficient = fixtureText('reversal-result-invalid-R000002.json').replace('"R000002"', '1');
      expect(reversalOf(connector.parseCallback(callback(insufficient)))).toMatchObject({
        status: 'FAILED',
        failureCode: '1',
      });
    });

    describe('Transaction Status Result', () => {
      type Doc = { Result: Record<string, any> };
      const parse = (doc: Doc | string) =>
        paymentOf(
          connector.parseCallback(
            callback(typeof doc === 'string' ? doc : JSON.stringify(doc), { kind: 'result' }),
          ),
        );
      const paramsOf = (doc: Doc) =>
        doc.Result.ResultParameters.ResultParameter as Array<Record<string, unknown>>;

      it('parses the documented sample into PAYMENT SUCCEEDED: receipt, exact KES, EAT time, no org as payer', () => {
        const cb = callback(fixtureText('transaction-status-result.json'), { kind: 'result' });
        const verified = connector.verifyCallback(verifyInput(cb));
        expect(verified.events).toEqual([
          {
            providerEventId: 'result:AG_20180223_0000493344ae97d86f75',
            eventType: 'transaction_status.result',
          },
        ]);
        expect(verified.ack).toEqual({ status: 200, body: { ResultCode: 0, ResultDesc: 'Accepted' } });
        expect(paymentOf(connector.parseCallback(cb))).toEqual({
          kind: 'PAYMENT',
          providerEventId: 'result:AG_20180223_0000493344ae97d86f75',
          providerTransactionId: 'MBN31H462N',
          providerRequestId: null,
          status: 'SUCCEEDED',
          amount: money(30000n, 'KES'),
          accountReference: null,
          // "600310 - Safaricom333" is the organisation that paid out (a B2C), not a payer.
          payerReference: null,
          occurredAt: new Date('2018-02-23T02:41:12Z'),
          failureCode: null,
          failureMessage: null,
          needsConfirmation: false,
        });
      });

      it('takes the payer from DebitPartyName when it names a person, and reads a number Amount exactly', () => {
        expect(parse(fixtureText('transaction-status-result-paybill.json'))).toEqual({
          kind: 'PAYMENT',
          providerEventId: 'result:AG_20240715_0000623a5c1f8e9d7b40',
          providerTransactionId: 'NEF61H8J60',
          providerRequestId: null,
          status: 'SUCCEEDED',
          amount: money(150000n, 'KES'),
          accountReference: null,
          payerReference: '254708374149 - JOHN DOE',
          occurredAt: new Date('2024-07-15T11:23:12Z'),
          failureCode: null,
          failureMessage: null,
          needsConfirmation: false,
        });
      });

      it('maps a failure (no parameters, Occasion echoed) to PAYMENT FAILED, with a number or string code', () => {
        const cb = callback(fixtureText('transaction-status-result-failed-2001.json'), { kind: 'result' });
        expect(connector.verifyCallback(verifyInput(cb)).events).toEqual([
          {
            providerEventId: 'result:AG_20180223_00004a1f6b9c2d3e4f50',
            eventType: 'transaction_status.result',
          },
        ]);
        expect(paymentOf(connector.parseCallback(cb))).toEqual({
          kind: 'PAYMENT',
          providerEventId: 'result:AG_20180223_00004a1f6b9c2d3e4f50',
          providerTransactionId: null,
          providerRequestId: null,
          status: 'FAILED',
          amount: null,
          accountReference: null,
          payerReference: null,
          occurredAt: null,
          failureCode: '2001',
          failureMessage: 'The initiator information is invalid.',
          needsConfirmation: false,
        });
        const stringCode = fixtureText('transaction-status-result-failed-2001.json').replace(
          '2001,',
          '"R000002",',
        );
        expect(parse(stringCode)).toMatchObject({ status: 'FAILED', failureCode: 'R000002' });
        const stringNumeric = fixtureText('transaction-status-result-failed-2001.json').replace(
          '2001,',
          '"2001",',
        );
        expect(parse(stringNumeric)).toMatchObject({ status: 'FAILED', failureCode: '2001' });
      });

      it('reads success codes as 0 or "0" alike', () => {
        const zeroString = fixtureText('transaction-status-result.json').replace(
          '"ResultCode": 0',
          '"ResultCode": "0"',
        );
        expect(zeroString).not.toBe(fixtureText('transaction-status-result.json'));
        expect(parse(zeroString)).toMatchObject({ status: 'SUCCEEDED', failureCode: null });
      });

      it('reads ReferenceItem as an array and ResultParameter as a single object; a missing Value is no value', () => {
        const doc = fixture<Doc>('transaction-status-result.json');
        doc.Result.ReferenceData.ReferenceItem = [
          { Key: 'Occasion', Value: 'lookup-MBN31H462N' },
          {
            Key: 'QueueTimeoutURL',
            Value: 'https://internalsandbox.safaricom.co.ke/mpesa/tsresults/v1/submit',
          },
        ];
        expect(parse(doc)).toMatchObject({ status: 'SUCCEEDED', amount: money(30000n, 'KES') });
        doc.Result.ResultParameters.ResultParameter = paramsOf(
          fixture<Doc>('transaction-status-result.json'),
        ).map((p) => (p.Key === 'Amount' || p.Key === 'FinalisedTime' ? { Key: p.Key } : p));
        expect(parse(doc)).toMatchObject({
          status: 'SUCCEEDED',
          providerTransactionId: 'MBN31H462N',
          amount: null,
          occurredAt: null,
        });
        // A lone parameter as an object: a receipt without TransactionStatus is not known to be completed.
        doc.Result.ResultParameters.ResultParameter = { Key: 'ReceiptNo', Value: 'MBN31H462N' };
        expect(parse(doc)).toMatchObject({
          status: 'PENDING',
          providerTransactionId: 'MBN31H462N',
          amount: null,
        });
      });

      it('reads duplicated keys: the first ReceiptNo wins; the first DebitPartyName naming a person is the payer', () => {
        const doc = fixture<Doc>('transaction-status-result-paybill.json');
        doc.Result.ResultParameters.ResultParameter = [
          { Key: 'DebitPartyName', Value: '600782 - Lipa Test Paybill' },
          { Key: 'DebitPartyName' },
          { Key: 'DebitPartyName', Value: '2547 ***** 149 - JOHN DOE' },
          { Key: 'DebitPartyName', Value: '254700000001 - SOMEONE ELSE' },
          ...paramsOf(doc).filter((p) => p.Key !== 'DebitPartyName'),
          { Key: 'ReceiptNo', Value: 'ZZZ0000000' },
          { Key: 'Amount', Value: '1.00' },
        ];
        expect(parse(doc)).toMatchObject({
          status: 'SUCCEEDED',
          providerTransactionId: 'NEF61H8J60',
          amount: money(150000n, 'KES'),
          payerReference: '2547 ***** 149 - JOHN DOE',
        });
        doc.Result.ResultParameters.ResultParameter = paramsOf(doc).map((p) =>
          p.Key === 'DebitPartyName' ? { Key: 'DebitPartyName', Value: 254708374149 } : p,
        );
        expect(parse(doc).payerReference).toBe('254708374149');
      });

      it.each([
        [
          'TransactionStatus other than Completed',
          (d: Doc) => setParam(d, 'TransactionStatus', 'Pending'),
          'PENDING',
        ],
        ['TransactionStatus missing', (d: Doc) => setParam(d, 'TransactionStatus', undefined), 'PENDING'],
        [
          'Completed in another case',
          (d: Doc) => setParam(d, 'TransactionStatus', ' completed '),
          'SUCCEEDED',
        ],
        ['Completed without a receipt', (d: Doc) => setParam(d, 'ReceiptNo', undefined), 'PENDING'],
        ['Completed with a malformed receipt', (d: Doc) => setParam(d, 'ReceiptNo', '<b>x</b>'), 'PENDING'],
        [
          'a non-zero code while more messages are due (ResultType 1)',
          (d: Doc) => Object.assign(d.Result, { ResultCode: 1, ResultType: 1 }),
          'PENDING',
        ],
        ['a non-zero code', (d: Doc) => Object.assign(d.Result, { ResultCode: 1 }), 'FAILED'],
      ] as const)('maps %s to %s', (_what, change, status) => {
        const doc = fixture<Doc>('transaction-status-result.json');
        change(doc);
        expect(parse(doc).status).toBe(status);
      });

      function setParam(doc: Doc, key: string, value: string | undefined): void {
        const rest = paramsOf(doc).filter((p) => p.Key !== key);
        doc.Result.ResultParameters.ResultParameter =
          value === undefined ? rest : [...rest, { Key: key, Value: value }];
      }

      it('is never confused with a reversal Result: reversal keys win, then status keys, then the Occasion echo', () => {
        expect(
          reversalOf(connector.parseCallback(callback(fixtureText('reversal-result-success.json')))).status,
        ).toBe('SUCCEEDED');
        expect(
          reversalOf(connector.parseCallback(callback(fixtureText('reversal-result-invalid-R000002.json'))))
            .failureCode,
        ).toBe('R000002');
        // Reversal-only keys decide even next to status keys or an Occasion echo.
        const mixed = fixture<Doc>('reversal-result-success.json');
        mixed.Result.ResultParameters.ResultParameter = [
          ...paramsOf(mixed),
          { Key: 'ReceiptNo', Value: 'MBN31H462N' },
          { Key: 'TransactionStatus', Value: 'Completed' },
        ];
        mixed.Result.ReferenceData.ReferenceItem = { Key: 'Occasion' };
        expect(reversalOf(connector.parseCallback(callback(JSON.stringify(mixed)))).providerReversalId).toBe(
          'AG_20211114_201018edbbf9f1582eaa',
        );
        // A parameter-less failure is a reversal unless it echoes Lipa's Occasion (sent on status queries only).
        const bare = fixture<Doc>('transaction-status-result-failed-2001.json');
        delete bare.Result.ReferenceData;
        expect(reversalOf(connector.parseCallback(callback(JSON.stringify(bare)))).failureCode).toBe('2001');
        const withOccasion = fixture<Doc>('reversal-result-invalid-R000002.json');
        withOccasion.Result.ReferenceData.ReferenceItem = [
          withOccasion.Result.ReferenceData.ReferenceItem,
          { Key: 'Occasion' },
        ];
        expect(parse(withOccasion)).toMatchObject({ status: 'FAILED', failureCode: 'R000002' });
      });

      it('refuses a non-positive or unreadable Amount with a ConnectorError', () => {
        for (const value of ['-300', '0', '1e309', 'ten', '300.001']) {
          const doc = fixture<Doc>('transaction-status-result.json');
          setParam(doc, 'Amount', value);
          const err = thrown(() => connector.parseCallback(callback(JSON.stringify(doc)))) as ConnectorError;
          expect(err).toBeInstanceOf(ConnectorError);
          expect(err.code).toBe('RESPONSE_DECODING_FAILED');
        }
      });
    });

    it('checks the token before reading the body', () => {
      const err = thrown(() =>
        connector.verifyCallback(verifyInput(callback('not even json'), 'wrong')),
      ) as ConnectorError;
      expect(err.code).toBe('WEBHOOK_SIGNATURE_INVALID');
      const good = thrown(() =>
        connector.verifyCallback(verifyInput(callback('not even json'))),
      ) as ConnectorError;
      expect(good.code).toBe('RESPONSE_DECODING_FAILED');
    });
  });

  describe('hostile callback bodies', () => {
    const stk = (inner: string) => `{"Body":{"stkCallback":${inner}}}`;
    const hostile: Array<[string, string | Buffer]> = [
      ['over the size limit', `{"TransID":"${'A'.repeat(70_000)}"}`],
      ['a huge id inside the limit', `{"TransID":"${'A'.repeat(60_000)}","TransAmount":"10"}`],
      [
        'a huge free-text field',
        `{"TransID":"RKL51ZDR4F","TransAmount":"10","BillRefNumber":"${'x'.repeat(60_000)}","MSISDN":"1"}`,
      ],
      ['deeply nested arrays', '['.repeat(20_000) + ']'.repeat(20_000)],
      ['deeply nested objects', '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000)],
      ['__proto__ at the root', '{"__proto__":{"TransID":"RKL51ZDR4F","TransAmount":"10","polluted":true}}'],
      [
        '__proto__ inside stkCallback',
        stk('{"__proto__":{"CheckoutRequestID":"ws_CO_1","ResultCode":0,"polluted":true}}'),
      ],
      [
        'constructor.prototype',
        '{"constructor":{"prototype":{"polluted":true}},"TransID":"RKL51ZDR4F","TransAmount":"10"}',
      ],
      [
        '__proto__ as an item name',
        stk(
          '{"CheckoutRequestID":"ws_CO_1","ResultCode":0,"CallbackMetadata":{"Item":[{"Name":"__proto__","Value":"x"},{"Name":"Amount","Value":{"nested":["junk"]}}]}}',
        ),
      ],
      [
        'Item that is not a list',
        stk('{"CheckoutRequestID":"ws_CO_1","ResultCode":0,"CallbackMetadata":{"Item":"junk"}}'),
      ],
      ['ResultCode as an object', stk('{"CheckoutRequestID":"ws_CO_1","ResultCode":{"$gt":0}}')],
      [
        'CheckoutRequestID with markup',
        stk('{"CheckoutRequestID":"<script>alert(1)</script>","ResultCode":0}'),
      ],
      ['an exponent amount', '{"TransID":"RKL51ZDR4F","TransAmount":"1e309"}'],
      ['a negative-looking amount object', '{"TransID":"RKL51ZDR4F","TransAmount":{"value":-1}}'],
      [
        'Result with junk parameters',
        '{"Result":{"ConversationID":"AG_1","ResultCode":0,"ResultParameters":{"ResultParameter":[null,1,"x",{"Key":{"a":1}},{"Key":"Amount","Value":[1]}]}}}',
      ],
      ['Result without a ConversationID', '{"Result":{"ResultCode":0}}'],
      [
        'status Result with junk values',
        '{"Result":{"ConversationID":"AG_1","ResultCode":0,"ResultParameters":{"ResultParameter":[{"Key":"ReceiptNo","Value":{"$ne":1}},{"Key":"TransactionStatus","Value":["Completed"]},{"Key":"Amount","Value":{"v":1}},{"Key":"DebitPartyName","Value":{"a":1}},{"Key":"FinalisedTime","Value":"99999999999999"}]}}}',
      ],
      [
        'status Result with a hostile amount',
        '{"Result":{"ConversationID":"AG_1","ResultCode":0,"ResultParameters":{"ResultParameter":[{"Key":"ReceiptNo","Value":"MBN31H462N"},{"Key":"TransactionStatus","Value":"Completed"},{"Key":"Amount","Value":1e308}]}}}',
      ],
      [
        'status Result with __proto__ keys and a huge party name',
        `{"Result":{"__proto__":{"polluted":true},"ConversationID":"AG_1","ResultCode":0,"ReferenceData":{"ReferenceItem":[{"Key":"__proto__","Value":"x"},{"Key":"Occasion"}]},"ResultParameters":{"ResultParameter":[{"Key":"__proto__","Value":"x"},{"Key":"ReceiptNo","Value":"MBN31H462N"},{"Key":"DebitPartyName","Value":"254708374149 - ${'N'.repeat(50_000)}"}]}}}`,
      ],
      [
        'status Result with thousands of parameters',
        `{"Result":{"ConversationID":"AG_1","ResultCode":"0","ResultParameters":{"ResultParameter":[${Array.from({ length: 2_000 }, () => '{"Key":"DebitPartyName","Value":"1"}').join(',')},{"Key":"ReceiptNo","Value":"MBN31H462N"}]}}}`,
      ],
      [
        'status Result with ResultCode null',
        '{"Result":{"ConversationID":"AG_1","ResultCode":null,"ReferenceData":{"ReferenceItem":{"Key":"Occasion"}}}}',
      ],
      ['not UTF-8', Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x22])],
      ['a JSON string', '"TransID"'],
      ['a number', '12345'],
    ];

    it.each(hostile)(
      'handles %s with a ConnectorError or an authentic-looking event, never a crash',
      (_what, body) => {
        const cb = callback(body);
        const queries: Array<Record<string, string>> = [{}, { kind: 'validation' }, { kind: 'stk' }];
        for (const query of queries) {
          const input = { ...cb, query };
          let events: RailEvent[] | undefined;
          const err = thrown(() => {
            connector.verifyCallback(verifyInput(input));
            events = connector.parseCallback(input);
          });
          if (err !== undefined) expect(err).toBeInstanceOf(ConnectorError);
          else for (const e of events!) expect(e.providerEventId.length).toBeLessThanOrEqual(120);
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.prototype).not.toHaveProperty('TransID');
      },
    );
  });

  describe('callback token check', () => {
    it('compares in constant time on equal-length buffers, whatever the token lengths', () => {
      const spy = jest.spyOn(crypto, 'timingSafeEqual');
      try {
        expect(callbackTokenMatches('short', 'a-much-longer-expected-token-value')).toBe(false);
        expect(callbackTokenMatches('a-much-longer-given-token-value-than-expected', 'short')).toBe(false);
        expect(callbackTokenMatches(CALLBACK_TOKEN, CALLBACK_TOKEN)).toBe(true);
        expect(callbackTokenMatches(CALLBACK_TOKEN.toUpperCase(), CALLBACK_TOKEN)).toBe(false);
        expect(spy).toHaveBeenCalledTimes(4);
        for (const [a, b] of spy.mock.calls) expect((a as Buffer).length).toBe((b as Buffer).length);
      } finally {
        spy.mockRestore();
      }
    });

    it('never matches a missing or empty token, even against an empty expected token', () => {
      expect(callbackTokenMatches(null, CALLBACK_TOKEN)).toBe(false);
      expect(callbackTokenMatches(undefined, CALLBACK_TOKEN)).toBe(false);
      expect(callbackTokenMatches('', '')).toBe(false);
      expect(callbackTokenMatches('x', '')).toBe(false);
      expect(callbackTokenMatches('tokén-ü', 'tokén-ü')).toBe(true);
      expect(callbackTokenMatches('tokén-u', 'tokén-ü')).toBe(false);
    });
  });

  describe('credentials', () => {
    it('accepts the documented fields and keeps the optional ones only when given', () => {
      expect(
        mpesaDefinition.parseCredentials({ ...rawCredentials, shortCode: ' 174379 ', extra: 'ignored' }),
      ).toEqual(rawCredentials);
      expect(
        mpesaDefinition.parseCredentials({
          ...rawCredentials,
          tillNumber: '5544332',
          transactionType: 'CustomerBuyGoodsOnline',
          registerUrlVersion: 'v2',
        }),
      ).toMatchObject({
        tillNumber: '5544332',
        transactionType: 'CustomerBuyGoodsOnline',
        registerUrlVersion: 'v2',
      });
    });

    it('names every bad field without echoing values', () => {
      const err = thrown(() =>
        mpesaDefinition.parseCredentials({
          consumerKey: 'k',
          consumerSecret: '',
          shortCode: 'SECRET-SHORTCODE',
          passkey: 42,
          initiatorName: 'op',
          transactionType: 'CustomerBuyGoodsOnline',
          registerUrlVersion: 'v9',
        }),
      ) as ConnectorError;
      expect(err).toBeInstanceOf(ConnectorError);
      expect(err.code).toBe('AUTH_CONFIG_INVALID');
      for (const field of [
        'consumerSecret',
        'shortCode',
        'passkey',
        'securityCredential',
        'tillNumber',
        'registerUrlVersion',
      ])
        expect(err.message).toContain(field);
      expect(err.message).not.toContain('SECRET-SHORTCODE');
      expect(err.message).not.toContain('v9');
      expect(err.message).not.toContain('consumerKey');
    });

    it('refuses a non-object', () => {
      for (const raw of [null, 'x', [], 7])
        expect(() => mpesaDefinition.parseCredentials(raw)).toThrow(
          expect.objectContaining({ code: 'AUTH_CONFIG_INVALID' }),
        );
    });

    it('describes the rail', () => {
      expect(mpesaDefinition.kind).toBe('MPESA');
      expect(mpesaDefinition.id).toBe('mpesa');
      expect(connector.capabilities).toEqual({
        currencies: ['KES'],
        push: true,
        payerInitiated: true,
        statusQuery: true,
        reversal: true,
        partialReversal: false,
        signedCallbacks: false,
      });
    });
  });
});
