import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';
import { startRedis } from '../../src/db/servers';
import { startTestHub, type TestHub } from '../helpers/hub';

describe('HTTP edges and GraphQL limits', () => {
  let hub: TestHub;
  let adminKey: string;

  beforeAll(async () => {
    hub = await startTestHub();
    adminKey = (await hub.createOrg()).adminKey;
  });
  afterAll(async () => hub.close());

  it('serves /healthz, /readyz and /metrics', async () => {
    expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${hub.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { postgres: { ok: true }, redis: { ok: true }, migrations: { ok: true } },
    });
    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    expect(metrics).toContain('lipa_http_requests_total');
  });

  it('answers malformed JSON, unsupported bodies and oversized bodies on /graphql with clear errors', async () => {
    const bad = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_USER_INPUT' } }],
    });
    const huge = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ me { role } } # ${'x'.repeat(2 * 1024 * 1024)}` }),
    });
    expect(huge.status).toBe(413);
    const syntax = await hub.gql('{ me { role }', {}, adminKey);
    expect(syntax.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const unknownField = await hub.gql('{ me { nope } }', {}, adminKey);
    expect(unknownField.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badVar = await hub.gql(
      'query($id: ID!) { loanAccount(id: $id) { id } }',
      { id: { nested: true } },
      adminKey,
    );
    expect(badVar.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await hub.gql('{ me { role } }', {}, adminKey)).body.data.me.role).toBe('ADMIN');
  });

  it('rejects depth bombs and complexity bombs before execution', async () => {
    const deep = `{ loanAccounts { edges { node { payments { edges { node { loanAccount { payments { edges { node { loanAccount { payments { edges { node { id } } } } } } } } } } } } } } }`;
    const depth = await hub.gql(deep, {}, adminKey);
    expect(depth.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(depth.body.errors?.[0]?.message).toMatch(/levels deep; the limit is 10/);
    const wide = `{ loanAccounts(first: 100) { edges { node { payments(first: 100) { edges { node { id amount { amount } source { id } } } } } } } }`;
    const complexity = await hub.gql(wide, {}, adminKey);
    expect(complexity.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(complexity.body.errors?.[0]?.message).toMatch(/too complex/);
    const aliases = `{ ${Array.from({ length: 3000 }, (_, i) => `a${i}: me { role }`).join(' ')} }`;
    const aliasBomb = await hub.gql(aliases, {}, adminKey);
    expect(aliasBomb.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('validates pagination and money-like input', async () => {
    const res = await hub.gql('{ payments(first: 1000) { totalCount } }', {}, adminKey);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const cursor = await hub.gql('{ payments(after: "not-a-cursor") { totalCount } }', {}, adminKey);
    expect(cursor.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const src = await hub.gql(
      'mutation { registerLendingSource(input: { kind: FINERACT, name: "x", baseUrl: "ftp://nope", credentials: {} }) { id } }',
      {},
      adminKey,
    );
    expect(src.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('returns 404 JSON for unknown paths', async () => {
    const res = await fetch(`${hub.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'NOT_FOUND', message: 'No such endpoint' });
  });
});

describe('/readyz when Redis is down', () => {
  it('reports 503 naming Redis, and recovers when it returns', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lipa-redis-'));
    const redis = await startRedis({ dir });
    const hub = await startTestHub({ env: { REDIS_URL: redis.url } });
    try {
      expect((await fetch(`${hub.url}/readyz`)).status).toBe(200);
      redis.stop();
      await new Promise((r) => setTimeout(r, 300));
      const down = await fetch(`${hub.url}/readyz`);
      expect(down.status).toBe(503);
      const body = (await down.json()) as { checks: Record<string, { ok: boolean }> };
      expect(body.checks.redis.ok).toBe(false);
      expect(body.checks.postgres.ok).toBe(true);
      expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
    } finally {
      await hub.close();
      redis.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
