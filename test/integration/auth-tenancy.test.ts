import { PERMISSIONS } from '../../src/auth/permissions';
import { ROLES, type Role } from '../../src/domain/enums';
import { seedLoanWithPayment } from '../factories';
import { startTestHub, type TestHub } from '../helpers/hub';

describe('authentication, roles and tenant isolation', () => {
  let hub: TestHub;
  let orgA: { orgId: string; adminKey: string };
  let orgB: { orgId: string; adminKey: string };
  let seedA: Awaited<ReturnType<typeof seedLoanWithPayment>>;
  let seedB: Awaited<ReturnType<typeof seedLoanWithPayment>>;
  const keys: Partial<Record<Role, string>> = {};

  beforeAll(async () => {
    hub = await startTestHub();
    orgA = await hub.createOrg('Lender A');
    orgB = await hub.createOrg('Lender B');
    for (const role of ROLES)
      keys[role] = role === 'ADMIN' ? orgA.adminKey : await hub.createKey(orgA.orgId, role);
    seedA = await seedLoanWithPayment(hub.runtime.orm, orgA.orgId, { accountNumber: 'A-0001' });
    seedB = await seedLoanWithPayment(hub.runtime.orm, orgB.orgId, { accountNumber: 'B-0001' });
  });
  afterAll(async () => hub.close());

  it('answers `me` with the caller organization and role', async () => {
    const res = await hub.gql('{ me { role actorType organization { id name } } }', {}, orgA.adminKey);
    expect(res.status).toBe(200);
    expect(res.body.data.me).toEqual({
      role: 'ADMIN',
      actorType: 'API_KEY',
      organization: { id: orgA.orgId, name: 'Lender A' },
    });
  });

  it.each([
    ['no header', null, 'UNAUTHENTICATED'],
    ['a garbage key', 'lipa_nope', 'UNAUTHENTICATED'],
    ['a well-formed unknown key', `lipa_${'a'.repeat(12)}_${'b'.repeat(43)}`, 'UNAUTHENTICATED'],
    ['a non-Lipa token without JWT configured', 'eyJhbGciOiJIUzI1NiJ9.e30.x', 'UNAUTHENTICATED'],
  ])('rejects %s', async (_label, key, code) => {
    const res = await hub.gql('{ me { role } }', {}, key);
    const errCode = res.body.errors?.[0]?.extensions?.code;
    expect(errCode).toBe(code);
    expect(res.body.data?.me ?? null).toBeNull();
  });

  it('rejects a malformed Authorization header with 401', async () => {
    const res = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Basic abc' },
      body: JSON.stringify({ query: '{ me { role } }' }),
    });
    expect(res.status).toBe(401);
    expect(
      ((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code,
    ).toBe('UNAUTHENTICATED');
  });

  it('rejects a revoked key', async () => {
    const key = await hub.createKey(orgA.orgId, 'AGENT');
    const me = await hub.gql('{ me { actorId } }', {}, key);
    const id = me.body.data.me.actorId;
    const revoke = await hub.gql(
      'mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }',
      { id },
      orgA.adminKey,
    );
    expect(revoke.body.data.revokeApiKey.revokedAt).toEqual(expect.any(String));
    const after = await hub.gql('{ me { role } }', {}, key);
    expect(after.status).toBe(401);
    expect(after.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  const operations: Array<{
    name: keyof typeof PERMISSIONS;
    query: (ctx: { loanId: string; paymentId: string }) => string;
  }> = [
    { name: 'me', query: () => '{ me { role } }' },
    { name: 'readSources', query: () => '{ sources { id name } }' },
    { name: 'readLoans', query: (c) => `{ loanAccount(id: "${c.loanId}") { id } }` },
    { name: 'readPayments', query: (c) => `{ payment(id: "${c.paymentId}") { id } }` },
    { name: 'manageApiKeys', query: () => '{ apiKeys { id } }' },
    { name: 'readDiscrepancies', query: () => '{ discrepancies(first: 5) { totalCount } }' },
    { name: 'reconcile', query: () => '{ reconciliationRuns(first: 5) { totalCount } }' },
  ];

  it.each(ROLES.flatMap((role) => operations.map((op) => [role, op.name] as const)))(
    'role %s on %s follows the permission table',
    async (role, opName) => {
      const op = operations.find((o) => o.name === opName)!;
      const res = await hub.gql(
        op.query({ loanId: seedA.loan.id, paymentId: seedA.payment.id }),
        {},
        keys[role],
      );
      const allowed = (PERMISSIONS[opName] as readonly string[]).includes(role);
      if (allowed) {
        expect(res.body.errors).toBeUndefined();
      } else {
        expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      }
    },
  );

  it("cannot read another organization's rows by id", async () => {
    const loan = await hub.gql(`{ loanAccount(id: "${seedB.loan.id}") { id } }`, {}, orgA.adminKey);
    expect(loan.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const payment = await hub.gql(`{ payment(id: "${seedB.payment.id}") { id } }`, {}, orgA.adminKey);
    expect(payment.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const borrower = await hub.gql(`{ borrower(id: "${seedB.borrower.id}") { id } }`, {}, orgA.adminKey);
    expect(borrower.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const revoke = await hub.gql(
      `mutation { revokeApiKey(id: "${orgB.adminKey ? 'key_00000000000000000000000000' : ''}") { id } }`,
      {},
      orgA.adminKey,
    );
    expect(revoke.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it("cannot see another organization's rows in lists", async () => {
    const loans = await hub.gql(
      '{ loanAccounts(first: 100) { totalCount edges { node { id accountNumber } } } }',
      {},
      orgA.adminKey,
    );
    expect(loans.body.data.loanAccounts.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([
      seedA.loan.id,
    ]);
    expect(loans.body.data.loanAccounts.totalCount).toBe(1);
    const payments = await hub.gql(
      '{ payments(first: 100) { totalCount edges { node { id } } } }',
      {},
      orgB.adminKey,
    );
    expect(payments.body.data.payments.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([
      seedB.payment.id,
    ]);
    const sources = await hub.gql('{ sources { id } }', {}, orgB.adminKey);
    const ids = sources.body.data.sources.map((s: { id: string }) => s.id);
    expect(ids).toEqual(expect.arrayContaining([seedB.lending.id, seedB.paymentSource.id]));
    expect(ids).not.toContain(seedA.lending.id);
  });

  it('shows balances as lender outstanding minus unposted payments (invariant 4)', async () => {
    const res = await hub.gql(
      `{ loanAccount(id: "${seedA.loan.id}") { lenderOutstanding { amountMinor amount currency } unpostedPayments { amountMinor } unpostedReversals { amountMinor } balance { amountMinor amount } agingBucket daysPastDue } }`,
      {},
      orgA.adminKey,
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.loanAccount).toEqual({
      lenderOutstanding: { amountMinor: '1056000', amount: '1056000', currency: 'UGX' },
      unpostedPayments: { amountMinor: '50000' },
      unpostedReversals: { amountMinor: '0' },
      balance: { amountMinor: '1006000', amount: '1006000' },
      agingBucket: 'D31_60',
      daysPastDue: 50,
    });
  });

  it('masks borrower contact data for agents not assigned and for partners', async () => {
    const q = `{ loanAccount(id: "${seedA.loan.id}") { borrower { displayName phoneNumber email contactVisible } } }`;
    const admin = await hub.gql(q, {}, orgA.adminKey);
    expect(admin.body.data.loanAccount.borrower).toEqual({
      displayName: 'Aisha Namuli',
      phoneNumber: '256772123456',
      email: 'aisha@example.com',
      contactVisible: true,
    });
    const agent = await hub.gql(q, {}, keys.AGENT);
    expect(agent.body.data.loanAccount.borrower).toEqual({
      displayName: 'A. N.',
      phoneNumber: '2567******56',
      email: 'a***@example.com',
      contactVisible: false,
    });
    const partnerPayment = await hub.gql(
      `{ payment(id: "${seedA.payment.id}") { payerReference loanAccount { id } } }`,
      {},
      keys.PARTNER,
    );
    expect(partnerPayment.body.data.payment).toEqual({ payerReference: '2567******56', loanAccount: null });
  });

  it('creates API keys only for admins, and a created key works once shown', async () => {
    const res = await hub.gql(
      'mutation { createApiKey(input: { name: "desk", role: SUPERVISOR }) { key apiKey { role prefix } } }',
      {},
      orgA.adminKey,
    );
    const key = res.body.data.createApiKey.key as string;
    expect(key).toMatch(/^lipa_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(res.body.data.createApiKey.apiKey.prefix)).toBe(true);
    const me = await hub.gql('{ me { role } }', {}, key);
    expect(me.body.data.me.role).toBe('SUPERVISOR');
    const bad = await hub.gql(
      'mutation { createApiKey(input: { name: "", role: ADMIN }) { key } }',
      {},
      orgA.adminKey,
    );
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
