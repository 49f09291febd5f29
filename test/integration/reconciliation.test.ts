import { ConnectorRegistry } from '../../src/connectors/registry';
import { AuditLog } from '../../src/entities/audit-log.entity';
import { OutboxEvent } from '../../src/entities/outbox-event.entity';
import { Payment } from '../../src/entities/payment.entity';
import { ReconciliationLine } from '../../src/entities/reconciliation-line.entity';
import { SettlementLine } from '../../src/entities/settlement-line.entity';
import { scopedFork } from '../../src/services/scope';
import { startTestHub, type TestHub } from '../helpers/hub';
import { stubRailDefinition } from '../helpers/stub-rail';
import { until } from '../helpers/wait';

/**
 * Finance's loop end to end on a real hub: payments arrive by callback, a statement is imported (GraphQL and the
 * streaming HTTP endpoint), a run is queued and executed by the worker, discrepancies appear in GraphQL, are
 * worked through their statuses (audited, with events), exported as CSV, and cleared by a later run.
 */
describe('reconciliation: import, run, discrepancies', () => {
  let hub: TestHub;
  let org: { orgId: string; adminKey: string };
  let other: { orgId: string; adminKey: string };
  let financeKey: string;
  let agentKey: string;
  let sourceId: string;
  let otherSourceId: string;
  let callbackUrl: string;
  const t0 = new Date(Date.now() - 60 * 60 * 1000);
  const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000).toISOString();
  const period = {
    from: new Date(t0.getTime() - 86_400_000).toISOString(),
    to: new Date(Date.now() + 86_400_000).toISOString(),
  };

  async function registerSource(key: string): Promise<{ id: string; callbackUrl: string }> {
    const res = await hub.gql(
      'mutation($i: RegisterPaymentSourceInput!) { registerPaymentSource(input: $i) { id callbackUrl } }',
      { i: { kind: 'STRIPE', name: 'Stub rail', credentials: { any: 'thing' } } },
      key,
    );
    expect(res.body.errors).toBeUndefined();
    return res.body.data.registerPaymentSource;
  }

  async function pay(txId: string, amount: string, account: string): Promise<Payment> {
    const res = await fetch(callbackUrl.replace('http://127.0.0.1:4000', hub.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: `evt-${txId}`,
        txId,
        status: 'SUCCEEDED',
        amount,
        currency: 'UGX',
        account,
      }),
    });
    expect(res.status).toBe(200);
    return until(() =>
      scopedFork(hub.runtime.orm.em, org.orgId).findOne(Payment, { providerTransactionId: txId }),
    );
  }

  const IMPORT = `mutation($i: ImportSettlementInput!) {
    importSettlement(input: $i) { id status linesRead linesRejected duplicateOf totals periodFrom periodTo errors { lineNumber message } }
  }`;
  const RUN = `mutation($i: RunReconciliationInput!) { runReconciliation(input: $i) { id status } }`;
  const RUN_STATE = `query($id: ID!) { reconciliationRun(id: $id) {
    id status error exceptionsCsvPath options
    summary { currency statementPayments statementTotal { amountMinor } matchedCount matched { amountMinor }
              drift { amountMinor } unmatchedCount unmatched { amountMinor } lipaPayments postedToLender }
    discrepancyCounts { type count amount { amountMinor currency } }
  } }`;
  const LIST = `query($f: DiscrepancyFilter) { discrepancies(filter: $f, first: 100) { totalCount edges { node {
    id type status summary amount { amountMinor currency } sourceId reconciliationRunId evidence resolution note
    payment { id providerTransactionId }
  } } } }`;

  async function runAndWait(key = org.adminKey, extra: Record<string, unknown> = {}) {
    const started = await hub.gql(RUN, { i: { sourceId, ...period, ...extra } }, key);
    expect(started.body.errors).toBeUndefined();
    const id = started.body.data.runReconciliation.id as string;
    const run = await until(async () => {
      const r = await hub.gql(RUN_STATE, { id }, key);
      const s = r.body.data?.reconciliationRun;
      return s && (s.status === 'COMPLETED' || s.status === 'FAILED') ? s : null;
    });
    expect(run.error).toBeNull();
    expect(run.status).toBe('COMPLETED');
    latestRunId = run.id;
    return run;
  }

  /** Events raised by reconciliation runs (matching also raises UNMATCHED_PAYMENT for these loan-less payments). */
  const reconEvents = async (type: string): Promise<number> =>
    Number(
      (
        await hub.runtime.orm.em
          .getConnection()
          .execute(
            `select count(*)::int as n from outbox_event where organization_id = ? and type = ? and payload->>'reconciliationRunId' is not null`,
            [org.orgId, type],
          )
      )[0].n,
    );

  const csv = (rows: string[][]) => rows.map((r) => r.join(',')).join('\n') + '\n';
  const HEADER = [
    'provider_transaction_id',
    'kind',
    'amount',
    'currency',
    'occurred_at',
    'reference',
    'linked_transaction_id',
  ];
  const statement = [
    HEADER,
    ['TX-1', 'PAYMENT', '50000', 'UGX', at(1), 'LN-1', ''],
    ['TX-2', 'PAYMENT', '50100', 'UGX', at(2), 'LN-2', ''], // within 0.5%
    ['TX-3', 'PAYMENT', '60000', 'UGX', at(3), 'LN-3', ''], // 10,000 more than Lipa saw
    ['TX-4', 'PAYMENT', '50000', 'UGX', at(4), 'LN-4', ''],
    ['TX-4', 'PAYMENT', '50000', 'UGX', at(4), 'LN-4', ''], // listed twice
    ['TX-6', 'PAYMENT', '50000', 'UGX', at(6), 'LN-6', ''],
    ['REV-6', 'REVERSAL', '50000', 'UGX', at(7), 'LN-6', 'TX-6'], // the rail took TX-6 back
    ['TX-9', 'PAYMENT', '70000', 'UGX', at(9), 'LN-9', ''], // Lipa never heard of it
    ['', 'FEE', '1200', 'UGX', at(10), '', ''],
  ];
  // TX-5 is paid in Lipa but missing from the statement.

  beforeAll(async () => {
    hub = await startTestHub({
      registry: new ConnectorRegistry().registerRail(stubRailDefinition('STRIPE')),
      workers: true,
    });
    org = await hub.createOrg();
    other = await hub.createOrg();
    financeKey = await hub.createKey(org.orgId, 'FINANCE');
    agentKey = await hub.createKey(org.orgId, 'AGENT');
    ({ id: sourceId, callbackUrl } = await registerSource(org.adminKey));
    otherSourceId = (await registerSource(other.adminKey)).id;
    for (const [tx, amount] of [
      ['TX-1', '50000'],
      ['TX-2', '50000'],
      ['TX-3', '50000'],
      ['TX-4', '50000'],
      ['TX-5', '50000'],
      ['TX-6', '50000'],
    ])
      await pay(tx, amount, `LN-${tx.slice(3)}`);
  }, 60_000);
  afterAll(async () => hub.close());

  let runId: string;
  let latestRunId: string;
  let importId: string;

  it('imports a statement through GraphQL, with totals and period', async () => {
    const res = await hub.gql(
      IMPORT,
      { i: { sourceId, format: 'LIPA_CSV', content: csv(statement) } },
      financeKey,
    );
    expect(res.body.errors).toBeUndefined();
    const imp = res.body.data.importSettlement;
    importId = imp.id;
    expect(imp).toMatchObject({
      status: 'COMPLETED',
      linesRead: 9,
      linesRejected: 0,
      duplicateOf: null,
      errors: [],
    });
    expect(imp.totals.UGX.PAYMENT).toEqual({ count: 7, amountMinor: '380100' });
    expect(imp.periodFrom).toBe(at(1));
    expect(imp.periodTo).toBe(at(10));
    const lines = await scopedFork(hub.runtime.orm.em, org.orgId).count(SettlementLine, { importId });
    expect(lines).toBe(9);
  });

  it('returns the first import for the same bytes, without loading them again', async () => {
    const res = await hub.gql(
      IMPORT,
      { i: { sourceId, format: 'LIPA_CSV', content: csv(statement) } },
      financeKey,
    );
    expect(res.body.data.importSettlement.id).toBe(importId);
    expect(await scopedFork(hub.runtime.orm.em, org.orgId).count(SettlementLine, {})).toBe(9);
  });

  it('rejects a file with bad lines whole, and keeps the reasons', async () => {
    const bad = csv([
      HEADER,
      ['TX-7', 'PAYMENT', '12.5', 'UGX', at(1), 'LN-7', ''], // UGX has no minor unit
      ['TX-8', 'PAYMENT', 'abc', 'UGX', at(1), 'LN-8', ''],
      ['TX-10', 'PAYMENT', '100', 'UGX', at(1), 'LN-10', ''],
    ]);
    const res = await hub.gql(IMPORT, { i: { sourceId, format: 'LIPA_CSV', content: bad } }, financeKey);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.message).toMatch(
      /2 line\(s\) of the file could not be read, so nothing was imported/,
    );
    const failedId = (res.body.errors?.[0]?.extensions as { details?: { importId?: string } }).details
      ?.importId;
    expect(failedId).toMatch(/^simp_/);
    const q = await hub.gql(
      'query($id: ID!) { settlementImport(id: $id) { status linesRejected errors { lineNumber message } } }',
      { id: failedId },
      financeKey,
    );
    expect(q.body.data.settlementImport.status).toBe('FAILED');
    expect(q.body.data.settlementImport.linesRejected).toBe(2);
    expect(q.body.data.settlementImport.errors.map((e: { lineNumber: number }) => e.lineNumber)).toEqual([
      2, 3,
    ]);
    expect(await scopedFork(hub.runtime.orm.em, org.orgId).count(SettlementLine, {})).toBe(9);
  });

  it.each([
    ['garbage', 'not,a,statement\n1,2,3\n', /missing column/i],
    ['empty lines only', '\n\n', /no settlement lines|empty|header/i],
  ])('refuses a %s file with a clear error', async (_name, content, message) => {
    const res = await hub.gql(IMPORT, { i: { sourceId, format: 'LIPA_CSV', content } }, financeKey);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.message).toMatch(message);
  });

  it('refuses unknown sources, formats and currencies, and other organizations’ sources', async () => {
    const unknown = await hub.gql(
      IMPORT,
      { i: { sourceId: 'psrc_00000000000000000000000000', format: 'LIPA_CSV', content: csv(statement) } },
      financeKey,
    );
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const foreign = await hub.gql(
      IMPORT,
      { i: { sourceId: otherSourceId, format: 'LIPA_CSV', content: csv(statement) } },
      financeKey,
    );
    expect(foreign.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const format = await hub.gql(IMPORT, { i: { sourceId, format: 'EXCEL', content: 'x' } }, financeKey);
    expect(format.status).toBe(400);
    const currency = await hub.gql(
      IMPORT,
      { i: { sourceId, format: 'MPESA_STATEMENT_CSV', content: 'x', currency: 'ZZZ' } },
      financeKey,
    );
    expect(currency.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(currency.body.errors?.[0]?.message).toMatch(/Unknown currency/);
  });

  it('lets ADMIN and FINANCE reconcile, and no one else', async () => {
    const agent = await hub.gql(IMPORT, { i: { sourceId, format: 'LIPA_CSV', content: 'x' } }, agentKey);
    expect(agent.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anon = await hub.gql(RUN, { i: { sourceId, ...period } }, null);
    expect(anon.body.errors?.[0]?.extensions?.code).toMatch(/UNAUTHENTICATED|FORBIDDEN/);
  });

  it.each([
    [{ from: period.to, to: period.from }, /after from/],
    [{ from: '2026-01-01T00:00:00Z', to: '2026-06-01T00:00:00Z' }, /93 days/],
    [{ amountToleranceBasisPoints: -1 }, /./],
    [{ amountToleranceMinor: '1.5' }, /whole number/],
    [{ dateToleranceSeconds: 10_000_000 }, /./],
    [{ lenderCheckLimit: 0 }, /lenderCheckLimit/],
    [{ lenderCheckLimit: 20_001 }, /lenderCheckLimit/],
  ])('refuses a run with bad options %j', async (extra, message) => {
    const res = await hub.gql(RUN, { i: { sourceId, ...period, ...extra } }, financeKey);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.message).toMatch(message);
  });

  it('runs three ways and reports every statement line as matched or on the discrepancy list', async () => {
    const run = await runAndWait(financeKey);
    runId = run.id;
    expect(run.options).toMatchObject({ amountToleranceBasisPoints: 50, dateToleranceSeconds: 86400 });
    const ugx = run.summary.find((s: { currency: string }) => s.currency === 'UGX');
    // Payment lines: TX-1, TX-2, TX-3, TX-4 (x2), TX-6, TX-9 = 380,100.
    expect(ugx.statementPayments).toBe(7);
    expect(ugx.statementTotal.amountMinor).toBe('380100');
    // Matched: TX-1, TX-2 (within tolerance), TX-4 (first), TX-6.
    expect(ugx.matchedCount).toBe(4);
    expect(ugx.matched.amountMinor).toBe('200100');
    expect(ugx.drift.amountMinor).toBe('100');
    // On the list: TX-3 (amount), TX-4 (second copy), TX-9 (unknown) = 180,000.
    expect(ugx.unmatched.amountMinor).toBe('180000');
    expect(BigInt(ugx.matched.amountMinor) + BigInt(ugx.unmatched.amountMinor)).toBe(
      BigInt(ugx.statementTotal.amountMinor),
    );
    expect(ugx.lipaPayments).toBe(6);
    const counts = Object.fromEntries(
      run.discrepancyCounts.map((c: { type: string; count: number }) => [c.type, c.count]),
    );
    expect(counts).toEqual({
      DUPLICATE_PAYMENT: 1,
      MISSING_AT_RAIL: 1,
      MISSING_IN_SETTLEMENT: 1,
      SETTLEMENT_AMOUNT_MISMATCH: 1,
      UNMATCHED_PAYMENT: 1,
    });

    const list = await hub.gql(LIST, { f: { reconciliationRunId: runId } }, financeKey);
    const nodes = list.body.data.discrepancies.edges.map((e: { node: Record<string, any> }) => e.node);
    const byType = Object.fromEntries(nodes.map((n: { type: string }) => [n.type, n]));
    expect(byType.SETTLEMENT_AMOUNT_MISMATCH.payment.providerTransactionId).toBe('TX-3');
    expect(byType.SETTLEMENT_AMOUNT_MISMATCH.evidence.settlementLine.amountMinor).toBe('60000');
    expect(byType.SETTLEMENT_AMOUNT_MISMATCH.evidence.payment.amountMinor).toBe('50000');
    expect(byType.MISSING_IN_SETTLEMENT.payment.providerTransactionId).toBe('TX-5');
    expect(byType.MISSING_AT_RAIL.payment.providerTransactionId).toBe('TX-6');
    expect(byType.UNMATCHED_PAYMENT.payment).toBeNull();
    expect(byType.UNMATCHED_PAYMENT.amount).toEqual({ amountMinor: '70000', currency: 'UGX' });
    expect(byType.DUPLICATE_PAYMENT.evidence.settlementLine.providerTransactionId).toBe('TX-4');
    for (const n of nodes) expect(n).toMatchObject({ status: 'OPEN', sourceId, reconciliationRunId: runId });

    const em = scopedFork(hub.runtime.orm.em, org.orgId);
    expect(await reconEvents('discrepancy.opened')).toBe(5);
    const tx1 = await em.findOneOrFail(SettlementLine, { providerTransactionId: 'TX-1' });
    // TX-1 matched plainly (same id, same amount): the run does not record it one by one, the view rebuilds it.
    expect(await em.count(ReconciliationLine, { reconciliationRunId: runId, settlementLineId: tx1.id })).toBe(
      0,
    );
    const outcomes = await em
      .getConnection()
      .execute<
        Array<{ settlement_line_id: string; outcome: string; rule: string | null; payment_id: string | null }>
      >(
        `select settlement_line_id, outcome, rule, payment_id from reconciliation_line_outcome
          where reconciliation_run_id = ? order by settlement_line_id`,
        [runId],
      );
    const tx1Result = outcomes.find((o) => BigInt(o.settlement_line_id) === tx1.id);
    expect(tx1Result).toMatchObject({ outcome: 'MATCHED', rule: 'TRANSACTION_ID' });
    expect(tx1Result?.payment_id).toBe(
      (await em.findOneOrFail(Payment, { providerTransactionId: 'TX-1' })).id,
    );
    // Every in-period line once; only the lines that did not match plainly are stored.
    expect(outcomes).toHaveLength(9);
    expect(new Set(outcomes.map((o) => o.settlement_line_id)).size).toBe(9);
    const stored = await em.find(ReconciliationLine, { reconciliationRunId: runId });
    expect(stored.length).toBe(
      outcomes.filter((o) => o.outcome !== 'MATCHED' || o.rule !== 'TRANSACTION_ID').length,
    );
    expect(stored.length).toBeLessThan(9);

    // The payment shows its own discrepancy.
    const tx3 = await em.findOneOrFail(Payment, { providerTransactionId: 'TX-3' });
    const p = await hub.gql(
      `{ payment(id: "${tx3.id}") { discrepancies(status: [OPEN]) { type } } }`,
      {},
      financeKey,
    );
    // Its own discrepancies: the settlement mismatch, and (from matching) that no loan has reference LN-3.
    expect(p.body.data.payment.discrepancies.map((d: { type: string }) => d.type).sort()).toEqual([
      'SETTLEMENT_AMOUNT_MISMATCH',
      'UNMATCHED_PAYMENT',
    ]);
  });

  it('announces the completed run with what it found, committed with its findings', async () => {
    const conn = hub.runtime.orm.em.getConnection();
    const events = await conn.execute<Array<{ payload: Record<string, unknown>; aggregate_type: string }>>(
      `select payload, aggregate_type from outbox_event where organization_id = ? and type = 'reconciliation.completed'
         and aggregate_id = ?`,
      [org.orgId, runId],
    );
    expect(events).toHaveLength(1);
    expect(events[0].aggregate_type).toBe('reconciliation_run');
    expect(events[0].payload).toMatchObject({
      reconciliationRunId: runId,
      sourceId,
      from: period.from,
      to: period.to,
      // Every in-period statement line (seven payment lines, a reversal and a fee); the matched payments.
      lines: 9,
      matchedPayments: 4,
      discrepancyCounts: {
        DUPLICATE_PAYMENT: 1,
        MISSING_AT_RAIL: 1,
        MISSING_IN_SETTLEMENT: 1,
        SETTLEMENT_AMOUNT_MISMATCH: 1,
        UNMATCHED_PAYMENT: 1,
      },
    });
    expect(typeof events[0].payload.elapsedMs).toBe('number');
    // Counts and ids only: no references, phone numbers or names.
    expect(JSON.stringify(events[0].payload)).not.toMatch(/LN-|TX-/);
  });

  it('does not raise the same discrepancy twice when the period is run again', async () => {
    await runAndWait(financeKey);
    const list = await hub.gql(
      LIST,
      { f: { status: ['OPEN'], reconciliationRunId: latestRunId } },
      financeKey,
    );
    expect(list.body.data.discrepancies.totalCount).toBe(5);
    expect(await reconEvents('discrepancy.opened')).toBe(5);
  });

  it('moves a discrepancy through review to resolved, audited and announced', async () => {
    const list = await hub.gql(LIST, { f: { type: ['SETTLEMENT_AMOUNT_MISMATCH'] } }, financeKey);
    const id = list.body.data.discrepancies.edges[0].node.id;
    const RESOLVE = `mutation($i: ResolveDiscrepancyInput!) { resolveDiscrepancy(input: $i) { id status resolution note } }`;

    const review = await hub.gql(
      RESOLVE,
      { i: { id, resolution: 'IN_REVIEW', note: 'calling MTN' } },
      financeKey,
    );
    expect(review.body.data.resolveDiscrepancy).toMatchObject({ status: 'IN_REVIEW', note: 'calling MTN' });
    const dismissBare = await hub.gql(RESOLVE, { i: { id, resolution: 'DISMISSED' } }, financeKey);
    expect(dismissBare.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const agent = await hub.gql(RESOLVE, { i: { id, resolution: 'RESOLVED' } }, agentKey);
    expect(agent.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const foreign = await hub.gql(RESOLVE, { i: { id, resolution: 'RESOLVED' } }, other.adminKey);
    expect(foreign.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const done = await hub.gql(
      RESOLVE,
      { i: { id, resolution: 'RESOLVED', note: 'MTN fee credited back', resolutionCode: 'RAIL_CORRECTED' } },
      financeKey,
    );
    expect(done.body.data.resolveDiscrepancy).toMatchObject({
      status: 'RESOLVED',
      resolution: 'RAIL_CORRECTED',
    });
    const again = await hub.gql(RESOLVE, { i: { id, resolution: 'IN_REVIEW' } }, financeKey);
    expect(again.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');

    const em = scopedFork(hub.runtime.orm.em, org.orgId);
    const audits = await em.find(
      AuditLog,
      { action: 'discrepancy.status_changed', entityId: id },
      { orderBy: { id: 'asc' } },
    );
    expect(audits.map((a) => (a.data as { to: string }).to)).toEqual(['IN_REVIEW', 'RESOLVED']);
    expect(await em.count(OutboxEvent, { type: 'discrepancy.resolved', aggregateId: id })).toBe(1);

    // A person's resolution survives the next run.
    await runAndWait(financeKey);
    const after = await hub.gql(`{ discrepancy(id: "${id}") { status resolution } }`, {}, financeKey);
    expect(after.body.data.discrepancy).toEqual({ status: 'RESOLVED', resolution: 'RAIL_CORRECTED' });
  });

  it('exports a run’s exceptions as CSV, streamed, to its own organization only', async () => {
    // Each run takes over the discrepancies it finds again, so the latest run's export lists all five.
    const url = `${hub.url}/v1/reconciliation-runs/${latestRunId}/exceptions.csv`;
    const res = await fetch(url, { headers: { authorization: `Bearer ${financeKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    const rows = (await res.text()).trim().split('\r\n');
    expect(rows[0]).toBe(
      'discrepancy_id,type,status,currency,amount,amount_minor,payment_id,provider_transaction_id,loan_account_id,' +
        'settlement_line,summary,created_at,resolution,note,resolved_by,resolved_at',
    );
    expect(rows).toHaveLength(6);
    expect(
      rows.filter((r) => r.includes(',SETTLEMENT_AMOUNT_MISMATCH,RESOLVED,UGX,60000,60000,')),
    ).toHaveLength(1);
    expect(rows.filter((r) => r.includes(',UNMATCHED_PAYMENT,OPEN,UGX,70000,70000,,TX-9,'))).toHaveLength(1);
    const open = await fetch(`${url}?status=OPEN`, { headers: { authorization: `Bearer ${financeKey}` } });
    expect(open.status).toBe(200);
    expect((await open.text()).trim().split('\r\n')).toHaveLength(5);
    const bad = await fetch(`${url}?status=WHATEVER`, { headers: { authorization: `Bearer ${financeKey}` } });
    expect(bad.status).toBe(400);
    const foreign = await fetch(url, { headers: { authorization: `Bearer ${other.adminKey}` } });
    expect(foreign.status).toBe(404);
    const agent = await fetch(url, { headers: { authorization: `Bearer ${agentKey}` } });
    expect(agent.status).toBe(403);
    const anon = await fetch(url);
    expect(anon.status).toBe(401);
  });

  it('streams a large statement through POST /v1/settlement-imports, and clears what it settles', async () => {
    // A later statement that repeats the first one and adds TX-5: repeats count once, TX-5 is now settled.
    const later = [...statement, ['TX-5', 'PAYMENT', '50000', 'UGX', at(5), 'LN-5', '']];
    const body = csv(later);
    const post = (headers: Record<string, string>, query = `sourceId=${sourceId}&format=LIPA_CSV`) =>
      fetch(`${hub.url}/v1/settlement-imports?${query}`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv', ...headers },
        body,
      });
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: `Bearer ${agentKey}` })).status).toBe(403);
    const badFormat = await post(
      { authorization: `Bearer ${financeKey}` },
      `sourceId=${sourceId}&format=XLS`,
    );
    expect(badFormat.status).toBe(400);
    expect(await badFormat.json()).toMatchObject({ error: 'BAD_USER_INPUT' });
    const noSource = await post({ authorization: `Bearer ${financeKey}` }, 'format=LIPA_CSV');
    expect(noSource.status).toBe(400);
    const res = await post({ authorization: `Bearer ${financeKey}` });
    expect(res.status).toBe(201);
    const imp = (await res.json()) as { id: string; status: string; linesRead: number };
    expect(imp).toMatchObject({ status: 'COMPLETED', linesRead: 10 });
    expect(imp.id).not.toBe(importId);

    const run = await runAndWait(financeKey);
    const counts = Object.fromEntries(
      run.discrepancyCounts.map((c: { type: string; count: number }) => [c.type, c.count]),
    );
    expect(counts.MISSING_IN_SETTLEMENT).toBeUndefined();
    expect(counts.DUPLICATE_PAYMENT).toBe(1); // the repeat within the first file, not the second file's copies
    const cleared = await hub.gql(LIST, { f: { type: ['MISSING_IN_SETTLEMENT'] } }, financeKey);
    expect(cleared.body.data.discrepancies.edges[0].node).toMatchObject({
      status: 'RESOLVED',
      resolution: 'CLEARED_BY_RECONCILIATION',
    });
    const em = scopedFork(hub.runtime.orm.em, org.orgId);
    expect(await em.count(AuditLog, { action: 'discrepancy.cleared' })).toBe(1);
    // Line by line: the later file's copies were counted under the first file; only TX-5 is new, and matched.
    const byImport = await em
      .getConnection()
      .execute<Array<{ import_id: string; ptx: string; outcome: string }>>(
        `select l.import_id, l.provider_transaction_id as ptx, o.outcome
         from reconciliation_line_outcome o join settlement_line l on l.id = o.settlement_line_id
        where o.reconciliation_run_id = ?`,
        [run.id],
      );
    const second = byImport.filter((r) => r.import_id === imp.id);
    expect(second.find((r) => r.ptx === 'TX-5')?.outcome).toBe('MATCHED');
    // (A fee line carries no transaction id, so nothing tells its copy apart: it is counted in both files.)
    const copies = second.filter((r) => r.ptx !== 'TX-5' && r.ptx !== null);
    expect(copies).toHaveLength(8);
    expect(copies.every((r) => r.outcome === 'COUNTED_IN_EARLIER_IMPORT')).toBe(true);
    const first = byImport.filter((r) => r.import_id === importId);
    expect(first).toHaveLength(copies.length + 1);
    expect(first.some((r) => r.outcome === 'COUNTED_IN_EARLIER_IMPORT')).toBe(false);
    const ugx = run.summary.find((s: { currency: string }) => s.currency === 'UGX');
    expect(BigInt(ugx.matched.amountMinor) + BigInt(ugx.unmatched.amountMinor)).toBe(
      BigInt(ugx.statementTotal.amountMinor),
    );
  });

  it('keeps organizations apart: runs, imports and discrepancies', async () => {
    const run = await hub.gql(RUN_STATE, { id: runId }, other.adminKey);
    expect(run.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const imp = await hub.gql(`{ settlementImport(id: "${importId}") { id } }`, {}, other.adminKey);
    expect(imp.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const list = await hub.gql(LIST, {}, other.adminKey);
    expect(list.body.data.discrepancies.totalCount).toBe(0);
    const runs = await hub.gql('{ reconciliationRuns(first: 10) { totalCount } }', {}, other.adminKey);
    expect(runs.body.data.reconciliationRuns.totalCount).toBe(0);
    const foreignRun = await hub.gql(RUN, { i: { sourceId, ...period } }, other.adminKey);
    expect(foreignRun.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('announces a run that failed its last attempt, once, and keeps nothing of it', async () => {
    const conn = hub.runtime.orm.em.getConnection();
    const openBefore = await conn.execute<Array<{ n: number }>>(
      `select count(*)::int as n from discrepancy where organization_id = ? and status = 'OPEN'`,
      [org.orgId],
    );
    // The run's last step fails, after its discrepancies were written: all of it must roll back, three times over.
    await conn.execute(`create function lipa_test_fail() returns trigger language plpgsql
                          as $$ begin raise exception 'injected failure'; end $$`);
    await conn.execute(`create trigger lipa_test_fail before insert on reconciliation_line
                          for each statement execute function lipa_test_fail()`);
    try {
      const started = await hub.gql(RUN, { i: { sourceId, ...period } }, financeKey);
      const id = started.body.data.runReconciliation.id as string;
      // Retried twice with backoff (2 s, then 4 s) before the last failure.
      const run = await until(async () => {
        const r = (await hub.gql(RUN_STATE, { id }, financeKey)).body.data?.reconciliationRun;
        return r?.status === 'FAILED' && /will not be retried/.test(r.error) ? r : null;
      }, 30_000);
      expect(run.error).toBe('The run failed and will not be retried: run the period again');
      const events = await conn.execute<Array<{ type: string; payload: Record<string, unknown> }>>(
        `select type, payload from outbox_event where organization_id = ? and aggregate_id = ?`,
        [org.orgId, id],
      );
      expect(events).toEqual([
        { type: 'reconciliation.failed', payload: { reconciliationRunId: id, sourceId, ...period } },
      ]);
      const openAfter = await conn.execute<Array<{ n: number }>>(
        `select count(*)::int as n from discrepancy where organization_id = ? and status = 'OPEN'`,
        [org.orgId],
      );
      expect(openAfter[0].n).toBe(openBefore[0].n);
    } finally {
      await conn.execute(`drop trigger lipa_test_fail on reconciliation_line`);
      await conn.execute(`drop function lipa_test_fail()`);
    }
  }, 45_000);

  it('refreshes settlement_line statistics after a big import, so the run that follows is planned on them', async () => {
    const lastAnalyze = async () => {
      const [row] = await hub.runtime.orm.em
        .getConnection()
        .execute<Array<{ at: Date | null }>>(
          `select greatest(last_analyze, last_autoanalyze) as at from pg_stat_user_tables where relname = 'settlement_line'`,
        );
      return row?.at ? new Date(row.at).getTime() : 0;
    };
    const before = await lastAnalyze();
    // 10,000 lines (the threshold) for the other organization's source, a year back: no other test sees them.
    const yearAgo = Date.now() - 365 * 86_400_000;
    const rows = Array.from({ length: 10_000 }, (_, i) => [
      `BIG-${i}`,
      'PAYMENT',
      '1000',
      'UGX',
      new Date(yearAgo + i * 1000).toISOString(),
      `LN-${i}`,
      '',
    ]);
    const res = await hub.gql(
      IMPORT,
      { i: { sourceId: otherSourceId, format: 'LIPA_CSV', content: csv([HEADER, ...rows]) } },
      other.adminKey,
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.importSettlement).toMatchObject({ status: 'COMPLETED', linesRead: 10_000 });
    // The statistics view is updated asynchronously; the analyze itself finished before the import answered.
    await until(async () => ((await lastAnalyze()) > before ? true : null), 5000);
    const [stats] = await hub.runtime.orm.em
      .getConnection()
      .execute<Array<{ n: number }>>(
        `select count(*)::int as n from pg_stats where tablename = 'settlement_line' and attname = 'import_id'`,
      );
    expect(stats.n).toBe(1);
  });
});
