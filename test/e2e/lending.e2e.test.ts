import { builtinRegistry } from '../../src/connectors/builtin';
import { startFineractSimulator, type FineractSimulator } from '../../src/simulators/fineract';
import { startTestHub, type TestHub } from '../helpers/hub';
import { stubRailDefinition } from '../helpers/stub-rail';

/**
 * End to end over loopback: Fineract simulator -> registerLendingSource -> syncLoanAccounts (worker) -> balances in
 * GraphQL equal the lender's figures to the minor unit -> a callback's payment is posted to the simulator once.
 */
describe('e2e: Fineract simulator -> sync -> GraphQL balances -> posting', () => {
  let hub: TestHub;
  let sim: FineractSimulator;
  let adminKey: string;
  let lendingSourceId: string;

  beforeAll(async () => {
    sim = await startFineractSimulator({
      port: 0,
      loans: 250,
      seed: 7,
      currency: 'UGX',
      tenantId: 'default',
      username: 'mifos',
      password: 'password',
    });
    hub = await startTestHub({
      workers: true,
      registry: builtinRegistry().registerRail(stubRailDefinition('STRIPE')),
    });
    adminKey = (await hub.createOrg('Fineract E2E')).adminKey;
  });
  afterAll(async () => {
    await hub.close();
    await sim.close();
  });

  async function waitForRun(id: string) {
    for (let i = 0; i < 400; i++) {
      const r = await hub.gql(
        `{ syncRun(id: "${id}") { status processed total failed error } }`,
        {},
        adminKey,
      );
      if (!['QUEUED', 'RUNNING'].includes(r.body.data.syncRun.status)) return r.body.data.syncRun;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error('sync did not finish');
  }

  it('refuses wrong credentials clearly and marks the source unhealthy', async () => {
    const bad = await hub.gql(
      'mutation($i: RegisterLendingSourceInput!) { registerLendingSource(input: $i) { id } }',
      {
        i: {
          kind: 'FINERACT',
          name: 'Wrong password',
          baseUrl: sim.url,
          credentials: { username: 'mifos', password: 'nope', tenantId: 'default' },
        },
      },
      adminKey,
    );
    const id = bad.body.data.registerLendingSource.id;
    const run = await hub.gql(`mutation { syncLoanAccounts(sourceId: "${id}") { id } }`, {}, adminKey);
    const done = await waitForRun(run.body.data.syncLoanAccounts.id);
    expect(done.status).toBe('FAILED');
    expect(done.error).toMatch(/rejected the credentials/);
    const sources = await hub.gql('{ sources { id status statusReason } }', {}, adminKey);
    expect(sources.body.data.sources.find((s: { id: string }) => s.id === id)).toMatchObject({
      status: 'UNHEALTHY',
      statusReason: expect.stringMatching(/credentials/),
    });
    const missing = await hub.gql(
      'mutation { registerLendingSource(input: { kind: FINERACT, name: "x", baseUrl: "http://127.0.0.1:1", credentials: { username: "u" } }) { id } }',
      {},
      adminKey,
    );
    expect(missing.body.errors?.[0]).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
      message: expect.stringMatching(/password[\s\S]*tenantId|tenantId[\s\S]*password/),
    });
  });

  it('syncs every loan and serves the lender balances exactly', async () => {
    const reg = await hub.gql(
      'mutation($i: RegisterLendingSourceInput!) { registerLendingSource(input: $i) { id } }',
      {
        i: {
          kind: 'FINERACT',
          name: 'Simulator',
          baseUrl: sim.url,
          credentials: { username: 'mifos', password: 'password', tenantId: 'default' },
        },
      },
      adminKey,
    );
    lendingSourceId = reg.body.data.registerLendingSource.id;
    const run = await hub.gql(
      `mutation { syncLoanAccounts(sourceId: "${lendingSourceId}") { id mode } }`,
      {},
      adminKey,
    );
    const done = await waitForRun(run.body.data.syncLoanAccounts.id);
    expect(done).toMatchObject({ status: 'SUCCEEDED', processed: 250, total: 250, failed: 0 });
    const page = await hub.gql(
      `{ loanAccounts(first: 100, filter: { sourceId: "${lendingSourceId}" }) { totalCount edges { node { externalId currency lenderOutstanding { amountMinor } balance { amountMinor } status } } } }`,
      {},
      adminKey,
    );
    expect(page.body.data.loanAccounts.totalCount).toBe(250);
    for (const { node } of page.body.data.loanAccounts.edges) {
      expect(node.currency).toBe('UGX');
      // Fineract reports a summary only from status 300 (active) on; a loan pending approval owes nothing yet.
      const expected =
        sim.state.statusId(node.externalId) >= 300
          ? sim.state.outstandingMinor(node.externalId).toString()
          : '0';
      expect(node.lenderOutstanding.amountMinor).toBe(expected);
      expect(node.balance.amountMinor).toBe(node.lenderOutstanding.amountMinor);
    }
  });

  it('posts a matched payment to Fineract exactly once and shows the new lender balance', async () => {
    const loans = await hub.gql(
      `{ loanAccounts(first: 100, filter: { sourceId: "${lendingSourceId}", status: ACTIVE }) { edges { node { id externalId accountNumber } } } }`,
      {},
      adminKey,
    );
    const target = loans.body.data.loanAccounts.edges
      .map((e: { node: { externalId: string } }) => e.node)
      .find((n: { externalId: string }) => sim.state.outstandingMinor(n.externalId) > 10_000n);
    const before = sim.state.outstandingMinor(target.externalId);
    const ps = await hub.gql(
      'mutation($i: RegisterPaymentSourceInput!) { registerPaymentSource(input: $i) { callbackUrl } }',
      { i: { kind: 'STRIPE', name: 'Rail', credentials: {}, lendingSourceId } },
      adminKey,
    );
    const hook = ps.body.data.registerPaymentSource.callbackUrl.replace('http://127.0.0.1:4000', hub.url);
    const body = JSON.stringify({
      id: 'e2e-1',
      txId: 'E2E-TX-1',
      status: 'SUCCEEDED',
      amount: '5000',
      currency: 'UGX',
      account: target.accountNumber,
    });
    const replies = await Promise.all([1, 2, 3].map(() => fetch(hook, { method: 'POST', body })));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    let payment: any;
    for (let i = 0; i < 300; i++) {
      const r = await hub.gql(
        '{ payments(filter: { providerTransactionId: "E2E-TX-1" }) { edges { node { id reconciliationState lenderTransactionId loanAccount { lenderOutstanding { amountMinor } balance { amountMinor } } } } } }',
        {},
        adminKey,
      );
      payment = r.body.data.payments.edges[0]?.node;
      if (payment?.reconciliationState === 'POSTED') break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(payment.reconciliationState).toBe('POSTED');
    expect(sim.state.outstandingMinor(target.externalId)).toBe(before - 5000n);
    expect(payment.loanAccount.lenderOutstanding.amountMinor).toBe((before - 5000n).toString());
    expect(payment.loanAccount.balance.amountMinor).toBe((before - 5000n).toString());
    // Posting again (a retry after a lost response) finds the first posting instead of paying twice.
    await hub.runtime.orm.em
      .getConnection()
      .execute(
        `update payment set reconciliation_state = 'MATCHED', posting_claimed_until = null where id = ?`,
        [payment.id],
      );
    const orgId = (
      await hub.runtime.orm.em
        .getConnection()
        .execute('select organization_id from payment where id = ?', [payment.id])
    )[0].organization_id;
    expect(await hub.runtime.services.posting.postPayment(orgId, payment.id)).toBe('ALREADY_POSTED');
    expect(sim.state.outstandingMinor(target.externalId)).toBe(before - 5000n);
  });
});
