/**
 * MTN MoMo connector <-> loopback simulator: real HTTP on 127.0.0.1 both ways, including the callback MTN sends to
 * `X-Callback-Url`, received by a local server that verifies and parses it the way the ingest path does.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { ConnectorError } from '../../../src/connectors/errors';
import { mtnMomoDefinition, type MtnMomoCredentials } from '../../../src/connectors/mobile-money/mtn-momo';
import type { MobileMoneyConnector, RailEvent, VerifiedCallback } from '../../../src/connectors/types';
import { money } from '../../../src/domain/money';
import {
  startMtnMomoSimulator,
  type MtnMomoSimulator,
  type MtnMomoSimulatorOptions,
} from '../../../src/simulators/mtn-momo';
import { testRuntime } from '../../helpers/nock';

// nock 14 patches http once per process through @mswjs/interceptors; a later test file in the same jest worker
// gets a fresh nock whose interceptors are never consulted unless this file's copy is restored when it ends.
// (Belongs in test/helpers/setup-after-env.ts; kept here until it is there.)
afterAll(() => nock.restore());

const CREDENTIALS: MtnMomoCredentials = {
  apiUser: 'b7e4c1a2-5d3f-4e8a-9c1b-2f6d8e0a4c11',
  apiKey: 'f1e2d3c4b5a6978812345678abcdef01',
  subscriptionKey: 'collection-subscription-key-0001',
  targetEnvironment: 'mtnuganda',
  disbursement: {
    apiUser: 'c8f5d2b3-6e4a-4f9b-8d2c-3a7e9f1b5d22',
    apiKey: 'a9b8c7d6e5f4031211223344556677ff',
    subscriptionKey: 'disbursement-subscription-key-0002',
  },
};
const CALLBACK_TOKEN = 'cbtok_simulator_Zq81Lm0Xv3';

interface ReceivedCallback {
  method: string;
  query: Record<string, string>;
  rawBody: Buffer;
  verified: VerifiedCallback | ConnectorError;
}

/** A stand-in for Lipa's `/hooks/:sourceId/:token` route: verify on raw bytes, answer with the connector's ack. */
async function startCallbackReceiver(connector: MobileMoneyConnector) {
  const received: ReceivedCallback[] = [];
  const waiters: Array<(cb: ReceivedCallback) => void> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const [, , , token] = url.pathname.split('/');
      const query = Object.fromEntries(url.searchParams.entries());
      const rawBody = Buffer.concat(chunks);
      let verified: VerifiedCallback | ConnectorError;
      try {
        verified = connector.verifyCallback({
          rawBody,
          headers: req.headers,
          method: req.method ?? 'POST',
          pathToken: token ?? null,
          query,
          expectedToken: CALLBACK_TOKEN,
        });
        res.writeHead(verified.ack.status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(verified.ack.body));
      } catch (err) {
        verified = err as ConnectorError;
        res.writeHead(401);
        res.end();
      }
      const cb = { method: req.method ?? '', query, rawBody, verified };
      received.push(cb);
      waiters.splice(0).forEach((w) => w(cb));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    callbackUrl: (token = CALLBACK_TOKEN) => `http://127.0.0.1:${port}/hooks/psrc_sim/${token}`,
    received,
    next: () => new Promise<ReceivedCallback>((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const collectInput = (callbackUrl: string, idempotencyKey: string, phoneNumber = '256772123456') => ({
  reference: 'preq_01JSIM00000000000000000001',
  idempotencyKey,
  amount: money(50000n, 'UGX'),
  phoneNumber,
  accountReference: 'LN-2024-000187',
  description: 'Loan repayment',
  callbackUrl,
});

describe('MTN MoMo connector against the loopback simulator', () => {
  let sim: MtnMomoSimulator;
  let connector: MobileMoneyConnector;
  let receiver: Awaited<ReturnType<typeof startCallbackReceiver>>;

  async function setup(options: Partial<MtnMomoSimulatorOptions> = {}) {
    sim = await startMtnMomoSimulator({
      apiUser: CREDENTIALS.apiUser,
      apiKey: CREDENTIALS.apiKey,
      subscriptionKey: CREDENTIALS.subscriptionKey,
      disbursement: CREDENTIALS.disbursement,
      callbackDelayMs: 5,
      ...options,
    });
    connector = mtnMomoDefinition.create({ baseUrl: sim.url, credentials: CREDENTIALS }, testRuntime());
    receiver = await startCallbackReceiver(connector);
  }

  afterEach(async () => {
    await receiver?.close();
    await sim?.close();
  });

  it.each(['PUT', 'POST'] as const)(
    'collects, receives the %s callback with ref, confirms by status and refunds',
    async (callbackMethod) => {
      await setup({ callbackMethod });
      const key = '5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
      const callback = receiver.next();
      const out = await connector.initiateCollection(collectInput(receiver.callbackUrl(), key));
      expect(out).toEqual({ providerRequestId: key, status: 'PENDING' });

      const cb = await callback;
      expect(cb.method).toBe(callbackMethod);
      expect(cb.query).toEqual({ ref: key });
      expect(cb.verified).not.toBeInstanceOf(Error);
      expect((cb.verified as VerifiedCallback).events).toEqual([
        { providerEventId: `rtp:${key}:SUCCESSFUL`, eventType: 'requesttopay' },
      ]);

      const [event] = connector.parseCallback({ rawBody: cb.rawBody, headers: {}, query: cb.query });
      expect(event).toMatchObject({
        kind: 'PAYMENT',
        providerRequestId: key,
        status: 'SUCCEEDED',
        needsConfirmation: true,
        amount: money(50000n, 'UGX'),
      });
      const payment = event as Extract<RailEvent, { kind: 'PAYMENT' }>;

      const status = await connector.getCollectionStatus({ providerRequestId: key, reference: 'preq_x' });
      expect(status).toEqual({
        status: 'SUCCEEDED',
        providerTransactionId: payment.providerTransactionId,
        amount: money(50000n, 'UGX'),
        failureCode: null,
        failureMessage: null,
      });
      expect(status.providerTransactionId).toMatch(/^\d{10}$/);

      const refundKey = '6b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e';
      const refund = await connector.reverseCollection({
        providerTransactionId: status.providerTransactionId!,
        providerRequestId: key,
        amount: money(50000n, 'UGX'),
        reference: 'rev_01JSIM0000000000000000001',
        idempotencyKey: refundKey,
        reason: 'Duplicate payment',
        resultUrl: receiver.callbackUrl(),
      });
      expect(refund).toEqual({ providerReversalId: refundKey, status: 'PENDING' });
      await expect(
        connector.getReversalStatus({ providerReversalId: refundKey, reference: 'rev_x' }),
      ).resolves.toEqual({ status: 'SUCCEEDED', failureCode: null });

      // One token per product, reused across calls.
      expect(sim.requests.filter((r) => r.path === '/collection/token/')).toHaveLength(1);
      expect(sim.requests.filter((r) => r.path === '/disbursement/token/')).toHaveLength(1);
      const rtp = sim.requests.find((r) => r.path === '/collection/v1_0/requesttopay')!;
      expect(rtp.body).toMatchObject({
        amount: '50000',
        currency: 'UGX',
        payer: { partyIdType: 'MSISDN', partyId: '256772123456' },
      });
    },
  );

  it('reports a failed request with its reason through callback and status', async () => {
    await setup({ outcome: () => 'FAILED', failureReason: 'NOT_ENOUGH_FUNDS' });
    const key = '7c3d4e5f-6a7b-4c8d-8e9f-1a2b3c4d5e6f';
    const callback = receiver.next();
    await connector.initiateCollection(collectInput(receiver.callbackUrl(), key));
    const cb = await callback;
    const [event] = connector.parseCallback({ rawBody: cb.rawBody, headers: {}, query: cb.query });
    expect(event).toMatchObject({
      kind: 'PAYMENT',
      status: 'FAILED',
      failureCode: 'NOT_ENOUGH_FUNDS',
      providerTransactionId: null,
    });
    await expect(
      connector.getCollectionStatus({ providerRequestId: key, reference: 'x' }),
    ).resolves.toMatchObject({
      status: 'FAILED',
      failureCode: 'NOT_ENOUGH_FUNDS',
    });
  });

  it('treats a repeated X-Reference-Id as accepted (409 RESOURCE_ALREADY_EXIST)', async () => {
    await setup({ outcome: () => 'PENDING' });
    const key = '8d4e5f6a-7b8c-4d9e-9f0a-2b3c4d5e6f7a';
    await connector.initiateCollection(collectInput(receiver.callbackUrl(), key));
    await expect(connector.initiateCollection(collectInput(receiver.callbackUrl(), key))).resolves.toEqual({
      providerRequestId: key,
      status: 'PENDING',
    });
    expect(sim.requests.filter((r) => r.path === '/collection/v1_0/requesttopay')).toHaveLength(2);
    await expect(
      connector.getCollectionStatus({ providerRequestId: key, reference: 'x' }),
    ).resolves.toMatchObject({ status: 'PENDING' });
  });

  it('reports an unknown reference as NOT_FOUND and a callback with the wrong token as rejected', async () => {
    await setup();
    await expect(
      connector.getCollectionStatus({
        providerRequestId: '9e5f6a7b-8c9d-4e0f-8a1b-3c4d5e6f7a8b',
        reference: 'x',
      }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const callback = receiver.next();
    await connector.initiateCollection(
      collectInput(receiver.callbackUrl('not-the-token'), '0f6a7b8c-9d0e-4f1a-9b2c-4d5e6f7a8b9c'),
    );
    const cb = await callback;
    expect(cb.verified).toBeInstanceOf(ConnectorError);
    expect((cb.verified as ConnectorError).code).toBe('WEBHOOK_SIGNATURE_INVALID');
  });

  it('refuses wrong credentials as AUTH_CONFIG_INVALID', async () => {
    await setup();
    const wrong = mtnMomoDefinition.create(
      { baseUrl: sim.url, credentials: { ...CREDENTIALS, apiKey: 'wrong-key' } },
      testRuntime(),
    );
    await expect(
      wrong.initiateCollection(collectInput(receiver.callbackUrl(), '1a7b8c9d-0e1f-4a2b-8c3d-5e6f7a8b9c0d')),
    ).rejects.toMatchObject({
      code: 'AUTH_CONFIG_INVALID',
    });
  });
});
