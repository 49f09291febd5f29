import { ConnectorRegistry } from '../../src/connectors/registry';
import { PaymentRequest } from '../../src/entities/payment-request.entity';
import { Payment } from '../../src/entities/payment.entity';
import { scopedFork } from '../../src/services/scope';
import { startTestHub, type TestHub } from '../helpers/hub';
import { StubLender } from '../helpers/stub-lender';
import { stubRailDefinition, stubRailState } from '../helpers/stub-rail';

describe('pay-now requests, Idempotency-Key and operator reversals', () => {
  let hub: TestHub;
  let org: { orgId: string; adminKey: string };
  let lender: StubLender;
  let sourceId: string;
  let loanId: string;
  let hookUrl: string;

  beforeAll(async () => {
    lender = new StubLender();
    lender.addLoan('42', 1_056_000n, { accountNumber: '000000042' });
    hub = await startTestHub({
      workers: true,
      registry: new ConnectorRegistry()
        .registerLending(lender.definition())
        .registerRail(stubRailDefinition('MTN_MOMO')),
      env: { LIPA_PAYMENT_REQUEST_TIMEOUT_SECONDS: '10' },
    });
    org = await hub.createOrg();
    const ls = await hub.gql(
      'mutation { registerLendingSource(input: { kind: FINERACT, name: "L", baseUrl: "https://f.test/api/v1", credentials: {} }) { id } }',
      {},
      org.adminKey,
    );
    const lsId = ls.body.data.registerLendingSource.id;
    await hub.gql(`mutation { syncLoanAccounts(sourceId: "${lsId}") { id } }`, {}, org.adminKey);
    for (let i = 0; i < 200; i++) {
      const loans = await hub.gql('{ loanAccounts { edges { node { id } } } }', {}, org.adminKey);
      if (loans.body.data.loanAccounts.edges.length) {
        loanId = loans.body.data.loanAccounts.edges[0].node.id;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await hub.runtime.services.sync.refreshDetails(org.orgId, lsId, [loanId]);
    const ps = await hub.gql(
      'mutation($i: RegisterPaymentSourceInput!) { registerPaymentSource(input: $i) { id callbackUrl } }',
      { i: { kind: 'MTN_MOMO', name: 'MoMo', credentials: {}, lendingSourceId: lsId } },
      org.adminKey,
    );
    sourceId = ps.body.data.registerPaymentSource.id;
    hookUrl = ps.body.data.registerPaymentSource.callbackUrl.replace('http://127.0.0.1:4000', hub.url);
  });
  afterAll(async () => hub.close());

  const request = (key: string | null, amount = '50000', extra: Record<string, unknown> = {}) =>
    hub.gql(
      'mutation($i: RequestPaymentInput!) { requestPayment(input: $i) { id status rail amount { amount currency } phoneNumber providerRequestId expiresAt } }',
      { i: { loanAccountId: loanId, sourceId, amount: { amount, currency: 'UGX' }, ...extra } },
      org.adminKey,
      key ? { 'idempotency-key': key } : {},
    );

  it('sends a prompt to the borrower on file and returns a pending request with a masked phone', async () => {
    const res = await request('key-1');
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.requestPayment).toMatchObject({
      status: 'PENDING',
      rail: 'MTN_MOMO',
      amount: { amount: '50000', currency: 'UGX' },
      phoneNumber: '2567******56',
    });
    expect(stubRailState.initiated.at(-1)).toMatchObject({
      phoneNumber: '256772123456',
      amountMinor: 50000n,
    });
  });

  it('replays the first result for the same Idempotency-Key and refuses the key with other input', async () => {
    const before = stubRailState.initiated.length;
    const again = await request('key-1');
    expect(again.body.data.requestPayment.id).toEqual((await request('key-1')).body.data.requestPayment.id);
    expect(stubRailState.initiated.length).toBe(before);
    const other = await request('key-1', '1000');
    expect(other.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => request('key-2')));
    const ids = new Set(
      concurrent.filter((r) => r.body.data?.requestPayment).map((r) => r.body.data.requestPayment.id),
    );
    expect(ids.size).toBe(1);
    expect(
      concurrent.every(
        (r) => r.body.data?.requestPayment || r.body.errors?.[0]?.extensions?.code === 'CONFLICT',
      ),
    ).toBe(true);
    expect(stubRailState.initiated.length).toBe(before + 1);
  });

  it('rejects bad amounts, currencies, phones and unknown ids with BAD_USER_INPUT / NOT_FOUND', async () => {
    for (const [amount, code] of [
      ['0', 'BAD_USER_INPUT'],
      ['-5', 'BAD_USER_INPUT'],
      ['10.5', 'BAD_USER_INPUT'],
      ['1e5', 'BAD_USER_INPUT'],
      ['abc', 'BAD_USER_INPUT'],
    ] as const) {
      expect((await request(null, amount)).body.errors?.[0]?.extensions?.code).toBe(code);
    }
    const kes = await hub.gql(
      'mutation($i: RequestPaymentInput!) { requestPayment(input: $i) { id } }',
      { i: { loanAccountId: loanId, sourceId, amount: { amount: '10.00', currency: 'KES' } } },
      org.adminKey,
    );
    expect(kes.body.errors?.[0]?.message).toMatch(/loan is in UGX/);
    expect((await request(null, '100', { phoneNumber: 'call me' })).body.errors?.[0]?.extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
    const unknown = await hub.gql(
      'mutation($i: RequestPaymentInput!) { requestPayment(input: $i) { id } }',
      {
        i: {
          loanAccountId: 'loan_01JD000000000000000000000',
          sourceId,
          amount: { amount: '1', currency: 'UGX' },
        },
      },
      org.adminKey,
    );
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    stubRailState.declineNext = true;
    const declined = await request(null, '100');
    expect(declined.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const partner = await hub.createKey(org.orgId, 'PARTNER');
    const denied = await hub.gql(
      'mutation($i: RequestPaymentInput!) { requestPayment(input: $i) { id } }',
      { i: { loanAccountId: loanId, sourceId, amount: { amount: '1', currency: 'UGX' } } },
      partner,
    );
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('moves the request with the callback and matches the payment to the request loan', async () => {
    const created = (await request('key-3', '7000')).body.data.requestPayment;
    const res = await fetch(`${hookUrl}`, {
      method: 'POST',
      body: JSON.stringify({
        id: 'cb-3',
        txId: 'MOMO-TX-3',
        ref: created.providerRequestId,
        status: 'SUCCEEDED',
        amount: '7000',
        currency: 'UGX',
      }),
    });
    expect(res.status).toBe(200);
    for (let i = 0; i < 160; i++) {
      const r = await hub.gql(
        `{ paymentRequest(id: "${created.id}") { status paymentId } }`,
        {},
        org.adminKey,
      );
      if (r.body.data.paymentRequest.status === 'SUCCEEDED') {
        const p = await scopedFork(hub.runtime.orm.em, org.orgId).findOneOrFail(Payment, {
          id: r.body.data.paymentRequest.paymentId,
        });
        if (p.reconciliationState === 'POSTED') {
          expect(p.matchRule).toBe('PAYMENT_REQUEST');
          return;
        }
      }
      await new Promise((r2) => setTimeout(r2, 50));
    }
    throw new Error('request never settled');
  });

  it('re-queries a silent request, then expires it', async () => {
    const created = (await request(null, '3000')).body.data.requestPayment;
    stubRailState.status = 'PENDING';
    const svc = hub.runtime.services.paymentRequests;
    for (let i = 0; i < 3; i++) expect(await svc.checkPaymentRequest(org.orgId, created.id)).toBe('PENDING');
    await scopedFork(hub.runtime.orm.em, org.orgId).nativeUpdate(
      PaymentRequest,
      { id: created.id },
      { expiresAt: new Date(Date.now() - 1000) },
    );
    expect(await svc.checkPaymentRequest(org.orgId, created.id)).toBe('EXPIRED');
    const other = (await request(null, '4000')).body.data.requestPayment;
    stubRailState.status = 'SUCCEEDED';
    expect(await svc.checkPaymentRequest(org.orgId, other.id)).toBe('SUCCEEDED');
    const r = await hub.gql(`{ paymentRequest(id: "${other.id}") { status paymentId } }`, {}, org.adminKey);
    expect(r.body.data.paymentRequest.status).toBe('SUCCEEDED');
    stubRailState.status = 'PENDING';
  });

  it('reverses a payment only when the rail confirms, and undoes the lender posting', async () => {
    const p = await scopedFork(hub.runtime.orm.em, org.orgId).findOneOrFail(Payment, {
      providerTransactionId: 'MOMO-TX-3',
    });
    const agent = await hub.createKey(org.orgId, 'AGENT');
    expect(
      (
        await hub.gql(
          `mutation { reversePayment(input: { paymentId: "${p.id}", reason: "Paid twice" }) { id } }`,
          {},
          agent,
        )
      ).body.errors?.[0]?.extensions?.code,
    ).toBe('FORBIDDEN');
    const tooMuch = await hub.gql(
      `mutation { reversePayment(input: { paymentId: "${p.id}", reason: "x y", amount: { amount: "999999", currency: "UGX" } }) { id } }`,
      {},
      org.adminKey,
    );
    expect(tooMuch.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const res = await hub.gql(
      `mutation { reversePayment(input: { paymentId: "${p.id}", reason: "Paid twice" }) { id status providerReversalId lenderState amount { amount } } }`,
      {},
      org.adminKey,
    );
    expect(res.body.data.reversePayment).toMatchObject({ status: 'PENDING', amount: { amount: '7000' } });
    const stillSucceeded = await scopedFork(hub.runtime.orm.em, org.orgId).findOneOrFail(Payment, {
      id: p.id,
    });
    expect(stillSucceeded.status).toBe('SUCCEEDED');
    const dup = await hub.gql(
      `mutation { reversePayment(input: { paymentId: "${p.id}", reason: "Paid twice" }) { id } }`,
      {},
      org.adminKey,
    );
    expect(dup.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    await fetch(hookUrl, {
      method: 'POST',
      body: JSON.stringify({
        id: 'rev-cb',
        type: 'reversal',
        reversalId: res.body.data.reversePayment.providerReversalId,
        txId: 'MOMO-TX-3',
        status: 'SUCCEEDED',
        amount: '7000',
        currency: 'UGX',
      }),
    });
    for (let i = 0; i < 160; i++) {
      const x = await scopedFork(hub.runtime.orm.em, org.orgId).findOneOrFail(Payment, { id: p.id });
      if (x.reconciliationState === 'REVERSED_IN_LENDER') {
        expect(x.status).toBe('REVERSED');
        const list = await hub.gql(
          `{ reversals(paymentId: "${p.id}") { totalCount edges { node { status lenderState origin } } } }`,
          {},
          org.adminKey,
        );
        expect(list.body.data.reversals.edges[0].node).toEqual({
          status: 'SUCCEEDED',
          lenderState: 'REVERSED',
          origin: 'OPERATOR',
        });
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('reversal never reached the lender');
  });
});
