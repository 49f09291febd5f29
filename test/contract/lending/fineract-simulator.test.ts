/**
 * The Fineract connector against the Fineract simulator over loopback: list, get, post, duplicate, undo, and the
 * scan-based incremental sync detecting exactly the loans the simulator changed.
 */
import { ConnectorError } from '../../../src/connectors/errors';
import { fineractDefinition } from '../../../src/connectors/lending/fineract';
import type { LenderLoan, LendingSystemConnector, PostRepaymentInput } from '../../../src/connectors/types';
import { money } from '../../../src/domain/money';
import { loanFingerprint } from '../../../src/services/sync.service';
import { startFineractSimulator, type FineractSimulator } from '../../../src/simulators/fineract';
import { testRuntime } from '../../helpers/nock';

const AUTH = { tenantId: 'default', username: 'mifos', password: 'password' };
const BUSINESS_DATE = '2024-08-20';
const NOW = new Date(`${BUSINESS_DATE}T12:00:00Z`);

function connect(
  sim: FineractSimulator,
  overrides: Record<string, unknown> = {},
  now: Date = NOW,
): LendingSystemConnector {
  return fineractDefinition.create(
    {
      baseUrl: sim.url,
      credentials: fineractDefinition.parseCredentials({
        ...AUTH,
        paymentTypeIds: { MTN_MOMO: 3 },
        ...overrides,
      }),
    },
    testRuntime({ now: () => now }),
  );
}

