import { ConnectorRegistry } from '../../src/connectors/registry';
import { Organization } from '../../src/entities/organization.entity';
import { Payment } from '../../src/entities/payment.entity';
import { PaymentSource } from '../../src/entities/payment-source.entity';
import { SettlementLine } from '../../src/entities/settlement-line.entity';
import type { ReconciliationRun } from '../../src/entities/reconciliation-run.entity';
import { SecretBox } from '../../src/services/crypto';
import { withPgClient } from '../../src/services/reconciliation/pg-client';
import { scopedFork } from '../../src/services/scope';
import { seedLoanWithPayment } from '../factories';
import { financeScope, startTestHub, TEST_ENCRYPTION_KEY, type TestHub } from '../helpers/hub';
import { stubRailDefinition } from '../helpers/stub-rail';

/**
 * Lipa's side of a run, case by case: which of Lipa's payments a statement settles, which it does not
 * (MISSING_IN_SETTLEMENT), and which are settled and matched to a loan but never posted (MISSING_IN_LENDER), whether
 * the statement names them by the rail's id, by account reference only (fuzzy), or only through a reversal.
 * Payments that no statement of the period should settle (pending, outside the period, another source's) raise
 * nothing.
 */
describe('reconciliation: Lipa-side findings', () => {
  let hub: TestHub;
  let orgId: string;
  let run: ReconciliationRun;
  let importId: string;
  const box = new SecretBox(Buffer.from(TEST_ENCRYPTION_KEY, 'base64'));
  const from = new Date('2026-10-01T00:00:00Z');
  const to = new Date('2026-10-08T00:00:00Z');
  const day = (d: number, h = 10) => new Date(Date.UTC(2026, 9, d, h));
  const ids: Record<string, string> = {};

  const scope = () => financeScope(hub, orgId, 'lipa side test');

  const sql = async <T>(text: string, values: unknown[]): Promise<T[]> =>
    withPgClient(hub.runtime.orm, async (c) => (await c.query(text, values)).rows as T[]);

  beforeAll(async () => {
    hub = await startTestHub({
      registry: new ConnectorRegistry().registerRail(stubRailDefinition('STRIPE')),
    });
    orgId = (await hub.createOrg()).orgId;
    const seeded = await seedLoanWithPayment(hub.runtime.orm, orgId, { accountNumber: 'LN-1' });
    const em = scopedFork(hub.runtime.orm.em, orgId);
    const source = await em.findOneOrFail(PaymentSource, { id: seeded.paymentSource.id });
    const loan = seeded.loan;
    const otherSource = em.create(PaymentSource, {
      organization: em.getReference(Organization, orgId),
      kind: 'MTN_MOMO',
      name: 'another rail',
      credentialsEncrypted: box.sealJson({}),
      callbackTokenEncrypted: box.seal('other-token'),
    });
    const payment = (
      name: string,
      fields: Partial<Pick<Payment, 'status' | 'reconciliationState' | 'receivedAt' | 'accountReference'>> & {
        ptx?: string;
        onLoan?: boolean;
        source?: PaymentSource;
      },
    ) => {
      const p = em.create(Payment, {
        organization: em.getReference(Organization, orgId),
        paymentSource: fields.source ?? source,
        rail: (fields.source ?? source).kind,
        providerTransactionId: fields.ptx ?? name,
        amountMinor: 50_000n,
        currency: 'UGX',
        status: fields.status ?? 'SUCCEEDED',
        reconciliationState: fields.reconciliationState ?? 'UNMATCHED',
        accountReference: fields.accountReference ?? null,
        receivedAt: fields.receivedAt ?? day(2),
        loanAccount: fields.onLoan ? loan : null,
      });
      em.persist(p);
      ids[name] = p.id;
      return p;
    };
    // Settled by its id, matched to a loan, never posted.
    payment('TX-UNPOSTED', { reconciliationState: 'MATCHED', onLoan: true });
    // Known to Lipa only by its request id; the statement line has no id, only the account reference.
    payment('FUZZY', {
      ptx: 'req:fuzzy-1',
      accountReference: 'LN-FZ',
      reconciliationState: 'MATCHED',
      onLoan: true,
    });
    // Posted; the statement lists only its reversal, never the payment.
    payment('TX-REVERSED-ONLY', { reconciliationState: 'POSTED', onLoan: true });
    // Settled and posted: nothing to say.
    payment('TX-FINE', { reconciliationState: 'POSTED', onLoan: true });
    // Settled and posted, by a plain line; a line without an id carries its account reference too.
    payment('TX-REF-NAMED', { reconciliationState: 'POSTED', onLoan: true, accountReference: 'LN-NAMED' });
    // Received, never settled.
    payment('TX-NOT-SETTLED', {});
    // Not for this period's statement: pending, before the period, another rail's.
    payment('TX-PENDING', { status: 'PENDING' });
    payment('TX-EARLIER', { receivedAt: day(-3) });
    // Received two months before the period, settled in it: older than the bulk join's window, paired by index.
    payment('TX-OLD', { receivedAt: day(-60), reconciliationState: 'POSTED', onLoan: true });
    payment('TX-OTHER-SOURCE', { source: otherSource });
    em.persist(otherSource);
    await em.flush();
    // The seeded payment is from 2024: outside the period, so it must raise nothing either.

    const csv = [
      'provider_transaction_id,kind,amount,currency,occurred_at,reference,linked_transaction_id',
      `TX-UNPOSTED,PAYMENT,50000,UGX,${day(2).toISOString()},,`,
      `,PAYMENT,50000,UGX,${day(2, 11).toISOString()},LN-FZ,`,
      `REV-1,REVERSAL,50000,UGX,${day(3).toISOString()},,TX-REVERSED-ONLY`,
      `TX-FINE,PAYMENT,50000,UGX,${day(2).toISOString()},,`,
      // No id of its own, a linked id naming TX-FINE and no reference that fits: it must not settle TX-FINE again.
      `,PAYMENT,50000,UGX,${day(4).toISOString()},LN-NOBODY,TX-FINE`,
      // Its only candidate by reference, amount and date is TX-REF-NAMED, which the line above it already settles.
      `TX-REF-NAMED,PAYMENT,50000,UGX,${day(2).toISOString()},LN-NAMED,`,
      `,PAYMENT,50000,UGX,${day(2, 12).toISOString()},LN-NAMED,`,
      `TX-OLD,PAYMENT,50000,UGX,${day(3).toISOString()},,`,
    ].join('\n');
    const imp = await hub.runtime.services.settlements.importSettlement(scope(), {
      sourceId: source.id,
      format: 'LIPA_CSV',
      chunks: [csv],
    });
    expect(imp.status).toBe('COMPLETED');
    importId = imp.id;
    const started = await hub.runtime.services.reconciliation.start(scope(), {
      sourceId: source.id,
      from,
      to,
      lenderGraceSeconds: 0,
      checkLender: false,
    });
    run = await hub.runtime.services.reconciliation.execute(orgId, started.id);
    expect(run.status).toBe('COMPLETED');
  }, 60_000);
  afterAll(async () => hub.close());

  const findings = async () =>
    sql<{ type: string; payment_id: string; evidence: { payment?: { providerTransactionId?: string } } }>(
      `select type, payment_id, evidence from discrepancy where reconciliation_run_id = $1 and payment_id is not null
       order by type, payment_id`,
      [run.id],
    );

  it('raises MISSING_IN_LENDER for settled, loan-matched payments never posted, by id and by reference', async () => {
    const lender = (await findings()).filter((f) => f.type === 'MISSING_IN_LENDER');
    expect(lender.map((f) => f.payment_id).sort()).toEqual([ids['TX-UNPOSTED'], ids.FUZZY].sort());
    expect(lender.map((f) => f.evidence.payment?.providerTransactionId).sort()).toEqual([
      'TX-UNPOSTED',
      'req:fuzzy-1',
    ]);
  });

  it('raises MISSING_IN_SETTLEMENT for the period’s payments no payment line settles, a reversal line included', async () => {
    const missing = (await findings()).filter((f) => f.type === 'MISSING_IN_SETTLEMENT');
    expect(missing.map((f) => f.payment_id).sort()).toEqual(
      [ids['TX-REVERSED-ONLY'], ids['TX-NOT-SETTLED']].sort(),
    );
  });

  it('pairs the reversal line with its payment and flags the posting to undo', async () => {
    const rows = await sql<{ outcome: string; payment_id: string | null }>(
      `select o.outcome, o.payment_id from reconciliation_line_outcome o
       join settlement_line l on l.id = o.settlement_line_id
       where o.reconciliation_run_id = $1 and l.kind = 'REVERSAL'`,
      [run.id],
    );
    expect(rows).toEqual([{ outcome: 'REVERSED_AFTER_POSTING', payment_id: ids['TX-REVERSED-ONLY'] }]);
    const types = (await findings())
      .filter((f) => f.payment_id === ids['TX-REVERSED-ONLY'])
      .map((f) => f.type);
    expect(types.sort()).toEqual(['MISSING_IN_SETTLEMENT', 'REVERSED_AFTER_POSTING']);
  });

  it('says nothing of pending payments, earlier payments, other sources’ payments or the settled and posted one', async () => {
    const named = new Set((await findings()).map((f) => f.payment_id));
    for (const quiet of ['TX-PENDING', 'TX-EARLIER', 'TX-OTHER-SOURCE', 'TX-FINE', 'TX-OLD'])
      expect(named.has(ids[quiet])).toBe(false);
  });

  it('counts the period’s payments and those the statement settled', async () => {
    const stats = run.stats as {
      payments: Record<
        string,
        { count: number; settledCount: number; settledMinor: string; withoutLoanCount: number }
      >;
    };
    // In the period and received: UNPOSTED, FUZZY, REVERSED-ONLY, FINE, REF-NAMED, NOT-SETTLED.
    // Settled: UNPOSTED, FUZZY, FINE, REF-NAMED (once, though two lines carry its reference).
    expect(stats.payments.UGX).toMatchObject({
      count: 6,
      settledCount: 4,
      settledMinor: '200000',
      withoutLoanCount: 1,
    });
  });

  it('keeps statement lines to their organization (the tenant filter, without a TenantEntity base)', async () => {
    expect(await scopedFork(hub.runtime.orm.em, orgId).count(SettlementLine, { importId })).toBe(8);
    const stranger = (await hub.createOrg()).orgId;
    expect(await scopedFork(hub.runtime.orm.em, stranger).count(SettlementLine, { importId })).toBe(0);
    // Without an organization the filter refuses the query instead of reading every tenant's lines.
    await expect(hub.runtime.orm.em.fork().count(SettlementLine, { importId })).rejects.toThrow();
  });

  it('pairs a payment line by its own id only, never through a linked id', async () => {
    const rows = await sql<{ outcome: string; payment_id: string | null }>(
      `select o.outcome, o.payment_id from reconciliation_line_outcome o
       join settlement_line l on l.id = o.settlement_line_id
       where o.reconciliation_run_id = $1 and l.kind = 'PAYMENT' and l.provider_transaction_id is null
         and l.reference = 'LN-NOBODY'`,
      [run.id],
    );
    expect(rows).toEqual([{ outcome: 'UNMATCHED', payment_id: null }]);
  });

  it('pairs a line with a payment received long before the period, outside the bulk join, by its id', async () => {
    const rows = await sql<{ outcome: string; payment_id: string | null; rule: string | null }>(
      `select o.outcome, o.payment_id, o.rule from reconciliation_line_outcome o
       join settlement_line l on l.id = o.settlement_line_id
       where o.reconciliation_run_id = $1 and l.provider_transaction_id = 'TX-OLD'`,
      [run.id],
    );
    expect(rows).toEqual([{ outcome: 'MATCHED', payment_id: ids['TX-OLD'], rule: 'TRANSACTION_ID' }]);
  });

  it('never pairs a line by reference with a payment a plain line already settles', async () => {
    const rows = await sql<{ id: string | null; outcome: string; payment_id: string | null }>(
      `select l.provider_transaction_id as id, o.outcome, o.payment_id from reconciliation_line_outcome o
       join settlement_line l on l.id = o.settlement_line_id
       where o.reconciliation_run_id = $1 and l.reference = 'LN-NAMED' order by l.line_number`,
      [run.id],
    );
    expect(rows).toEqual([
      { id: 'TX-REF-NAMED', outcome: 'MATCHED', payment_id: ids['TX-REF-NAMED'] },
      { id: null, outcome: 'UNMATCHED', payment_id: null },
    ]);
  });
});
