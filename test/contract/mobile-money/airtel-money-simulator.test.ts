/**
 * Airtel Money connector <-> loopback simulator: real HTTP on 127.0.0.1 both ways, including the callback POSTed to
 * the URL "configured on the app", received by a local server that verifies and parses it like the ingest path.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import nock from 'nock';
import { ConnectorError } from '../../../src/connectors/errors';
import {
  AirtelMoneyConnector,
  type AirtelMoneyCredentials,
} from '../../../src/connectors/mobile-money/airtel-money';
import type { RailEvent, VerifiedCallback } from '../../../src/connectors/types';
import { money } from '../../../src/domain/money';
import { createLogger } from '../../../src/logger';
import {
  startAirtelMoneySimulator,
  type AirtelMoneySimulator,
  type AirtelMoneySimulatorOptions,
} from '../../../src/simulators/airtel-money';
import { testRuntime } from '../../helpers/nock';

// nock 14 patches http once per process through @mswjs/interceptors; a later test file in the same jest worker
// gets a fresh nock whose interceptors are never consulted unless this file's copy is restored when it ends.
// (Belongs in test/helpers/setup-after-env.ts; kept here until it is there.)
afterAll(() => nock.restore());

const CREDENTIALS: AirtelMoneyCredentials = {
  clientId: 'c02e9e46-6f0b-4d7a-9e3c-1b2a3c4d5e6f',
  clientSecret: 'ab672211-8d3e-4f5a-b6c7-d8e9f0a1b2c3',
  country: 'UG',
  currency: 'UGX',
  callbackHashKey: 'airtel-callback-private-key',
};
const CALLBACK_TOKEN = 'cbtok_airtel_sim_Jx72Pq';

interface ReceivedCallback {
  rawBody: Buffer;
  verified: VerifiedCallback | ConnectorError;
}

/** A stand-in for Lipa's `/hooks/:sourceId/:token` route: verify on raw bytes, answer with the connector's ack. */
async function startCallbackReceiver(getConnector: () => AirtelMoneyConnector) {
  const waiters: Array<(cb: ReceivedCallback) => void> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const [, , , token] = url.pathname.split('/');
      const rawBody = Buffer.concat(chunks);
      let verified: VerifiedCallback | ConnectorError;
      try {
        verified = getConnector().verifyCallback({
          rawBody,
          headers: req.headers,
          method: req.method ?? 'POST',
          pathToken: token ?? null,
          query: Object.fromEntries(url.searchParams.entries()),
          expectedToken: CALLBACK_TOKEN,
        });
        res.writeHead(verified.ack.status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(verified.ack.body));
      } catch (err) {
        verified = err as ConnectorError;
        res.writeHead(401);
        res.end();
      }
      waiters.splice(0).forEach((w) => w({ rawBody, verified }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    callbackUrl: `http://127.0.0.1:${port}/hooks/psrc_airtel/${CALLBACK_TOKEN}`,
    next: () => new Promise<ReceivedCallback>((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const collectInput = (reference: string) => ({
  reference,
  idempotencyKey: '3f1c2b9e-0a4d-4c6e-9b8f-2d7e5a1c0b44',
  amount: money(50000n, 'UGX'),
  phoneNumber: '256752123456',
  accountReference: 'LN-2024-000187',
  description: 'Loan repayment',
  callbackUrl: 'https://unused.example/airtel-uses-the-app-callback-url',
});

describe('Airtel Money connector against the loopback simulator', () => {
  let sim: AirtelMoneySimulator;
  let connector: AirtelMoneyConnector;
  let receiver: Awaited<ReturnType<typeof startCallbackReceiver>>;
  const logLines: string[] = [];

  async function setup(options: Partial<AirtelMoneySimulatorOptions> = {}) {
    receiver = await startCallbackReceiver(() => connector);
    sim = await startAirtelMoneySimulator({
      clientId: CREDENTIALS.clientId,
      clientSecret: CREDENTIALS.clientSecret,
      callbackUrl: receiver.callbackUrl,
      callbackHashKey: CREDENTIALS.callbackHashKey,
      callbackDelayMs: 5,
      ...options,
    });
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk, _enc, cb) {
          logLines.push(String(chunk));
          cb();
        },
      }),
    });
    connector = new AirtelMoneyConnector(
      { baseUrl: sim.url, credentials: CREDENTIALS },
      testRuntime({ logger }),
    );
  }

  beforeEach(() => logLines.splice(0));

  afterEach(async () => {
    await sim?.close();
    await receiver?.close();
  });

  it('collects, receives the callback, confirms by enquiry and refunds once', async () => {
    await setup();
    const callback = receiver.next();
    const out = await connector.initiateCollection(collectInput('LN-2024-000187-05'));
    expect(out).toEqual({ providerRequestId: 'LN-2024-000187-05', status: 'PENDING' });

    const payRequest = sim.requests.find((r) => r.path === '/merchant/v1/payments/')!;
    expect(payRequest.rawBody).toContain('"amount":50000,');
    expect(JSON.parse(payRequest.rawBody).subscriber.msisdn).toBe('752123456');
    expect(payRequest.headers['x-country']).toBe('UG');
    expect(payRequest.headers['x-currency']).toBe('UGX');

    const cb = await callback;
    expect(cb.verified).not.toBeInstanceOf(Error);
    expect((cb.verified as VerifiedCallback).events).toEqual([
      { providerEventId: 'airtel:LN-2024-000187-05:TS', eventType: 'payment' },
    ]);
    // The simulator signs with the reading Lipa checks, so the informational check records a match.
    expect(logLines.join('')).toContain('"hashCheck":"matched"');

    const [event] = connector.parseCallback({ rawBody: cb.rawBody, headers: {}, query: {} });
    expect(event).toMatchObject({
      kind: 'PAYMENT',
      providerRequestId: 'LN-2024-000187-05',
      status: 'SUCCEEDED',
      needsConfirmation: true,
      amount: null,
    });
    const airtelMoneyId = (event as Extract<RailEvent, { kind: 'PAYMENT' }>).providerTransactionId!;

    await expect(
      connector.getCollectionStatus({ providerRequestId: 'LN-2024-000187-05', reference: 'x' }),
    ).resolves.toEqual({
      status: 'SUCCEEDED',
      providerTransactionId: airtelMoneyId,
      amount: null,
      failureCode: null,
      failureMessage: null,
    });

    const refundInput = {
      providerTransactionId: airtelMoneyId,
      providerRequestId: 'LN-2024-000187-05',
      amount: money(50000n, 'UGX'),
      originalAmount: money(50000n, 'UGX'),
      reference: 'rev_01JSIMAIRTEL000000000001',
      idempotencyKey: '7d2c9a1e-0a4d-4c6e-9b8f-2d7e5a1c0b47',
      reason: 'Duplicate payment',
      resultUrl: receiver.callbackUrl,
    };
    await expect(connector.reverseCollection(refundInput)).resolves.toEqual({
      providerReversalId: airtelMoneyId,
      status: 'PENDING',
    });
    await expect(connector.reverseCollection(refundInput)).rejects.toMatchObject({
      code: 'DECLINED',
      providerCode: 'DP00800001025',
    });
    expect(sim.requests.filter((r) => r.path === '/auth/oauth2/token')).toHaveLength(1);
  });

  it('reports a failed collection through callback and enquiry', async () => {
    await setup({ outcome: () => 'TF', failureResponseCode: 'DP00800001002' });
    const callback = receiver.next();
    await connector.initiateCollection(collectInput('LN-2024-000187-06'));
    const cb = await callback;
    const [event] = connector.parseCallback({ rawBody: cb.rawBody, headers: {}, query: {} });
    expect(event).toMatchObject({ kind: 'PAYMENT', status: 'FAILED', failureCode: 'TF' });
    await expect(
      connector.getCollectionStatus({ providerRequestId: 'LN-2024-000187-06', reference: 'x' }),
    ).resolves.toMatchObject({
      status: 'FAILED',
      failureCode: 'DP00800001002',
      failureMessage: 'Incorrect PIN',
    });
  });

  it('keeps an unsettled collection pending and reports an unknown one as NOT_FOUND', async () => {
    await setup({ outcome: () => 'TA' });
    await connector.initiateCollection(collectInput('LN-2024-000187-07'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(
      connector.getCollectionStatus({ providerRequestId: 'LN-2024-000187-07', reference: 'x' }),
    ).resolves.toMatchObject({ status: 'PENDING' });
    await expect(
      connector.getCollectionStatus({ providerRequestId: 'NEVER-SENT-1', reference: 'x' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses wrong client credentials as AUTH_CONFIG_INVALID', async () => {
    await setup();
    const wrong = new AirtelMoneyConnector(
      { baseUrl: sim.url, credentials: { ...CREDENTIALS, clientSecret: 'nope' } },
      testRuntime(),
    );
    await expect(wrong.initiateCollection(collectInput('LN-2024-000187-08'))).rejects.toMatchObject({
      code: 'AUTH_CONFIG_INVALID',
    });
  });
});
