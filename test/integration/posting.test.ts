import { ConnectorRegistry } from '../../src/connectors/registry';
import { Discrepancy } from '../../src/entities/discrepancy.entity';
import { LoanAccount } from '../../src/entities/loan-account.entity';
import { Payment } from '../../src/entities/payment.entity';
import { OutboxEvent } from '../../src/entities/outbox-event.entity';
import { scopedFork } from '../../src/services/scope';
import { startTestHub, type TestHub } from '../helpers/hub';
import { connectStubLender, StubLender } from '../helpers/stub-lender';
import { stubRailDefinition } from '../helpers/stub-rail';
import { until } from '../helpers/wait';

describe('matching and exactly-once posting', () => {
  let hub: TestHub;
  let org: { orgId: string; adminKey: string };
  let lender: StubLender;
  let hookUrl: string;

  beforeAll(async () => {
    lender = new StubLender();
    lender.addLoan('42', 1_056_000n, { accountNumber: '000000042', externalReference: 'LN-UG-2024-0042' });
    lender.addLoan('43', 30_000n, { accountNumber: '000000043' });
    lender.addLoan('44', 500_000n, {
      accountNumber: '000000044',
      currency: 'KES',
      principal: { amountMinor: 1n, currency: 'KES' },
      outstanding: { amountMinor: 500_000n, currency: 'KES' },
      overdue: { amountMinor: 0n, currency: 'KES' },
    });
    hub = await startTestHub({
      workers: true,
      registry: new ConnectorRegistry()
        .registerLending(lender.definition())
        .registerRail(stubRailDefinition('STRIPE')),
    });
    org = await hub.createOrg();
    ({ hookUrl } = await connectStubLender(hub, org.adminKey));
  });
  afterAll(async () => hub.close());

  const send = (body: Record<string, unknown>) =>
    fetch(hookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const em = () => scopedFork(hub.runtime.orm.em, org.orgId);

  it('matches a callback by account reference, posts it once, and shows the lender balance', async () => {
    expect(
      (
        await send({
          id: 'e1',
          txId: 'TX-1',
          status: 'SUCCEEDED',
          amount: '50000',
          currency: 'UGX',
          account: 'ln ug 2024 0042',
        })
      ).status,
    ).toBe(200);
    const p = await until(async () => {
      const x = await em().findOne(Payment, { providerTransactionId: 'TX-1' });
      return x?.reconciliationState === 'POSTED' ? x : null;
    });
    expect(p.matchRule).toBe('ACCOUNT_REFERENCE');
    expect(p.lenderTransactionId).toEqual(expect.any(String));
    expect(lender.postCalls.filter((c) => c.externalId === p.id)).toHaveLength(1);
    const res = await hub.gql(
      `{ payment(id: "${p.id}") { reconciliationState loanAccount { accountNumber lenderOutstanding { amount } unpostedPayments { amount } balance { amount } } } }`,
      {},
      org.adminKey,
    );
    expect(res.body.data.payment).toEqual({
      reconciliationState: 'POSTED',
      loanAccount: {
        accountNumber: '000000042',
        lenderOutstanding: { amount: '1006000' },
        unpostedPayments: { amount: '0' },
        balance: { amount: '1006000' },
      },
    });
    expect(await em().count(OutboxEvent, { type: 'payment.posted', aggregateId: p.id })).toBe(1);
  });

  it('posts exactly once under concurrent workers and a timeout after the lender committed', async () => {
    lender.timeoutsAfterCommit = 1;
    const payment = await (async () => {
      expect(
        (
          await send({
            id: 'e2',
            txId: 'TX-2',
            status: 'SUCCEEDED',
            amount: '1000',
            currency: 'UGX',
            account: '000000042',
          })
        ).status,
      ).toBe(200);
      return until(() => em().findOne(Payment, { providerTransactionId: 'TX-2' }));
    })();
    // Race three more posting attempts against the job.
    await Promise.allSettled(
      [1, 2, 3].map(() => hub.runtime.services.posting.postPayment(org.orgId, payment.id)),
    );
    const posted = await until(async () => {
      const x = await em().findOne(Payment, { id: payment.id });
      if (x?.reconciliationState !== 'POSTED') {
        await hub.runtime.services.posting.postPayment(org.orgId, payment.id).catch(() => undefined);
        await em()
          .getConnection()
          .execute(
            'update payment set posting_claimed_until = null where id = ? and reconciliation_state <> ?',
            [payment.id, 'POSTED'],
          );
        return null;
      }
      return x;
    });
    expect(posted.reconciliationState).toBe('POSTED');
    expect([...lender.posted.keys()].filter((k) => k === payment.id)).toHaveLength(1);
    expect(
      new Set(lender.postCalls.filter((c) => c.externalId === payment.id).map((c) => c.idempotencyKey)).size,
    ).toBe(1);
  });

  it('posts what the lender accepts on overpayment and raises OVERPAYMENT', async () => {
    expect(
      (
        await send({
          id: 'e3',
          txId: 'TX-3',
          status: 'SUCCEEDED',
          amount: '45000',
          currency: 'UGX',
          account: '000000043',
        })
      ).status,
    ).toBe(200);
    const p = await until(async () => {
      const x = await em().findOne(Payment, { providerTransactionId: 'TX-3' });
      return x?.reconciliationState === 'POSTED' ? x : null;
    });
    expect(p.postedAmountMinor).toBe(30_000n);
    const d = await em().findOneOrFail(Discrepancy, { payment: p.id, type: 'OVERPAYMENT' });
    expect(d.amountMinor).toBe(15_000n);
  });

  it('raises CURRENCY_MISMATCH and posts nothing when currencies differ', async () => {
    expect(
      (
        await send({
          id: 'e4',
          txId: 'TX-4',
          status: 'SUCCEEDED',
          amount: '100',
          currency: 'UGX',
          account: '000000044',
        })
      ).status,
    ).toBe(200);
    const d = await until(() => em().findOne(Discrepancy, { type: 'CURRENCY_MISMATCH' }));
    const p = await em().findOneOrFail(Payment, { providerTransactionId: 'TX-4' });
    expect(d.payment?.id).toBe(p.id);
    expect(lender.postCalls.some((c) => c.externalId === p.id)).toBe(false);
  });

  it('lists an unmatched payment as a discrepancy, and a manual match posts it and resolves it', async () => {
    expect(
      (
        await send({
          id: 'e5',
          txId: 'TX-5',
          status: 'SUCCEEDED',
          amount: '2000',
          currency: 'UGX',
          account: 'NOBODY-KNOWS',
        })
      ).status,
    ).toBe(200);
    const d = await until(() =>
      em().findOne(Discrepancy, { type: 'UNMATCHED_PAYMENT', dedupeKey: { $like: 'unmatched:%' } }),
    );
    const loan = await em().findOneOrFail(LoanAccount, { externalId: '42' });
    const agent = await hub.createKey(org.orgId, 'AGENT');
    const denied = await hub.gql(
      `mutation { matchPayment(paymentId: "${d.payment!.id}", loanAccountId: "${loan.id}") { id } }`,
      {},
      agent,
    );
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const res = await hub.gql(
      `mutation { matchPayment(paymentId: "${d.payment!.id}", loanAccountId: "${loan.id}") { reconciliationState matchRule } }`,
      {},
      org.adminKey,
    );
    expect(res.body.data.matchPayment).toEqual({ reconciliationState: 'MATCHED', matchRule: 'MANUAL' });
    await until(
      async () => (await em().findOne(Payment, { id: d.payment!.id }))?.reconciliationState === 'POSTED',
    );
    expect((await em().findOneOrFail(Discrepancy, { id: d.id })).status).toBe('RESOLVED');
  });

  it('undoes the lender posting once when the rail reverses a posted payment', async () => {
    const p = await em().findOneOrFail(Payment, { providerTransactionId: 'TX-1' });
    expect(
      (
        await send({
          id: 'e6',
          type: 'reversal',
          reversalId: 'RV-9',
          txId: 'TX-1',
          status: 'SUCCEEDED',
          amount: '50000',
          currency: 'UGX',
        })
      ).status,
    ).toBe(200);
    const reversed = await until(async () => {
      const x = await em().findOne(Payment, { id: p.id });
      return x?.reconciliationState === 'REVERSED_IN_LENDER' ? x : null;
    });
    expect(reversed.status).toBe('REVERSED');
    expect(lender.posted.get(p.id)?.reversed).toBe(true);
    const loan = await em().findOneOrFail(LoanAccount, { externalId: '42' });
    expect(loan.lenderOutstandingMinor).toBe(lender.loans.get('42')!.outstanding.amountMinor);
  });

  it('turns a lender refusal into POSTING_FAILED with a discrepancy', async () => {
    lender.declinePosting = true;
    expect(
      (
        await send({
          id: 'e7',
          txId: 'TX-7',
          status: 'SUCCEEDED',
          amount: '500',
          currency: 'UGX',
          account: '000000042',
        })
      ).status,
    ).toBe(200);
    const p = await until(async () => {
      const x = await em().findOne(Payment, { providerTransactionId: 'TX-7' });
      return x?.reconciliationState === 'POSTING_FAILED' ? x : null;
    });
    expect(await em().count(Discrepancy, { payment: p.id, type: 'POSTING_FAILED' })).toBe(1);
    lender.declinePosting = false;
    const res = await hub.gql(
      `{ loanAccount(id: "${p.loanAccount!.id}") { unpostedPayments { amount } } }`,
      {},
      org.adminKey,
    );
    expect(res.body.data.loanAccount.unpostedPayments.amount).toBe('500');
  });
});
