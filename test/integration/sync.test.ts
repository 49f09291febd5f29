import { ConnectorRegistry } from '../../src/connectors/registry';
import { LoanAccount } from '../../src/entities/loan-account.entity';
import { LendingSource } from '../../src/entities/lending-source.entity';
import { OutboxEvent } from '../../src/entities/outbox-event.entity';
import { money } from '../../src/domain/money';
import { scopedFork } from '../../src/services/scope';
import { startTestHub, type TestHub } from '../helpers/hub';
import { StubLender } from '../helpers/stub-lender';

describe('loan sync', () => {
  let hub: TestHub;
  let org: { orgId: string; adminKey: string };
  let lender: StubLender;
  let sourceId: string;

  beforeAll(async () => {
    lender = new StubLender();
    for (let i = 1; i <= 1203; i++) lender.addLoan(String(i), BigInt(100_000 + i));
    lender.badLoanIds.add('7');
    hub = await startTestHub({ registry: new ConnectorRegistry().registerLending(lender.definition()) });
    org = await hub.createOrg();
    const res = await hub.gql(
      'mutation($i: RegisterLendingSourceInput!) { registerLendingSource(input: $i) { id kind status } }',
      {
        i: {
          kind: 'FINERACT',
          name: 'Stub',
          baseUrl: 'https://fineract.test/api/v1',
          credentials: { username: 'u', password: 'p', tenantId: 'default' },
        },
      },
      org.adminKey,
    );
    expect(res.body.errors).toBeUndefined();
    sourceId = res.body.data.registerLendingSource.id;
  });
  afterAll(async () => hub.close());

  const runQueued = async (id: string) => hub.runtime.services.sync.runSync(org.orgId, id);

  it('runs a full sync page by page, records a bad loan without stopping, and exposes progress', async () => {
    const start = await hub.gql(
      `mutation { syncLoanAccounts(sourceId: "${sourceId}") { id status mode } }`,
      {},
      org.adminKey,
    );
    expect(start.body.data.syncLoanAccounts).toMatchObject({ status: 'QUEUED', mode: 'FULL' });
    const again = await hub.gql(
      `mutation { syncLoanAccounts(sourceId: "${sourceId}") { id } }`,
      {},
      org.adminKey,
    );
    expect(again.body.data.syncLoanAccounts.id).toBe(start.body.data.syncLoanAccounts.id);
    await runQueued(start.body.data.syncLoanAccounts.id);
    const run = await hub.gql(
      `{ syncRun(id: "${start.body.data.syncLoanAccounts.id}") { status processed total failed errors { externalId message } } }`,
      {},
      org.adminKey,
    );
    expect(run.body.data.syncRun).toEqual({
      status: 'PARTIAL',
      processed: 1203,
      total: 1203,
      failed: 1,
      errors: [{ externalId: '7', message: 'summary.totalOutstanding is not a number' }],
    });
    const em = scopedFork(hub.runtime.orm.em, org.orgId);
    expect(await em.count(LoanAccount, {})).toBe(1202);
    const loan = await em.findOneOrFail(LoanAccount, { externalId: '42' });
    expect(loan.lenderOutstandingMinor).toBe(100_042n);
    expect(loan.accountNumber).toBe('ACC-42');
  });

  it('incremental sync rewrites only changed loans, emits balance events, and marks vanished loans on full sync', async () => {
    lender.loans.set('42', { ...lender.loans.get('42')!, outstanding: money(50_000n, 'UGX') });
    const em0 = scopedFork(hub.runtime.orm.em, org.orgId);
    const before = await em0.findOneOrFail(LoanAccount, { externalId: '43' });
    const start = await hub.gql(
      `mutation { syncLoanAccounts(sourceId: "${sourceId}") { id mode } }`,
      {},
      org.adminKey,
    );
    expect(start.body.data.syncLoanAccounts.mode).toBe('INCREMENTAL');
    await runQueued(start.body.data.syncLoanAccounts.id);
    const em = scopedFork(hub.runtime.orm.em, org.orgId);
    expect((await em.findOneOrFail(LoanAccount, { externalId: '42' })).lenderOutstandingMinor).toBe(50_000n);
    expect((await em.findOneOrFail(LoanAccount, { externalId: '43' })).updatedAt.getTime()).toBe(
      before.updatedAt.getTime(),
    );
    const events = await em.find(OutboxEvent, { type: 'loan.balance_changed' });
    expect(events).toHaveLength(1);
    expect(events[0].payload).toMatchObject({
      lenderOutstandingMinor: '50000',
      previousLenderOutstandingMinor: '100042',
    });

    lender.loans.delete('1203');
    const full = await hub.gql(
      `mutation { syncLoanAccounts(sourceId: "${sourceId}", full: true) { id mode } }`,
      {},
      org.adminKey,
    );
    await runQueued(full.body.data.syncLoanAccounts.id);
    const gone = await scopedFork(hub.runtime.orm.em, org.orgId).findOneOrFail(LoanAccount, {
      externalId: '1203',
    });
    expect(gone.missingUpstreamSince).toBeInstanceOf(Date);
  });

  it('refreshes installments and borrower contact details for changed loans', async () => {
    const em = scopedFork(hub.runtime.orm.em, org.orgId);
    const loan = await em.findOneOrFail(LoanAccount, { externalId: '42' });
    const out = await hub.runtime.services.sync.refreshDetails(org.orgId, sourceId, [loan.id]);
    expect(out).toEqual({ refreshed: 1, failed: 0 });
    const res = await hub.gql(
      `{ loanAccount(id: "${loan.id}") { installments { number dueDate totalDue { amount } complete } borrower { phoneNumber } } }`,
      {},
      org.adminKey,
    );
    expect(res.body.data.loanAccount.installments).toEqual([
      { number: 1, dueDate: '2026-11-01', totalDue: { amount: '124000' }, complete: true },
      { number: 2, dueDate: '2026-12-01', totalDue: { amount: '124000' }, complete: false },
    ]);
    expect(res.body.data.loanAccount.borrower.phoneNumber).toBe('256772123456');
  });

  it('marks the source unhealthy on rejected credentials and does not retry', async () => {
    lender.failAuth = true;
    const start = await hub.gql(
      `mutation { syncLoanAccounts(sourceId: "${sourceId}") { id } }`,
      {},
      org.adminKey,
    );
    await expect(runQueued(start.body.data.syncLoanAccounts.id)).rejects.toThrow(/rejected the credentials/);
    const src = await scopedFork(hub.runtime.orm.em, org.orgId).findOneOrFail(LendingSource, {
      id: sourceId,
    });
    expect(src.status).toBe('UNHEALTHY');
    const run = await hub.gql(
      `{ syncRun(id: "${start.body.data.syncLoanAccounts.id}") { status error } }`,
      {},
      org.adminKey,
    );
    expect(run.body.data.syncRun.status).toBe('FAILED');
    lender.failAuth = false;
  });

  it('rejects unknown sources and bad credentials JSON', async () => {
    const unknown = await hub.gql(
      'mutation { syncLoanAccounts(sourceId: "lsrc_01JD000000000000000000000") { id } }',
      {},
      org.adminKey,
    );
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const agent = await hub.createKey(org.orgId, 'AGENT');
    const forbidden = await hub.gql(
      `mutation { syncLoanAccounts(sourceId: "${sourceId}") { id } }`,
      {},
      agent,
    );
    expect(forbidden.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
