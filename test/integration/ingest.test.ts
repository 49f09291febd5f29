import { ConnectorRegistry } from '../../src/connectors/registry';
import { scopedFork } from '../../src/services/scope';
import { InboundEvent } from '../../src/entities/inbound-event.entity';
import { Payment } from '../../src/entities/payment.entity';
import { PaymentSource } from '../../src/entities/payment-source.entity';
import { OutboxEvent } from '../../src/entities/outbox-event.entity';
import { startTestHub, type TestHub } from '../helpers/hub';
import { stubRailDefinition } from '../helpers/stub-rail';
import { until } from '../helpers/wait';
import http from 'node:http';
import { gzipSync } from 'node:zlib';

describe('callback ingest (/hooks/:sourceId/:token)', () => {
  let hub: TestHub;
  let org: { orgId: string; adminKey: string };
  let sourceId: string;
  let callbackUrl: string;

  beforeAll(async () => {
    hub = await startTestHub({
      registry: new ConnectorRegistry().registerRail(stubRailDefinition('STRIPE')),
      workers: true,
    });
    org = await hub.createOrg();
    const res = await hub.gql(
      'mutation($i: RegisterPaymentSourceInput!) { registerPaymentSource(input: $i) { id callbackUrl kind } }',
      { i: { kind: 'STRIPE', name: 'Stub rail', credentials: { any: 'thing' } } },
      org.adminKey,
    );
    expect(res.body.errors).toBeUndefined();
    sourceId = res.body.data.registerPaymentSource.id;
    callbackUrl = res.body.data.registerPaymentSource.callbackUrl;
    expect(callbackUrl).toMatch(new RegExp(`^http://127.0.0.1:4000/hooks/${sourceId}/[A-Za-z0-9_-]{32}$`));
  });
  afterAll(async () => hub.close());

  const hookUrl = () => callbackUrl.replace('http://127.0.0.1:4000', hub.url);
  const post = (url: string, body: string | Buffer, method = 'POST') =>
    fetch(url, { method, headers: { 'content-type': 'application/json' }, body });

  it('stores concurrent duplicates once, counts them, and processes the event once', async () => {
    const body = JSON.stringify({
      id: 'evt-dup-1',
      txId: 'TX-DUP-1',
      status: 'SUCCEEDED',
      amount: '50000',
      currency: 'UGX',
      account: 'ln-0042',
    });
    const replies = await Promise.all(Array.from({ length: 25 }, () => post(hookUrl(), body)));
    expect(replies.map((r) => r.status)).toEqual(Array(25).fill(200));
    const em = scopedFork(hub.runtime.orm.em, org.orgId);
    const events = await em.find(InboundEvent, { providerEventId: 'evt-dup-1' });
    expect(events).toHaveLength(1);
    expect(events[0].duplicateCount).toBe(24);
    const payment = await until(() =>
      scopedFork(hub.runtime.orm.em, org.orgId).findOne(Payment, { providerTransactionId: 'TX-DUP-1' }),
    );
    expect(payment.amountMinor).toBe(50000n);
    expect(payment.currency).toBe('UGX');
    expect(payment.status).toBe('SUCCEEDED');
    expect(payment.accountReference).toBe('ln-0042');
    await until(
      async () =>
        (
          await scopedFork(hub.runtime.orm.em, org.orgId).findOne(InboundEvent, {
            providerEventId: 'evt-dup-1',
          })
        )?.status === 'PROCESSED',
    );
    const fresh = scopedFork(hub.runtime.orm.em, org.orgId);
    expect(await fresh.count(Payment, { providerTransactionId: 'TX-DUP-1' })).toBe(1);
    expect(await fresh.count(OutboxEvent, { type: 'payment.received', aggregateId: payment.id })).toBe(1);
  });

  it('accepts PUT as well as POST', async () => {
    const res = await post(
      hookUrl(),
      JSON.stringify({ id: 'evt-put-1', txId: 'TX-PUT-1', status: 'FAILED', amount: '100', currency: 'UGX' }),
      'PUT',
    );
    expect(res.status).toBe(200);
  });

  it('rejects a wrong or missing token with 401 and stores nothing', async () => {
    const body = JSON.stringify({ id: 'evt-bad-token', status: 'SUCCEEDED', amount: '1', currency: 'UGX' });
    const wrong = await post(`${hub.url}/hooks/${sourceId}/not-the-token`, body);
    expect(wrong.status).toBe(401);
    const missing = await post(`${hub.url}/hooks/${sourceId}`, body);
    expect(missing.status).toBe(401);
    const em = scopedFork(hub.runtime.orm.em, org.orgId);
    expect(await em.count(InboundEvent, { providerEventId: 'evt-bad-token' })).toBe(0);
  });

  it('answers unknown sources, malformed bodies and oversized bodies with clear errors', async () => {
    const unknown = await post(`${hub.url}/hooks/psrc_01JD000000000000000000000/x`, '{}');
    expect(unknown.status).toBe(404);
    const hostileId = await post(`${hub.url}/hooks/${encodeURIComponent("psrc_1' or 1=1--")}/x`, '{}');
    expect(hostileId.status).toBe(404);
    const malformed = await post(hookUrl(), '{"id": ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: 'BAD_USER_INPUT', message: expect.any(String) });
    const big = await post(hookUrl(), Buffer.alloc(2 * 1024 * 1024, 'a'));
    expect(big.status).toBe(413);
    // The process keeps serving.
    const ok = await post(
      hookUrl(),
      JSON.stringify({
        id: 'evt-after-bad',
        txId: 'TX-AFTER',
        status: 'SUCCEEDED',
        amount: '10',
        currency: 'UGX',
      }),
    );
    expect(ok.status).toBe(200);
  });

  it('keeps a reversal that arrives before its payment and applies both once the payment arrives', async () => {
    const reversal = JSON.stringify({
      id: 'evt-rev-early',
      type: 'reversal',
      reversalId: 'RV-1',
      txId: 'TX-LATE',
      status: 'SUCCEEDED',
      amount: '700',
      currency: 'UGX',
    });
    expect((await post(hookUrl(), reversal)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    const payment = JSON.stringify({
      id: 'evt-late-pay',
      txId: 'TX-LATE',
      status: 'SUCCEEDED',
      amount: '700',
      currency: 'UGX',
    });
    expect((await post(hookUrl(), payment)).status).toBe(200);
    // The reversal job is retried with backoff; run the sweeper-equivalent directly to avoid waiting on backoff.
    await until(() =>
      scopedFork(hub.runtime.orm.em, org.orgId).findOne(Payment, { providerTransactionId: 'TX-LATE' }),
    );
    const em = scopedFork(hub.runtime.orm.em, org.orgId);
    const rev = await em.findOneOrFail(InboundEvent, { providerEventId: 'evt-rev-early' });
    if (rev.status === 'RECEIVED')
      await hub.runtime.services.paymentEvents.processInboundEvent(org.orgId, rev.id, {
        finalAttempt: false,
      });
    const final = await until(async () => {
      const p = await scopedFork(hub.runtime.orm.em, org.orgId).findOne(Payment, {
        providerTransactionId: 'TX-LATE',
      });
      return p?.status === 'REVERSED' ? p : null;
    });
    expect(final.refundedMinor).toBe(700n);
  });

  it('records a success after a failure for the same transaction as a discrepancy, never a flip', async () => {
    expect(
      (
        await post(
          hookUrl(),
          JSON.stringify({ id: 'evt-f1', txId: 'TX-FLIP', status: 'FAILED', amount: '900', currency: 'UGX' }),
        )
      ).status,
    ).toBe(200);
    await until(
      async () =>
        (await scopedFork(hub.runtime.orm.em, org.orgId).findOne(InboundEvent, { providerEventId: 'evt-f1' }))
          ?.status === 'PROCESSED',
    );
    expect(
      (
        await post(
          hookUrl(),
          JSON.stringify({
            id: 'evt-s1',
            txId: 'TX-FLIP',
            status: 'SUCCEEDED',
            amount: '900',
            currency: 'UGX',
          }),
        )
      ).status,
    ).toBe(200);
    await until(
      async () =>
        (await scopedFork(hub.runtime.orm.em, org.orgId).findOne(InboundEvent, { providerEventId: 'evt-s1' }))
          ?.status === 'PROCESSED',
    );
    const res = await hub.gql(
      '{ payments(filter: { providerTransactionId: "TX-FLIP" }) { edges { node { status } } } }',
      {},
      org.adminKey,
    );
    expect(res.body.data.payments.edges).toEqual([{ node: { status: 'FAILED' } }]);
    const rows = await hub.runtime.orm.em
      .getConnection()
      .execute(
        `select type, summary from discrepancy where organization_id = ? and dedupe_key like 'out-of-order:%'`,
        [org.orgId],
      );
    expect(rows).toEqual([
      expect.objectContaining({
        type: 'UNMATCHED_PAYMENT',
        summary: expect.stringContaining('FAILED payment cannot become SUCCEEDED'),
      }),
    ]);
  });

  it('keeps a failure that names no money and no request as an event only, but flags a success without amount', async () => {
    const processed = (id: string) =>
      until(
        async () =>
          (await scopedFork(hub.runtime.orm.em, org.orgId).findOne(InboundEvent, { providerEventId: id }))
            ?.status === 'PROCESSED',
      );
    expect((await post(hookUrl(), JSON.stringify({ id: 'evt-nothing', status: 'FAILED' }))).status).toBe(200);
    await processed('evt-nothing');
    expect(
      (await post(hookUrl(), JSON.stringify({ id: 'evt-noamt', txId: 'TX-NOAMT', status: 'SUCCEEDED' })))
        .status,
    ).toBe(200);
    await processed('evt-noamt');
    const rows = await hub.runtime.orm.em
      .getConnection()
      .execute(
        `select dedupe_key from discrepancy where organization_id = ? and dedupe_key like 'no-amount:%' order by 1`,
        [org.orgId],
      );
    expect(rows).toEqual([{ dedupe_key: `no-amount:${sourceId}:evt-noamt` }]);
    const payments = await scopedFork(hub.runtime.orm.em, org.orgId).count(Payment, {
      providerTransactionId: { $in: ['req:evt-nothing', 'TX-NOAMT'] },
    });
    expect(payments).toBe(0);
  });

  it("handles the callback endpoint's HTTP edges: encodings, limits, request ids, query strings, odd paths", async () => {
    const em = () => scopedFork(hub.runtime.orm.em, org.orgId);
    const body = (id: string) =>
      JSON.stringify({ id, txId: `TX-${id}`, status: 'FAILED', amount: '5', currency: 'UGX' });

    // A gzip body is inflated before the connector sees it; the stored raw body is the inflated bytes.
    const gz = await fetch(`${hookUrl()}?ref=a&dup=1&dup=2`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'x-request-id': 'rid-edge.1',
      },
      body: gzipSync(Buffer.from(body('evt-gzip'))),
    });
    expect(gz.status).toBe(200);
    expect(gz.headers.get('x-request-id')).toBe('rid-edge.1');
    const stored = await em().findOneOrFail(
      InboundEvent,
      { providerEventId: 'evt-gzip' },
      { populate: ['rawBody'] },
    );
    expect(stored.rawBody.toString('utf8')).toBe(body('evt-gzip'));
    // Repeated query keys are dropped rather than guessed at; the stored headers carry no credentials.
    expect(stored.query).toEqual({ ref: 'a' });
    expect(stored.headers['content-encoding']).toBe('gzip');

    // An encoding we cannot read is refused with 415; nothing is stored.
    const compress = await fetch(hookUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'compress' },
      body: body('evt-compress'),
    });
    expect(compress.status).toBe(415);
    expect(await compress.json()).toEqual({
      error: 'BAD_USER_INPUT',
      message: 'Unsupported request encoding',
    });
    // A malformed request id is replaced, never echoed.
    expect(compress.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    // A gzip bomb is cut off at the limit once inflated.
    const bomb = await fetch(hookUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(Buffer.alloc(3 * 1024 * 1024, ' ')),
    });
    expect(bomb.status).toBe(413);
    // A declared length over the limit is refused before the body is read.
    const declared = await new Promise<{ status: number; body: string; connection?: string }>(
      (resolve, reject) => {
        const url = new URL(hookUrl());
        const req = http.request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'POST',
            headers: { 'content-length': 50 * 1024 * 1024 },
          },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => {
              req.destroy();
              resolve({ status: res.statusCode ?? 0, body: text, connection: res.headers.connection });
            });
          },
        );
        req.on('error', reject);
        req.write('{');
      },
    );
    expect(declared.status).toBe(413);
    expect(declared.connection).toBe('close');
    expect(JSON.parse(declared.body).error).toBe('BAD_USER_INPUT');

    // Undecodable or unknown paths are 404s; other methods fall through to the API's 404.
    expect((await post(`${hub.url}/hooks/%E0%A4%A/x`, '{}')).status).toBe(404);
    expect((await post(`${hub.url}/hooks/${sourceId}/a/b/c`, '{}')).status).toBe(404);
    const get = await fetch(hookUrl());
    expect(get.status).toBe(404);
    expect(await get.json()).toEqual({ error: 'NOT_FOUND', message: 'No such endpoint' });
    expect(await em().count(InboundEvent, { providerEventId: 'evt-compress' })).toBe(0);

    // The server keeps serving after all of that.
    expect((await post(hookUrl(), body('evt-after-edges'))).status).toBe(200);
  });

  it('reuses one connector per source and builds a new one when its credentials change', async () => {
    const { sources, secrets } = hub.runtime.services;
    const em = scopedFork(hub.runtime.orm.em, org.orgId);
    const source = await em.findOneOrFail(
      PaymentSource,
      { id: sourceId },
      { populate: ['credentialsEncrypted'] },
    );
    const first = sources.railConnector(source);
    expect(sources.railConnector(source)).toBe(first);
    const rotated = Object.assign(Object.create(Object.getPrototypeOf(source)), source, {
      credentialsEncrypted: secrets.sealJson({ any: 'rotated' }),
    });
    expect(sources.railConnector(rotated)).not.toBe(first);
  });
});