async function listAll(
  connector: LendingSystemConnector,
  pageSize: number,
): Promise<{ loans: LenderLoan[]; failures: number; pages: number; total: number | null }> {
  const loans: LenderLoan[] = [];
  let failures = 0;
  let pages = 0;
  let total: number | null;
  let cursor: string | null = null;
  do {
    const page = await connector.listLoans({ cursor, pageSize });
    loans.push(...page.loans);
    failures += page.failures.length;
    total = page.total;
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  return { loans, failures, pages, total };
}

describe('Fineract connector against the simulator (UGX)', () => {
  let sim: FineractSimulator;
  let connector: LendingSystemConnector;
  let all: LenderLoan[];

  beforeAll(async () => {
    sim = await startFineractSimulator({
      port: 0,
      loans: 1000,
      seed: 7,
      currency: 'UGX',
      businessDate: BUSINESS_DATE,
      ...AUTH,
    });
    connector = connect(sim);
    const listed = await listAll(connector, 200);
    all = listed.loans;
    expect(listed).toMatchObject({ failures: 0, pages: 5, total: 1000 });
  });

  afterAll(async () => {
    await sim.close();
  });

  const activeWithArrears = () =>
    all.find(
      (l) => l.status === 'ACTIVE' && l.overdue.amountMinor > 0n && l.outstanding.amountMinor > 100_000n,
    )!;
  const repaymentFor = (loan: LenderLoan, n: number): PostRepaymentInput => ({
    loanExternalId: loan.externalId,
    amount: money(10_000n, 'UGX'),
    valueDate: new Date(`${BUSINESS_DATE}T08:15:00Z`),
    externalId: `pay_SIM${n}`,
    idempotencyKey: `6a1d8e2c-0000-4000-8000-00000000000${n}`,
    channel: 'MTN_MOMO',
    receiptNumber: `MP${n}`,
  });

  it('lists every loan once, in id order, with a realistic mix of statuses', () => {
    expect(all.map((l) => l.externalId)).toEqual(Array.from({ length: 1000 }, (_, i) => String(i + 1)));
    const statuses = new Set(all.map((l) => l.status));
    for (const s of ['ACTIVE', 'CLOSED', 'PENDING', 'WRITTEN_OFF']) expect(statuses).toContain(s);
    expect(all.some((l) => l.delinquencyClass !== null)).toBe(true);
    for (const l of all) expect(l.currency).toBe('UGX');
  });

  it('generates the same book from the same seed', async () => {
    const twin = await startFineractSimulator({ loans: 1000, seed: 7, businessDate: BUSINESS_DATE, ...AUTH });
    const other = await startFineractSimulator({
      loans: 1000,
      seed: 8,
      businessDate: BUSINESS_DATE,
      ...AUTH,
    });
    try {
      const a = await connect(twin).listLoans({ cursor: null, pageSize: 50 });
      const b = await connect(other).listLoans({ cursor: null, pageSize: 50 });
      expect(a.loans.map(loanFingerprint)).toEqual(all.slice(0, 50).map(loanFingerprint));
      expect(b.loans.map(loanFingerprint)).not.toEqual(a.loans.map(loanFingerprint));
    } finally {
      await twin.close();
      await other.close();
    }
  });

  it('reads a loan in arrears with a consistent schedule and delinquency', async () => {
    const listed = activeWithArrears();
    const loan = await connector.getLoan({ loanExternalId: listed.externalId });
    expect(loan.outstanding).toEqual(listed.outstanding);
    expect(loan.overdue).toEqual(listed.overdue);
    expect(loan.daysPastDue).toBeGreaterThan(0);
    expect(loan.delinquencyClass).toMatch(/^DPD /);
    const installments = loan.installments!;
    expect(installments.length).toBeGreaterThanOrEqual(3);
    expect(installments[0].number).toBe(1);
    const owed = installments.reduce((sum, i) => sum + i.totalOutstanding.amountMinor, 0n);
    expect(owed).toBe(loan.outstanding.amountMinor);
    const overdue = installments
      .filter((i) => i.dueDate < BUSINESS_DATE)
      .reduce((sum, i) => sum + i.totalOutstanding.amountMinor, 0n);
    expect(overdue).toBe(loan.overdue.amountMinor);
  });

  it('reads the borrower', async () => {
    const loan = all[0];
    const borrower = await connector.getBorrower({ borrowerExternalId: loan.borrowerExternalId });
    expect(borrower.externalId).toBe(loan.borrowerExternalId);
    expect(borrower.displayName).toBe(loan.borrowerDisplayName);
    expect(borrower.phoneNumber).toMatch(/^2567\d{8}$/);
  });

  it('posts once, recognises retries and duplicates, and undoes', async () => {
    const loan = activeWithArrears();
    const before = sim.state.outstandingMinor(loan.externalId);
    const input = repaymentFor(loan, 1);

    const posted = await connector.postRepayment(input);
    expect(posted.alreadyPosted).toBe(false);
    expect(sim.state.outstandingMinor(loan.externalId)).toBe(before - 10_000n);

    // Same Idempotency-Key: Fineract replays the first answer from its cache.
    const replay = await connector.postRepayment(input);
    expect(replay).toEqual({ ...posted, alreadyPosted: true });
    // New key, same external id (a retry after a lost response): refused as duplicate, resolved by lookup.
    const duplicate = await connector.postRepayment({
      ...input,
      idempotencyKey: '6a1d8e2c-0000-4000-8000-0000000000ff',
    });
    expect(duplicate).toEqual({ ...posted, alreadyPosted: true });
    expect(sim.state.outstandingMinor(loan.externalId)).toBe(before - 10_000n);

    const found = await connector.findTransactionByExternalId({
      loanExternalId: loan.externalId,
      externalId: input.externalId,
    });
    expect(found).toEqual({
      transactionId: posted.transactionId,
      externalId: input.externalId,
      type: 'REPAYMENT',
      amount: money(10_000n, 'UGX'),
      date: BUSINESS_DATE,
      reversed: false,
    });
    const txs = await connector.listTransactions({ loanExternalId: loan.externalId });
    expect(txs[0].type).toBe('DISBURSEMENT');
    expect(txs.at(-1)).toEqual(found);

    const reversal = {
      loanExternalId: loan.externalId,
      transactionId: null,
      externalId: input.externalId,
      reversalExternalId: 'rev_SIM1',
      idempotencyKey: '7b2e9f3d-0000-4000-8000-000000000001',
      date: NOW,
      note: 'Payer reversed',
    };
    expect(await connector.reverseRepayment(reversal)).toEqual({
      transactionId: posted.transactionId,
      alreadyReversed: false,
    });
    expect(sim.state.outstandingMinor(loan.externalId)).toBe(before);
    expect(
      await connector.reverseRepayment({
        ...reversal,
        idempotencyKey: '7b2e9f3d-0000-4000-8000-000000000002',
      }),
    ).toEqual({ transactionId: posted.transactionId, alreadyReversed: true });
    expect(
      (
        await connector.findTransactionByExternalId({
          loanExternalId: loan.externalId,
          externalId: input.externalId,
        })
      )?.reversed,
    ).toBe(true);
  });

  it('rides out a COB lock by retrying with the same key', async () => {
    const loan = activeWithArrears();
    const before = sim.state.outstandingMinor(loan.externalId);
    sim.state.lockLoan(loan.externalId, 2);
    const out = await connector.postRepayment(repaymentFor(loan, 2));
    expect(out.alreadyPosted).toBe(false);
    expect(sim.state.outstandingMinor(loan.externalId)).toBe(before - 10_000n);
  });

  it('refuses a repayment dated after the business date (403 domain rule)', async () => {
    const loan = activeWithArrears();
    const ahead = connect(sim, {}, new Date('2024-08-25T12:00:00Z'));
    const err = (await ahead
      .postRepayment({ ...repaymentFor(loan, 3), valueDate: new Date('2024-08-24T10:00:00Z') })
      .catch((e: unknown) => e)) as ConnectorError;
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err.code).toBe('DECLINED');
    expect(err.providerCode).toBe('error.msg.loan.transaction.cannot.be.a.future.date');
  });

  it('refuses a repayment on a closed loan', async () => {
    const closed = all.find((l) => l.status === 'CLOSED')!;
    const err = (await connector
      .postRepayment(repaymentFor(closed, 4))
      .catch((e: unknown) => e)) as ConnectorError;
    expect(err.code).toBe('DECLINED');
  });

  it('rejects unknown body keys and bad credentials like Fineract', async () => {
    const loan = activeWithArrears();
    const authorization = `Basic ${Buffer.from('mifos:password').toString('base64')}`;
    const res = await fetch(`${sim.url}/loans/${loan.externalId}/transactions?command=repayment`, {
      method: 'POST',
      headers: {
        Authorization: authorization,
        'Fineract-Platform-TenantId': 'default',
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        transactionDate: BUSINESS_DATE,
        dateFormat: 'yyyy-MM-dd',
        locale: 'en',
        transactionAmount: 1000,
        amount: 1000,
      }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      errors: Array<{ userMessageGlobalisationCode: string; parameterName: string }>;
    };
    expect(body.errors[0]).toMatchObject({
      userMessageGlobalisationCode: 'error.msg.parameter.unsupported',
      parameterName: 'amount',
    });

    for (const bad of [{ password: 'wrong' }, { tenantId: 'other' }]) {
      const err = (await connect(sim, bad)
        .getLoan({ loanExternalId: '1' })
        .catch((e: unknown) => e)) as ConnectorError;
      expect(err.code).toBe('AUTH_CONFIG_INVALID');
      expect(err.retryable).toBe(false);
    }
  });

  it('lets a scan detect exactly the loans the simulator changed', async () => {
    const before = new Map(
      (await listAll(connector, 250)).loans.map((l) => [l.externalId, loanFingerprint(l)]),
    );
    const changed = sim.state.mutate(25);
    expect(changed).toHaveLength(25);
    const after = (await listAll(connector, 250)).loans;
    const moved = after
      .filter((l) => before.get(l.externalId) !== loanFingerprint(l))
      .map((l) => l.externalId);
    expect(moved.sort()).toEqual([...changed].sort());
  });
});

describe('Fineract simulator in KES and at scale', () => {
  it('serves KES amounts with cents that the connector reads and posts exactly', async () => {
    const sim = await startFineractSimulator({
      loans: 300,
      seed: 11,
      currency: 'KES',
      businessDate: BUSINESS_DATE,
      ...AUTH,
    });
    try {
      const connector = connect(sim);
      const { loans, failures } = await listAll(connector, 100);
      expect(failures).toBe(0);
      expect(loans.some((l) => l.outstanding.amountMinor % 100n !== 0n)).toBe(true);
      const loan = loans.find((l) => l.status === 'ACTIVE' && l.outstanding.amountMinor > 200_000n)!;
      const before = sim.state.outstandingMinor(loan.externalId);
      const out = await connector.postRepayment({
        loanExternalId: loan.externalId,
        amount: money(105_050n, 'KES'),
        valueDate: NOW,
        externalId: 'pay_KES1',
        idempotencyKey: '8c3f0a4e-0000-4000-8000-000000000001',
      });
      expect(out.alreadyPosted).toBe(false);
      expect(sim.state.outstandingMinor(loan.externalId)).toBe(before - 105_050n);
      const detail = await connector.getLoan({ loanExternalId: loan.externalId });
      expect(detail.outstanding).toEqual(money(before - 105_050n, 'KES'));
    } finally {
      await sim.close();
    }
  });

  it('holds 100,000 loans cheaply and serves a 1,000-loan page quickly', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const sim = await startFineractSimulator({
      loans: 100_000,
      seed: 42,
      businessDate: BUSINESS_DATE,
      ...AUTH,
    });
    try {
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * 1024 * 1024);
      const connector = connect(sim);
      const started = process.hrtime.bigint();
      let cursor: string | null = Buffer.from(JSON.stringify({ c: 'fineract', v: 1, o: 99_000 })).toString(
        'base64url',
      );
      const page = await connector.listLoans({ cursor, pageSize: 1000 });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      cursor = page.nextCursor;
      expect(page.loans).toHaveLength(1000);
      expect(page.loans.at(-1)!.externalId).toBe('100000');
      expect(cursor).toBeNull();
      expect(ms).toBeLessThan(2000);
    } finally {
      await sim.close();
    }
  });
});
