import { randomUUID } from 'node:crypto';
import { builtinRegistry } from '../../src/connectors/builtin';
import { startMtnMomoSimulator, type MtnMomoSimulator } from '../../src/simulators/mtn-momo';
import { startTestHub, type TestHub } from '../helpers/hub';
import { StubLender } from '../helpers/stub-lender';

/**
 * End to end over loopback: GraphQL requestPayment -> MTN MoMo simulator -> PUT callback to /hooks -> the hub confirms
 * by status query -> Payment visible in GraphQL with exact Money, matched to the loan and posted to the lender.
 */
describe('e2e: MTN MoMo request-to-pay through the simulator', () => {
  let hub: TestHub;
  let sim: MtnMomoSimulator;
  let adminKey: string;
  let loanId: string;
  let sourceId: string;
  const creds = {
    apiUser: randomUUID(),
    apiKey: 'f1e2d3c4b5a697887766554433221100',
    subscriptionKey: 'sub-key-0001',
  };
  const lender = new StubLender();

  beforeAll(async () => {
    lender.addLoan('42', 1_056_000n, { accountNumber: '000000042' });
    sim = await startMtnMomoSimulator({
      port: 0,
      ...creds,
      callbackDelayMs: 30,
      callbackMethod: 'PUT',
      outcome: (r) => (String(JSON.stringify(r)).includes('256700000001') ? 'FAILED' : 'SUCCESSFUL'),
    });
    hub = await startTestHub({
      workers: true,
      reachable: true,
      registry: builtinRegistry().registerLending(lender.definition()),
    });
    adminKey = (await hub.createOrg('E2E Lender')).adminKey;
    const ls = await hub.gql(
      'mutation { registerLendingSource(input: { kind: FINERACT, name: "Lender", baseUrl: "https://f.test/api/v1", credentials: {} }) { id } }',
      {},
      adminKey,
    );
    await hub.gql(
      `mutation { syncLoanAccounts(sourceId: "${ls.body.data.registerLendingSource.id}") { id } }`,
      {},
      adminKey,
    );
    for (let i = 0; i < 200 && !loanId; i++) {
      const r = await hub.gql('{ loanAccounts { edges { node { id } } } }', {}, adminKey);
      loanId = r.body.data.loanAccounts.edges[0]?.node.id;
      if (!loanId) await new Promise((res) => setTimeout(res, 50));
    }
    const ps = await hub.gql(
      'mutation($i: RegisterPaymentSourceInput!) { registerPaymentSource(input: $i) { id callbackUrl } }',
      {
        i: {
          kind: 'MTN_MOMO',
          name: 'MTN Uganda',
          baseUrl: sim.url,
          credentials: { ...creds, targetEnvironment: 'mtnuganda' },
          lendingSourceId: ls.body.data.registerLendingSource.id,
        },
      },
      adminKey,
    );
    expect(ps.body.errors).toBeUndefined();
    sourceId = ps.body.data.registerPaymentSource.id;
  });
  afterAll(async () => {
    await hub.close();
    await sim.close();
  });

  async function paymentOf(requestId: string) {
    for (let i = 0; i < 200; i++) {
      const r = await hub.gql(
        `{ paymentRequest(id: "${requestId}") { status paymentId failureCode } }`,
        {},
        adminKey,
      );
      const pr = r.body.data.paymentRequest;
      if (pr.status !== 'PENDING') return pr;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error('request did not settle');
  }

  it('settles a successful request-to-pay into a posted payment with exact UGX money', async () => {
    const res = await hub.gql(
      'mutation($i: RequestPaymentInput!) { requestPayment(input: $i) { id status providerRequestId } }',
      {
        i: {
          loanAccountId: loanId,
          sourceId,
          amount: { amount: '50000', currency: 'UGX' },
          phoneNumber: '+256 772 123456',
        },
      },
      adminKey,
    );
    expect(res.body.errors).toBeUndefined();
    const settled = await paymentOf(res.body.data.requestPayment.id);
    expect(settled.status).toBe('SUCCEEDED');
    let payment: any;
    for (let i = 0; i < 200; i++) {
      payment = (
        await hub.gql(
          `{ payment(id: "${settled.paymentId}") { rail status reconciliationState matchRule amount { amountMinor amount currency } loanAccount { id balance { amount } } } }`,
          {},
          adminKey,
        )
      ).body.data.payment;
      if (payment.reconciliationState === 'POSTED') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(payment).toEqual({
      rail: 'MTN_MOMO',
      status: 'SUCCEEDED',
      reconciliationState: 'POSTED',
      matchRule: 'ACCOUNT_REFERENCE', // MTN echoes the loan account number (payeeNote), the first rule in order
      amount: { amountMinor: '50000', amount: '50000', currency: 'UGX' },
      loanAccount: { id: loanId, balance: { amount: '1006000' } },
    });
    // The simulator saw the callback acknowledged and a confirming status query.
    expect(sim.callbacks.some((c) => c.result === 200)).toBe(true);
    expect(
      sim.requests.filter((r) => r.method === 'GET' && r.path.includes('/requesttopay/')).length,
    ).toBeGreaterThan(0);
  });

  it('records a failed prompt as a FAILED payment that agents can see bounced', async () => {
    const res = await hub.gql(
      'mutation($i: RequestPaymentInput!) { requestPayment(input: $i) { id } }',
      {
        i: {
          loanAccountId: loanId,
          sourceId,
          amount: { amount: '1000', currency: 'UGX' },
          phoneNumber: '256700000001',
        },
      },
      adminKey,
    );
    const settled = await paymentOf(res.body.data.requestPayment.id);
    expect(settled.status).toBe('FAILED');
    const failed = await hub.gql(
      '{ payments(filter: { status: FAILED }) { edges { node { status failureCode amount { amount } } } } }',
      {},
      adminKey,
    );
    expect(failed.body.data.payments.edges[0].node).toMatchObject({
      status: 'FAILED',
      amount: { amount: '1000' },
    });
  });
});
