import { RUN_STEPS } from '../../src/services/reconciliation/run-sql';
import { ConnectorRegistry } from '../../src/connectors/registry';
import { ReconciliationRun } from '../../src/entities/reconciliation-run.entity';
import { withPgClient } from '../../src/services/reconciliation/pg-client';
import { financeScope, startTestHub, type TestHub } from '../helpers/hub';
import { copyPayments, ReconDataset, type GroundTruth } from '../helpers/recon-generator';
import { stubRailDefinition } from '../helpers/stub-rail';

/**
 * The run against seeded data with a known answer: every line's outcome, every discrepancy type, and the amounts,
 * compared with the generator's ground truth, not with what the engine happened to produce last time.
 */
describe('reconciliation against generated ground truth', () => {
  let hub: TestHub;
  let orgId: string;

  beforeAll(async () => {
    hub = await startTestHub({
      registry: new ConnectorRegistry().registerRail(stubRailDefinition('STRIPE')),
    });
    const org = await hub.createOrg();
    orgId = org.orgId;
  }, 60_000);
  afterAll(async () => hub.close());

  const scope = () => financeScope(hub, orgId, 'generator test');

  async function newSource(): Promise<string> {
    const res = await hub.gql(
      'mutation($i: RegisterPaymentSourceInput!) { registerPaymentSource(input: $i) { id } }',
      { i: { kind: 'STRIPE', name: `gen ${Math.random()}`, credentials: { any: 'thing' } } },
      await hub.createKey(orgId, 'ADMIN'),
    );
    return res.body.data.registerPaymentSource.id;
  }

  async function load(ds: ReconDataset): Promise<{ sourceId: string; run: ReconciliationRun }> {
    const sourceId = await newSource();
    await withPgClient(hub.runtime.orm, (client) => copyPayments(client, ds, orgId, sourceId, 'STRIPE'));
    const imp = await hub.runtime.services.settlements.importSettlement(scope(), {
      sourceId,
      format: 'LIPA_CSV',
      chunks: ds.statementCsv(16 * 1024),
    });
    expect(imp.status).toBe('COMPLETED');
    const run = await reconcile(ds, sourceId);
    return { sourceId, run };
  }

  async function reconcile(ds: ReconDataset, sourceId: string): Promise<ReconciliationRun> {
    const started = await hub.runtime.services.reconciliation.start(scope(), {
      sourceId,
      from: ds.options.from,
      to: ds.options.to,
      amountToleranceBasisPoints: ds.options.toleranceBasisPoints,
    });
    return hub.runtime.services.reconciliation.execute(orgId, started.id);
  }

  const sql = async <T>(text: string, values: unknown[]): Promise<T[]> =>
    withPgClient(hub.runtime.orm, async (c) => (await c.query(text, values)).rows as T[]);

  function outcomesOf(run: ReconciliationRun, currency: string): Record<string, number> {
    const stats = run.stats as {
      statement: Record<string, { byOutcome: Record<string, { count: number }> }>;
    };
    return Object.fromEntries(
      Object.entries(stats.statement[currency].byOutcome).map(([k, v]) => [k, v.count]),
    );
  }

  async function discrepanciesOf(runId: string): Promise<Record<string, number>> {
    const rows = await sql<{ type: string; n: number }>(
      'select type, count(*)::int as n from discrepancy where reconciliation_run_id = $1 group by type',
      [runId],
    );
    return Object.fromEntries(rows.map((r) => [r.type, r.n]));
  }

  function checkTotals(run: ReconciliationRun, truth: GroundTruth, currency: string) {
    const s = (run.stats as { statement: Record<string, Record<string, string | number>> }).statement[
      currency
    ];
    expect(BigInt(s.paymentsInMinor as string)).toBe(truth.statementPaymentMinor);
    // Every statement shilling is either matched or on the discrepancy list, to the minor unit.
    expect(BigInt(s.matchedMinor as string) + BigInt(s.discrepancyMinor as string)).toBe(
      truth.statementPaymentMinor,
    );
    expect((s.matchedCount as number) + (s.discrepancyCount as number)).toBe(truth.statementPaymentLines);
  }

  /** A week of UGX payments (1:1 statement) from the generator. */
  const weekOfUgx = (seed: number, payments: number) =>
    new ReconDataset({
      seed,
      payments,
      from: new Date('2026-11-01T00:00:00Z'),
      to: new Date('2026-11-08T00:00:00Z'),
      toleranceBasisPoints: 50,
    });

  it('matches 5,000 payments exactly as the ground truth says (UGX, 1:1)', async () => {
    const ds = weekOfUgx(20261122, 5000);
    const truth = ds.truth();
    // The generator produced every category it promises, in roughly the asked-for shares.
    expect(truth.byCategory.MISSING).toBeGreaterThan(20);
    expect(truth.byCategory.DUPLICATE).toBeGreaterThan(20);
    expect(truth.byCategory.DRIFT_WITHIN).toBeGreaterThan(60);
    expect(truth.byCategory.DRIFT_OUTSIDE).toBeGreaterThan(10);
    expect(truth.byCategory.AMBIGUOUS).toBeGreaterThan(2);
    expect(truth.byCategory.REVERSED_OPEN).toBeGreaterThan(2);
    expect(truth.lineOutcomes['PAYMENT:UNMATCHED']).toBeGreaterThan(10);

    const { sourceId, run } = await load(ds);
    expect(run.status).toBe('COMPLETED');
    expect(outcomesOf(run, 'UGX')).toEqual(truth.lineOutcomes);
    // Operators see where the run spent its time: one figure per SQL step, in milliseconds.
    const stepMs = (run.stats as { stepMs: Record<string, number> }).stepMs;
    expect(Object.keys(stepMs).sort()).toEqual(RUN_STEPS.map((s) => s.name).sort());
    expect(Object.values(stepMs).every((ms) => Number.isInteger(ms) && ms >= 0)).toBe(true);
    expect(await discrepanciesOf(run.id)).toEqual(truth.discrepancies);
    checkTotals(run, truth, 'UGX');

    // Statement lines with what this run concluded about each.
    const LINES = `with l as (select s.*, i.payment_source_id, r.outcome as match_status, r.payment_id
      from settlement_line s join settlement_import i on i.id = s.import_id
      join reconciliation_line_outcome r on r.settlement_line_id = s.id and r.reconciliation_run_id = '${run.id}')`;
    // The view gives every in-period line its outcome, the plain matches the run did not store included.
    const viewOutcomes = await sql<{ k: string; n: number }>(
      `${LINES} select kind || ':' || match_status as k, count(*)::int as n from l where payment_source_id = $1
        group by 1`,
      [sourceId],
    );
    expect(Object.fromEntries(viewOutcomes.map((r) => [r.k, r.n]))).toEqual(truth.lineOutcomes);
    const [stored] = await sql<{ n: number }>(
      'select count(*)::int as n from reconciliation_line where reconciliation_run_id = $1',
      [run.id],
    );
    expect(stored.n).toBeLessThan((truth.lineOutcomes['PAYMENT:MATCHED'] ?? 0) / 4);

    // Precision on exact-reference pairs: every line matched by transaction id is paired with that very payment.
    const [pairs] = await sql<{ matched: number; wrong: number; shared: number }>(
      `${LINES} select count(*)::int as matched,
              count(*) filter (where p.provider_transaction_id <> l.provider_transaction_id)::int as wrong,
              (select count(*)::int from (select payment_id from l
                where payment_source_id = $1 and kind = 'PAYMENT' and match_status like 'MATCHED%'
                group by payment_id having count(*) > 1) x) as shared
         from l join payment p on p.id = l.payment_id
        where l.payment_source_id = $1 and l.kind = 'PAYMENT' and l.match_status in ('MATCHED', 'MATCHED_WITHIN_TOLERANCE')`,
      [sourceId],
    );
    expect(pairs.wrong).toBe(0);
    expect(pairs.shared).toBe(0);
    expect(pairs.matched).toBe(
      (truth.lineOutcomes['PAYMENT:MATCHED'] ?? 0) +
        (truth.lineOutcomes['PAYMENT:MATCHED_WITHIN_TOLERANCE'] ?? 0),
    );

    // Recall on the drift set: lines inside the tolerance are matched (target >= 99%).
    const drift: string[] = [];
    const ambiguousRefs: string[] = [];
    for (let i = 0; i < ds.options.payments; i++) {
      const c = ds.category(i);
      if (c === 'DRIFT_WITHIN') drift.push(ds.payments(i)[0].ptx);
      if (c === 'AMBIGUOUS') ambiguousRefs.push(ds.payments(i)[0].reference);
    }
    const [recall] = await sql<{ total: number; matched: number }>(
      `${LINES} select count(*)::int as total,
              count(*) filter (where match_status = 'MATCHED_WITHIN_TOLERANCE')::int as matched
         from l where payment_source_id = $1 and provider_transaction_id = any($2) and occurred_at < $3`,
      [sourceId, drift, ds.options.to],
    );
    expect(recall.total).toBeGreaterThan(60);
    expect(recall.matched / recall.total).toBeGreaterThanOrEqual(0.99);

    // Fuzzy matches only where there was one candidate; the ambiguous ones were never guessed.
    const [fuzzy] = await sql<{ fuzzy: number; wrong: number; guessed: number }>(
      `${LINES} select count(*) filter (where l.match_status = 'MATCHED_FUZZY')::int as fuzzy,
              count(*) filter (where l.match_status = 'MATCHED_FUZZY' and p.account_reference <> l.reference)::int as wrong,
              count(*) filter (where l.reference = any($2) and l.payment_id is not null)::int as guessed
         from l left join payment p on p.id = l.payment_id where l.payment_source_id = $1`,
      [sourceId, ambiguousRefs],
    );
    expect(fuzzy.fuzzy).toBe(truth.lineOutcomes['PAYMENT:MATCHED_FUZZY']);
    expect(fuzzy.wrong).toBe(0);
    expect(fuzzy.guessed).toBe(0);

    // Running the same period again finds the same things and raises nothing new.
    const before = await sql<{ n: number }>(
      'select count(*)::int as n from discrepancy where payment_source_id = $1',
      [sourceId],
    );
    const again = await reconcile(ds, sourceId);
    expect(outcomesOf(again, 'UGX')).toEqual(truth.lineOutcomes);
    const after = await sql<{ n: number; open: number }>(
      `select count(*)::int as n, count(*) filter (where status = 'OPEN')::int as open
         from discrepancy where payment_source_id = $1`,
      [sourceId],
    );
    expect(after[0].n).toBe(before[0].n);
    expect(after[0].open).toBe(before[0].n);
  }, 120_000);

  it('ranks repeated lines alike whether the import listed their keys or the run groups every line', async () => {
    const ds = weekOfUgx(8128, 3000);
    const truth = ds.truth();
    expect(truth.byCategory.DUPLICATE).toBeGreaterThan(10);
    const { sourceId, run } = await load(ds);
    const check = async (r: ReconciliationRun, path: string) => {
      expect(r.status).toBe('COMPLETED');
      expect((r.stats as { repeatedKeys: string }).repeatedKeys).toBe(path);
      expect(outcomesOf(r, 'UGX')).toEqual(truth.lineOutcomes);
      expect(await discrepanciesOf(r.id)).toEqual(truth.discrepancies);
    };
    await check(run, 'LISTED_BY_IMPORT');

    // The import listed every transaction the statement repeats (and, being hash-based, may list a few more).
    const [imp] = await sql<{ id: string; keys: Array<{ kind: string; key: string }> }>(
      'select id, repeated_keys as keys from settlement_import where payment_source_id = $1',
      [sourceId],
    );
    const listed = new Set(imp.keys.map((k) => `${k.kind}/${k.key}`));
    const repeated = await sql<{ k: string }>(
      `select kind || '/' || provider_transaction_id as k from settlement_line where import_id = $1
         and provider_transaction_id is not null group by kind, provider_transaction_id having count(*) > 1`,
      [imp.id],
    );
    expect(repeated.length).toBeGreaterThan(10);
    expect(repeated.filter((r) => !listed.has(r.k))).toEqual([]);

    // Not listed (an import from before the list existed): the run groups the lines itself, same answer.
    await sql('update settlement_import set repeated_keys = null where id = $1', [imp.id]);
    await check(await reconcile(ds, sourceId), 'GROUPED_BY_RUN');

    // Listed with keys that occur once (hash collisions do that): each ranks first of one, same answer.
    const once = await sql<{ kind: string; key: string }>(
      `select kind, provider_transaction_id as key from settlement_line where import_id = $1
         and provider_transaction_id is not null group by 1, 2 having count(*) = 1 order by 2 limit 40`,
      [imp.id],
    );
    await sql('update settlement_import set repeated_keys = $2 where id = $1', [
      imp.id,
      JSON.stringify([...imp.keys, ...once]),
    ]);
    await check(await reconcile(ds, sourceId), 'LISTED_BY_IMPORT');
  }, 120_000);

  it('checks payouts against their items (1:N), with fees and a currency that has cents (KES)', async () => {
    const ds = new ReconDataset({
      seed: 77,
      payments: 2000,
      currency: 'KES',
      from: new Date('2026-10-01T00:00:00Z'),
      to: new Date('2026-10-15T00:00:00Z'),
      // The default 0.5% would allow a 20-payment payout thousands of shillings of slack; payouts allow only
      // rounding, so the payouts short by 1.00 KES must still be caught.
      toleranceBasisPoints: 50,
      payoutSize: 20,
      payoutShortRate: 0.1,
    });
    const truth = ds.truth();
    expect(truth.lineOutcomes['PAYOUT:MATCHED']).toBeGreaterThan(50);
    expect(truth.lineOutcomes['PAYOUT:PAYOUT_MISMATCH']).toBeGreaterThan(3);
    const { run } = await load(ds);
    expect(outcomesOf(run, 'KES')).toEqual(truth.lineOutcomes);
    expect(await discrepanciesOf(run.id)).toEqual(truth.discrepancies);
    checkTotals(run, truth, 'KES');
    // A short payout's evidence names the payout, what its items add up to and the rounding slack allowed.
    const [short] = await sql<{ amount_minor: string; evidence: Record<string, any> }>(
      `select amount_minor::text, evidence from discrepancy
        where reconciliation_run_id = $1 and evidence->'settlementLine'->>'kind' = 'PAYOUT' limit 1`,
      [run.id],
    );
    expect(short.evidence.rule).toBe('PAYOUT_ITEMS');
    expect(short.evidence.payout).toEqual({
      reference: expect.any(String),
      expectedAmountMinor: expect.stringMatching(/^\d+$/),
      paymentItems: expect.any(Number),
      itemsWithoutPayment: expect.any(Number),
    });
    expect(short.evidence.payout.expectedAmountMinor).not.toBe(short.amount_minor);
    expect(short.evidence.payout.paymentItems).toBeGreaterThan(10);
    // One minor unit of rounding per item (no absolute tolerance in this run).
    expect(Number(short.evidence.toleranceMinor)).toBeGreaterThanOrEqual(short.evidence.payout.paymentItems);
    expect(Number(short.evidence.toleranceMinor)).toBeLessThanOrEqual(25);
    // Matched lines that are not payouts carry no payout evidence.
    const [other] = await sql<{ evidence: Record<string, any> }>(
      `select evidence from discrepancy
        where reconciliation_run_id = $1 and evidence->'settlementLine'->>'kind' = 'PAYMENT' limit 1`,
      [run.id],
    );
    expect(other.evidence.payout).toBeNull();
  }, 120_000);
});
