/**
 * The M-Pesa connector against the loopback Daraja simulator: real HTTP both ways on 127.0.0.1. The simulator
 * posts its callbacks to a small local receiver that does what Lipa's `/hooks/:sourceId/:token` route does with a
 * connector: verify (token + body) and reply with the connector's ack.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConnectorError } from '../../../src/connectors/errors';
import {
  buildMpesaCallbackUrls,
  mpesaDefinition,
  type MpesaConnector,
} from '../../../src/connectors/mobile-money/mpesa';
import type { RailEvent, VerifiedCallback } from '../../../src/connectors/types';
import { money } from '../../../src/domain/money';
import {
  startMpesaSimulator,
  type MpesaSimulator,
  type MpesaSimulatorOutcome,
} from '../../../src/simulators/mpesa';
import { testRuntime } from '../../helpers/nock';

const PASSKEY = 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919';
const SOURCE_ID = 'psrc_sim1';
const TOKEN = 'tok_5b8e2c7a9d1f4e6b3a0c8d2e7f9a1b4c';
const simCredentials = {
  consumerKey: 'sim-consumer-key',
  consumerSecret: 'sim-consumer-secret',
  shortCode: '174379',
  passkey: PASSKEY,
};
const rawCredentials = {
  ...simCredentials,
  initiatorName: 'testapi',
  securityCredential: 'c2ltdWxhdGVkLWNyZWRlbnRpYWw=',
};

interface ReceivedCallback {
  token: string | null;
  query: Record<string, string>;
  rawBody: Buffer;
  verified: VerifiedCallback | null;
  rejection: ConnectorError | null;
}

/** A stand-in for Lipa's hooks route: `/hooks/:sourceId/:token`, verify with the connector, reply with its ack. */
async function startReceiver(connector: () => MpesaConnector) {
  const received: ReceivedCallback[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const [, hooks, , token] = url.pathname.split('/');
      const entry: ReceivedCallback = {
        token: hooks === 'hooks' && token ? decodeURIComponent(token) : null,
        query: Object.fromEntries(url.searchParams.entries()),
        rawBody: Buffer.concat(chunks),
        verified: null,
        rejection: null,
      };
      try {
        entry.verified = connector().verifyCallback({
          rawBody: entry.rawBody,
          headers: req.headers,
          method: req.method ?? 'POST',
          pathToken: entry.token,
          query: entry.query,
          expectedToken: TOKEN,
        });
        res.writeHead(entry.verified.ack.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(entry.verified.ack.body));
      } catch (err) {
        entry.rejection = err as ConnectorError;
        res.writeHead((err as ConnectorError).code === 'WEBHOOK_SIGNATURE_INVALID' ? 401 : 400);
        res.end();
      }
      received.push(entry);
      for (const w of waiters.filter((w) => received.length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    received,
    /** Resolves once `count` callbacks have arrived in total. */
    waitFor: (count: number) =>
      received.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ count, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function only<K extends RailEvent['kind']>(events: RailEvent[], kind: K): Extract<RailEvent, { kind: K }> {
  expect(events).toHaveLength(1);
  expect(events[0].kind).toBe(kind);
  return events[0] as Extract<RailEvent, { kind: K }>;
}

describe('M-Pesa connector <-> Daraja simulator over loopback', () => {
  let sim: MpesaSimulator;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let connector: MpesaConnector;
  let outcome: MpesaSimulatorOutcome;

  beforeEach(async () => {
    outcome = 'success';
    sim = await startMpesaSimulator({ ...simCredentials, outcome: () => outcome, callbackDelayMs: 5 });
    connector = mpesaDefinition.create(
      { baseUrl: sim.url, credentials: mpesaDefinition.parseCredentials(rawCredentials) },
      testRuntime(),
    ) as MpesaConnector;
    receiver = await startReceiver(() => connector);
  });

  afterEach(async () => {
    await sim.close();
    await receiver.close();
  });

  const urls = () => buildMpesaCallbackUrls(receiver.base, SOURCE_ID, TOKEN);
  const parse = (cb: ReceivedCallback) =>
    connector.parseCallback({ rawBody: cb.rawBody, headers: {}, query: cb.query });
  const push = () =>
    connector.initiateCollection({
      reference: 'preq_sim_1',
      idempotencyKey: '0f6b1a2c-3d4e-4f50-8a9b-0c1d2e3f4a5b',
      amount: money(50000n, 'KES'),
      phoneNumber: '254708374149',
      accountReference: 'LN-2024-000187',
      description: 'Loan repayment',
      callbackUrl: urls().stkCallbackUrl,
    });

  it('pays by STK push, receives and parses the callback, queries it, then reverses it', async () => {
    const initiated = await push();
    expect(initiated.status).toBe('PENDING');

    await receiver.waitFor(1);
    const stkCallback = receiver.received[0];
    expect(stkCallback.token).toBe(TOKEN);
    expect(stkCallback.query).toEqual({ kind: 'stk' });
    expect(stkCallback.verified!.events).toEqual([
      { providerEventId: `stk:${initiated.providerRequestId}`, eventType: 'stk.callback' },
    ]);
    await sim.settled();
    expect(sim.callbacks[0]).toMatchObject({
      kind: 'stk',
      status: 200,
      reply: { ResultCode: 0, ResultDesc: 'Accepted' },
    });

    const payment = only(parse(stkCallback), 'PAYMENT');
    expect(payment).toMatchObject({
      status: 'SUCCEEDED',
      providerRequestId: initiated.providerRequestId,
      providerTransactionId: expect.stringMatching(/^SIM\d{7}$/),
      amount: money(50000n, 'KES'),
      payerReference: '254708374149',
    });
    expect(payment.occurredAt).toBeInstanceOf(Date);

    const status = await connector.getCollectionStatus({
      providerRequestId: initiated.providerRequestId,
      reference: 'preq_sim_1',
    });
    expect(status).toEqual({
      status: 'SUCCEEDED',
      providerTransactionId: null,
      amount: null,
      failureCode: null,
      failureMessage: null,
    });

    const reverse = () =>
      connector.reverseCollection({
        providerTransactionId: payment.providerTransactionId!,
        providerRequestId: initiated.providerRequestId,
        amount: money(50000n, 'KES'),
        reference: 'rev_sim_1',
        idempotencyKey: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
        reason: 'Paid twice',
        resultUrl: urls().resultUrl,
      });
    const reversal = await reverse();
    expect(reversal).toEqual({ providerReversalId: expect.stringMatching(/^AG_\d{8}_/), status: 'PENDING' });
    await receiver.waitFor(2);
    const result = receiver.received[1];
    expect(result.query).toEqual({ kind: 'result' });
    expect(only(parse(result), 'REVERSAL')).toMatchObject({
      providerReversalId: reversal.providerReversalId,
      originalProviderTransactionId: payment.providerTransactionId,
      status: 'SUCCEEDED',
      amount: money(50000n, 'KES'),
      failureCode: null,
    });

    // Asking again (as after OUTCOME_UNKNOWN) is safe: M-Pesa answers R000001, read as SUCCEEDED.
    const again = await reverse();
    await receiver.waitFor(3);
    expect(only(parse(receiver.received[2]), 'REVERSAL')).toMatchObject({
      providerReversalId: again.providerReversalId,
      status: 'SUCCEEDED',
      failureCode: 'R000001',
    });

    // One token served every call.
    expect(sim.requests.filter((r) => r.path === '/oauth/v1/generate')).toHaveLength(1);
  });

  it('recovers a payment by its receipt: STK push succeeds, then Transaction Status answers with the receipt', async () => {
    const initiated = await push();
    await receiver.waitFor(1);
    const paid = only(parse(receiver.received[0]), 'PAYMENT');
    const receipt = paid.providerTransactionId!;
    expect(receipt).toMatch(/^SIM\d{7}$/);

    // As if the STK callback had been lost: only the receipt (from the payer's SMS) is known.
    const ack = await connector.queryTransactionStatus({
      transactionId: receipt,
      reference: `lookup-${receipt}`,
      resultUrl: urls().resultUrl,
    });
    expect(ack).toEqual({
      conversationId: expect.stringMatching(/^AG_\d{8}_/),
      originatorConversationId: expect.stringMatching(/^\d+-\d+-\d+$/),
    });
    expect(sim.requests.at(-1)).toMatchObject({
      path: '/mpesa/transactionstatus/v1/query',
      body: {
        CommandID: 'TransactionStatusQuery',
        TransactionID: receipt,
        PartyA: '174379',
        IdentifierType: '4',
        ResultURL: urls().resultUrl,
        Occasion: `lookup-${receipt}`,
      },
    });

    await receiver.waitFor(2);
    const result = receiver.received[1];
    expect(result.token).toBe(TOKEN);
    expect(result.query).toEqual({ kind: 'result' });
    expect(result.verified!.events).toEqual([
      { providerEventId: `result:${ack.conversationId}`, eventType: 'transaction_status.result' },
    ]);
    await sim.settled();
    expect(sim.callbacks.at(-1)).toMatchObject({
      kind: 'transaction-status-result',
      status: 200,
      reply: { ResultCode: 0, ResultDesc: 'Accepted' },
    });
    const recovered = only(parse(result), 'PAYMENT');
    expect(recovered).toEqual({
      kind: 'PAYMENT',
      providerEventId: `result:${ack.conversationId}`,
      providerTransactionId: receipt,
      providerRequestId: null,
      status: 'SUCCEEDED',
      amount: money(50000n, 'KES'),
      accountReference: null,
      payerReference: '254708374149 - SIMULATED PAYER',
      occurredAt: paid.occurredAt,
      failureCode: null,
      failureMessage: null,
      needsConfirmation: false,
    });
    expect(initiated.providerRequestId).not.toBe(ack.conversationId);
  });

  it('answers a Transaction Status query for an unknown receipt with a failure Result, read as PAYMENT FAILED', async () => {
    const ack = await connector.queryTransactionStatus({
      transactionId: 'NEF61H8J60',
      reference: 'lookup-NEF61H8J60',
      resultUrl: urls().resultUrl,
    });
    await receiver.waitFor(1);
    expect(only(parse(receiver.received[0]), 'PAYMENT')).toMatchObject({
      providerEventId: `result:${ack.conversationId}`,
      status: 'FAILED',
      failureCode: 'R000002',
      providerTransactionId: null,
      amount: null,
    });
  });

  it('answers a Transaction Status query from the wrong initiator with 2001', async () => {
    await sim.close();
    sim = await startMpesaSimulator({ ...simCredentials, initiatorName: 'someone-else' });
    connector = mpesaDefinition.create(
      { baseUrl: sim.url, credentials: mpesaDefinition.parseCredentials(rawCredentials) },
      testRuntime(),
    ) as MpesaConnector;
    await connector.queryTransactionStatus({
      transactionId: 'NEF61H8J60',
      reference: 'lookup-NEF61H8J60',
      resultUrl: urls().resultUrl,
    });
    await receiver.waitFor(1);
    expect(only(parse(receiver.received[0]), 'PAYMENT')).toMatchObject({
      status: 'FAILED',
      failureCode: '2001',
    });
  });

  it.each([
    ['cancelled', '1032'],
    ['insufficient', '1'],
  ] as const)('reports a %s prompt as FAILED in the callback and in the query', async (result, code) => {
    outcome = result;
    const initiated = await push();
    await receiver.waitFor(1);
    expect(only(parse(receiver.received[0]), 'PAYMENT')).toMatchObject({
      status: 'FAILED',
      failureCode: code,
      providerTransactionId: null,
      amount: null,
    });
    const status = await connector.getCollectionStatus({
      providerRequestId: initiated.providerRequestId,
      reference: 'preq_sim_1',
    });
    expect(status).toMatchObject({ status: 'FAILED', failureCode: code });
  });

  it('answers PENDING while the prompt is still open', async () => {
    await sim.close();
    sim = await startMpesaSimulator({ ...simCredentials, callbackDelayMs: 60_000 });
    connector = mpesaDefinition.create(
      { baseUrl: sim.url, credentials: mpesaDefinition.parseCredentials(rawCredentials) },
      testRuntime(),
    ) as MpesaConnector;
    const initiated = await push();
    const status = await connector.getCollectionStatus({
      providerRequestId: initiated.providerRequestId,
      reference: 'preq_sim_1',
    });
    expect(status.status).toBe('PENDING');
    expect(sim.requests.filter((r) => r.path === '/mpesa/stkpushquery/v1/query')).toHaveLength(1);
  });

  it('registers C2B URLs and acknowledges a paybill confirmation the Daraja way', async () => {
    const registered = await connector.registerC2bUrls({
      confirmationUrl: urls().confirmationUrl,
      validationUrl: urls().validationUrl,
    });
    expect(registered.description).toBe('success');
    expect(sim.registeredC2bUrls).toEqual({
      confirmationUrl: urls().confirmationUrl,
      validationUrl: urls().validationUrl,
      responseType: 'Completed',
    });

    const reply = await sim.sendC2bConfirmation(sim.registeredC2bUrls!.confirmationUrl, {
      transId: 'RKL51ZDR4F',
      amount: '500',
      billRef: ' ln-2024-000187',
      msisdn: '2547 ***** 126',
    });
    expect(reply).toEqual({ status: 200, body: { ResultCode: 0, ResultDesc: 'Success' } });
    expect(only(parse(receiver.received[0]), 'PAYMENT')).toMatchObject({
      providerEventId: 'c2b:RKL51ZDR4F',
      providerTransactionId: 'RKL51ZDR4F',
      status: 'SUCCEEDED',
      amount: money(50000n, 'KES'),
      accountReference: 'LN-2024-000187',
      payerReference: '2547 ***** 126',
      needsConfirmation: false,
    });
  });

  it('refuses a callback whose URL token is wrong', async () => {
    const forged = buildMpesaCallbackUrls(receiver.base, SOURCE_ID, 'tok_not_the_right_one').confirmationUrl;
    const reply = await sim.sendC2bConfirmation(forged, {
      transId: 'RKL51ZDR4G',
      amount: '10',
      billRef: 'X',
      msisdn: '1',
    });
    expect(reply.status).toBe(401);
    expect(receiver.received[0].rejection?.code).toBe('WEBHOOK_SIGNATURE_INVALID');
  });

  it('surfaces a wrong passkey as DECLINED and a wrong consumer secret as AUTH_CONFIG_INVALID', async () => {
    const wrongPasskey = mpesaDefinition.create(
      {
        baseUrl: sim.url,
        credentials: mpesaDefinition.parseCredentials({ ...rawCredentials, passkey: 'not-the-passkey' }),
      },
      testRuntime(),
    );
    await expect(
      wrongPasskey.initiateCollection({
        reference: 'p',
        idempotencyKey: 'k',
        amount: money(100n, 'KES'),
        phoneNumber: '254708374149',
        accountReference: 'LN1',
        description: 'Loan',
        callbackUrl: urls().stkCallbackUrl,
      }),
    ).rejects.toMatchObject({ code: 'DECLINED', providerCode: '400.002.02' });

    const wrongSecret = mpesaDefinition.create(
      {
        baseUrl: sim.url,
        credentials: mpesaDefinition.parseCredentials({ ...rawCredentials, consumerSecret: 'wrong' }),
      },
      testRuntime(),
    );
    await expect(
      wrongSecret.getCollectionStatus({ providerRequestId: 'ws_CO_1', reference: 'p' }),
    ).rejects.toMatchObject({ code: 'AUTH_CONFIG_INVALID' });
  });
});
