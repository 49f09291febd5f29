import type { MikroORM } from '@mikro-orm/postgresql';
import type { PoolClient } from 'pg';
import { Organization } from '../../entities/organization.entity';
import { PaymentSource } from '../../entities/payment-source.entity';
import { ReconciliationRun } from '../../entities/reconciliation-run.entity';
import { badInput, notFound } from '../../errors/app-error';
import type { Queues } from '../../jobs/queues';
import type { Logger } from '../../logger';
import { audit } from '../audit';
import type { Scope } from '../scope';
import { LendingSource } from '../../entities/lending-source.entity';
import type { SourceService } from '../source.service';
import { inTransaction, withPgClient } from './pg-client';
import { newId } from '../../domain/ids';
import { recordEvent } from '../../events/outbox';
import { LENDER_SAMPLE_KEY, RUN_STEPS, STATS_SQL } from './run-sql';

export interface RunReconciliationInput {
  sourceId: string;
  from: Date;
  to: Date;
  /** Absolute amount tolerance in minor units (default 0). */
  amountToleranceMinor?: bigint | null;
  /** Relative amount tolerance in basis points of the payment amount (default 50 = 0.5%). */
  amountToleranceBasisPoints?: number | null;
  /** How far a statement line's time may be from the payment's (default 86,400 s = 1 day). */
  dateToleranceSeconds?: number | null;
  /** How long a settled, loan-matched payment may wait for posting before it is MISSING_IN_LENDER (default 1 h). */
  lenderGraceSeconds?: number | null;
  /** Re-read posted payments' loans from the lender to confirm each repayment is still there (default true). */
  checkLender?: boolean | null;
  /** At most this many posted payments are re-read (default and ceiling 20,000); beyond it, a random sample. */
  lenderCheckLimit?: number | null;
}

export interface RunOptions {
  amountToleranceMinor: string;
  amountToleranceBasisPoints: number;
  dateToleranceSeconds: number;
  lenderGraceSeconds: number;
  checkLender?: boolean;
  lenderCheckLimit?: number;
}

/** What the lender check found: posted payments the lender no longer shows (or shows reversed). */
interface LenderCheck {
  checkedLoans: number;
  checkedPayments: number;
  /** The posted payments of the period: more than checkedPayments when the check took a sample. */
  postedPayments: number;
  missing: Array<{ paymentId: string; reason: 'NOT_FOUND' | 'REVERSED'; lenderTransactionId: string | null }>;
  loanErrors: number;
  /** Whether the check read a sample rather than every posted payment (see sampleCutoff). */
  truncated: boolean;
  /**
   * When sampled: the last sample key read. The sample is the posted payments with the smallest keys
   * (LENDER_SAMPLE_KEY, a hash of payment and run), so each run reads a different random sample, and whether a
   * payment was in a run's sample can be told again in SQL without listing the sample.
   */
  sampleCutoff: string | null;
}

/** Posted payments a run re-reads from the lender at most (the lenderCheckLimit default and ceiling). */
const MAX_LENDER_CHECK_PAYMENTS = 20_000;
const LENDER_CHECK_CONCURRENCY = 8;

const MAX_PERIOD_DAYS = 93;
const PARAM_NAMES = [
  'org',
  'source',
  'from',
  'to',
  'tolMinor',
  'tolBp',
  'dateTol',
  'run',
  'grace',
  'lenderMissing',
  'lenderChecked',
  'lenderSampleCutoff',
  'imports',
  'repeatsListed',
] as const;
type ParamName = (typeof PARAM_NAMES)[number];
const PARAM_PATTERN = new RegExp(`(?<![:\\w]):(${PARAM_NAMES.join('|')})\\b`, 'g');

/** Turns `:name` placeholders into `$n`, numbering only the names a statement uses (pg rejects unused ones). */
export function compileNamed(
  sql: string,
  values: Record<ParamName, unknown>,
): { text: string; values: unknown[] } {
  const order: ParamName[] = [];
  const text = sql.replace(PARAM_PATTERN, (_m, name: ParamName) => {
    let i = order.indexOf(name);
    if (i < 0) i = order.push(name) - 1;
    return `$${i + 1}`;
  });
  return { text, values: order.map((n) => values[n]) };
}

/**
 * Three-way reconciliation of one rail source over a period: its imported statement lines, Lipa's payments and
 * what was posted to the lender. A run is queued by {@link start} and executed by a worker ({@link execute}) as
 * one transaction of set-based SQL (see run-sql.ts), so its discrepancies, their events and the run's figures
 * commit together. Running the same period again updates the same discrepancies (dedupe keys) and resolves the
 * ones it no longer finds.
 */
export class ReconciliationService {
  constructor(
    private readonly orm: MikroORM,
    private readonly queues: Queues,
    private readonly logger: Logger,
    private readonly sources: SourceService,
  ) {}

  async start(scope: Scope, input: RunReconciliationInput): Promise<ReconciliationRun> {
    const options = validate(input);
    const source = await scope.em.findOne(PaymentSource, { id: input.sourceId });
    if (!source) throw notFound('Payment source', input.sourceId);
    const run = scope.em.create(ReconciliationRun, {
      organization: scope.em.getReference(Organization, scope.principal.organizationId),
      paymentSource: source,
      periodFrom: input.from,
      periodTo: input.to,
      createdBy: scope.principal.actorId,
      options: { ...options },
    });
    audit(scope.em, scope.principal, 'reconciliation.started', 'reconciliation_run', run.id, {
      sourceId: source.id,
      from: input.from.toISOString(),
      to: input.to.toISOString(),
    });
    await scope.em.flush();
    await this.queues.reconciliation.add(
      'run',
      { organizationId: scope.principal.organizationId, reconciliationRunId: run.id },
      { jobId: run.id, attempts: 3 },
    );
    return run;
  }

  /**
   * Executes a queued run (idempotent: a completed run is left alone; a failed or interrupted one runs again).
   * Returns the run as committed.
   */
  async execute(
    organizationId: string,
    runId: string,
    attempt: { finalAttempt?: boolean } = {},
  ): Promise<ReconciliationRun> {
    const em = this.orm.em.fork();
    em.setFilterParams('tenant', { organizationId });
    const run = await em.findOne(ReconciliationRun, { id: runId }, { populate: ['paymentSource'] });
    if (!run) throw notFound('Reconciliation run', runId);
    if (run.status === 'COMPLETED') return run;
    run.status = 'RUNNING';
    run.startedAt = new Date();
    run.error = null;
    await em.flush();

    const opts = run.options as unknown as RunOptions;
    // The lender is read before the transaction opens: no network calls while the run holds its locks.
    const lender =
      opts.checkLender === false
        ? null
        : await this.checkLender(
            organizationId,
            run,
            opts.lenderCheckLimit ?? MAX_LENDER_CHECK_PAYMENTS,
          ).catch((err: unknown) => {
            this.logger.warn({ err, runId: run.id }, 'lender check failed; the run continues without it');
            return null;
          });
    const values: Record<ParamName, unknown> = {
      org: organizationId,
      source: run.paymentSource.id,
      from: run.periodFrom,
      to: run.periodTo,
      tolMinor: opts.amountToleranceMinor,
      tolBp: opts.amountToleranceBasisPoints,
      dateTol: opts.dateToleranceSeconds,
      run: run.id,
      grace: opts.lenderGraceSeconds,
      lenderMissing: JSON.stringify(
        (lender?.missing ?? []).map((m) => ({
          payment_id: m.paymentId,
          reason: m.reason,
          lender_transaction_id: m.lenderTransactionId,
        })),
      ),
      lenderChecked: lender !== null,
      lenderSampleCutoff: lender?.sampleCutoff ?? null,
      ...(await this.importsFor(organizationId, run, opts.dateToleranceSeconds)),
    };
    const started = process.hrtime.bigint();
    const timings: Record<string, number> = {};
    try {
      await withPgClient(this.orm, (client) =>
        inTransaction(client, async () => {
          for (const step of RUN_STEPS) {
            const t0 = process.hrtime.bigint();
            const q = compileNamed(step.sql, values);
            await client.query(q.text, q.values);
            timings[step.name] = Number(process.hrtime.bigint() - t0) / 1e6;
          }
          const s = {
            ...(await this.collectStats(client)),
            lender,
            // Where the keys listed more than once came from: the one import's own list, or grouping every line.
            repeatedKeys: values.repeatsListed ? 'LISTED_BY_IMPORT' : 'GROUPED_BY_RUN',
          };
          const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
          await client.query(
            `update reconciliation_run set status = 'COMPLETED', stats = $2, import_ids = $4, completed_at = now(),
                    updated_at = now()
             where id = $1 and organization_id = $3`,
            [
              run.id,
              JSON.stringify({ ...s, elapsedMs: Math.round(elapsedMs), stepMs: roundedTimings(timings) }),
              organizationId,
              values.imports,
            ],
          );
          // Finance tools learn the run is done (and what it found) without polling; committed with the findings.
          await client.query(
            `insert into outbox_event (id, organization_id, created_at, updated_at, type, aggregate_type, aggregate_id,
                                       payload)
             values ($1, $2, now(), now(), 'reconciliation.completed', 'reconciliation_run', $3, $4)`,
            [newId('oev'), organizationId, run.id, JSON.stringify(completedPayload(run, s, elapsedMs))],
          );
          return s;
        }),
      );
      this.logger.info(
        { runId: run.id, ms: Math.round(Number(process.hrtime.bigint() - started) / 1e6), timings },
        'reconciliation run completed',
      );
    } catch (err) {
      this.logger.error(
        { err, runId: run.id, finalAttempt: attempt.finalAttempt === true },
        'reconciliation run failed',
      );
      // The job retries a failed run; only the last failure is announced (an earlier one may still complete).
      await this.orm.em.fork().transactional(async (tx) => {
        await tx.nativeUpdate(
          ReconciliationRun,
          { id: run.id, organization: organizationId },
          {
            status: 'FAILED',
            error: attempt.finalAttempt
              ? 'The run failed and will not be retried: run the period again'
              : 'The run failed; it is retried automatically',
            completedAt: new Date(),
          },
          { filters: false },
        );
        if (attempt.finalAttempt)
          recordEvent(tx, {
            organizationId,
            type: 'reconciliation.failed',
            aggregateType: 'reconciliation_run',
            aggregateId: run.id,
            payload: runIdentity(run),
          });
      });
      throw err;
    }
    const fresh = this.orm.em.fork();
    fresh.setFilterParams('tenant', { organizationId });
    return fresh.findOneOrFail(ReconciliationRun, { id: run.id }, { populate: ['paymentSource'] });
  }

  /**
   * The source's completed imports whose period overlaps the run's (widened by the date tolerance). Read once, so
   * every step sees the same lines even if another import completes while the run is under way. `repeatsListed`: the
   * run covers one import, which listed the keys it repeats (the run then ranks only those; with several imports a
   * key may repeat across them, and the run groups the lines itself).
   */
  private async importsFor(organizationId: string, run: ReconciliationRun, dateTolSeconds: number) {
    const tol = dateTolSeconds * 1000;
    const rows = await this.orm.em.getConnection().execute<Array<{ id: string; listed: boolean }>>(
      `select id, repeated_keys is not null as listed from settlement_import
        where organization_id = ? and payment_source_id = ? and status = 'COMPLETED'
         and period_from < ? and period_to >= ? order by id`,
      [
        organizationId,
        run.paymentSource.id,
        new Date(run.periodTo.getTime() + tol),
        new Date(run.periodFrom.getTime() - tol),
      ],
    );
    return { imports: rows.map((r) => r.id), repeatsListed: rows.length === 1 && rows[0].listed };
  }

  /**
   * The lender leg of the three-way match: for payments of this source posted in the period, re-reads each loan's
   * transactions from the lender and reports the repayments it no longer lists, or lists as reversed (someone
   * undid them at the lender, outside Lipa). Loans that cannot be read are counted, not reported as missing.
   */
  private async checkLender(
    organizationId: string,
    run: ReconciliationRun,
    limit: number,
  ): Promise<LenderCheck> {
    const payments = await this.orm.em.getConnection().execute<
      Array<{
        id: string;
        lender_transaction_id: string | null;
        loan_external_id: string;
        lending_source_id: string;
        sample_key: string;
        posted: string;
      }>
    >(
      // Beyond the limit, a random sample, a different one each run, so repeated runs cover the period (ordered by id,
      // every run would re-read its first payments and never its later ones).
      `select p.id, p.lender_transaction_id, l.external_id as loan_external_id, l.lending_source_id,
              ${LENDER_SAMPLE_KEY('p.id', '?::text')} as sample_key, count(*) over () as posted
         from payment p join loan_account l on l.id = p.loan_account_id and l.organization_id = p.organization_id
        where p.organization_id = ? and p.payment_source_id = ? and p.reconciliation_state = 'POSTED'
          and p.received_at >= ? and p.received_at < ?
        order by sample_key limit ?`,
      [run.id, organizationId, run.paymentSource.id, run.periodFrom, run.periodTo, limit],
    );
    // count(*) over () is taken before the limit: every posted payment of the period.
    const postedPayments = payments.length > 0 ? Number(payments[0].posted) : 0;
    const truncated = postedPayments > payments.length;
    const byLoan = new Map<string, typeof payments>();
    for (const p of payments) {
      const key = `${p.lending_source_id}\u0000${p.loan_external_id}`;
      const group = byLoan.get(key);
      if (group) group.push(p);
      else byLoan.set(key, [p]);
    }
    const em = this.orm.em.fork();
    em.setFilterParams('tenant', { organizationId });
    const connectors = new Map<string, ReturnType<SourceService['lendingConnector']>>();
    const connectorFor = async (lendingSourceId: string) => {
      let c = connectors.get(lendingSourceId);
      if (!c) {
        const source = await em.findOneOrFail(
          LendingSource,
          { id: lendingSourceId },
          { populate: ['credentialsEncrypted'] },
        );
        c = this.sources.lendingConnector(source);
        connectors.set(lendingSourceId, c);
      }
      return c;
    };
    const missing: LenderCheck['missing'] = [];
    let loanErrors = 0;
    const queue = [...byLoan.values()];
    const work = async () => {
      for (let group = queue.shift(); group; group = queue.shift()) {
        try {
          const connector = await connectorFor(group[0].lending_source_id);
          const txs = await connector.listTransactions({ loanExternalId: group[0].loan_external_id });
          for (const p of group) {
            const tx =
              txs.find(
                (t) => p.lender_transaction_id !== null && t.transactionId === p.lender_transaction_id,
              ) ?? txs.find((t) => t.externalId === p.id);
            if (!tx)
              missing.push({
                paymentId: p.id,
                reason: 'NOT_FOUND',
                lenderTransactionId: p.lender_transaction_id,
              });
            else if (tx.reversed)
              missing.push({ paymentId: p.id, reason: 'REVERSED', lenderTransactionId: tx.transactionId });
          }
        } catch (err) {
          loanErrors++;
          this.logger.warn({ err, runId: run.id }, 'lender check could not read a loan');
        }
      }
    };
    await Promise.all(Array.from({ length: LENDER_CHECK_CONCURRENCY }, work));
    return {
      checkedLoans: byLoan.size,
      checkedPayments: payments.length,
      postedPayments,
      missing,
      loanErrors,
      truncated,
      sampleCutoff: truncated ? payments[payments.length - 1].sample_key : null,
    };
  }

  private async collectStats(client: PoolClient) {
    const outcomes = await client.query(STATS_SQL.outcomes);
    const lipa = await client.query(STATS_SQL.lipa);
    const discrepancies = await client.query(STATS_SQL.discrepancies);
    return summarise(outcomes.rows, lipa.rows, discrepancies.rows);
  }
}

type Row = Record<string, unknown>;

/** The run's figures, keyed by currency, amounts as minor-unit strings (JSON has no bigint). */
export function summarise(outcomes: Row[], lipa: Row[], discrepancies: Row[]) {
  const matchedOutcomes = new Set(['MATCHED', 'MATCHED_WITHIN_TOLERANCE', 'MATCHED_FUZZY']);
  const statement: Record<string, Record<string, unknown>> = {};
  for (const r of outcomes) {
    const currency = String(r.currency);
    const c = (statement[currency] ??= {
      lines: 0,
      paymentsInMinor: '0',
      matchedCount: 0,
      matchedMinor: '0',
      discrepancyCount: 0,
      discrepancyMinor: '0',
      driftMinor: '0',
      byOutcome: {} as Record<string, { count: number; amountMinor: string }>,
    });
    const count = Number(r.count);
    const amount = BigInt(String(r.amount_minor));
    c.lines = (c.lines as number) + count;
    const key = `${String(r.kind)}:${String(r.outcome)}`;
    (c.byOutcome as Record<string, unknown>)[key] = { count, amountMinor: amount.toString() };
    if (r.kind !== 'PAYMENT') continue;
    c.paymentsInMinor = (BigInt(c.paymentsInMinor as string) + amount).toString();
    if (matchedOutcomes.has(String(r.outcome))) {
      c.matchedCount = (c.matchedCount as number) + count;
      c.matchedMinor = (BigInt(c.matchedMinor as string) + amount).toString();
      c.driftMinor = (BigInt(c.driftMinor as string) + BigInt(String(r.drift_minor))).toString();
    } else {
      c.discrepancyCount = (c.discrepancyCount as number) + count;
      c.discrepancyMinor = (BigInt(c.discrepancyMinor as string) + amount).toString();
    }
  }
  const payments: Record<string, unknown> = {};
  for (const r of lipa) {
    payments[String(r.currency)] = {
      count: r.count,
      amountMinor: r.amount_minor,
      settledCount: r.settled_count,
      settledMinor: r.settled_minor,
      postedCount: r.posted_count,
      postedMinor: r.posted_minor,
      withoutLoanCount: r.without_loan_count,
    };
  }
  const byType: Record<string, Record<string, { count: number; amountMinor: string }>> = {};
  for (const r of discrepancies) {
    (byType[String(r.type)] ??= {})[String(r.currency)] = {
      count: Number(r.count),
      amountMinor: String(r.amount_minor),
    };
  }
  return { statement, payments, discrepancies: byType };
}

function validate(input: RunReconciliationInput): RunOptions {
  const problems: string[] = [];
  if (!(input.from instanceof Date) || Number.isNaN(input.from.getTime()))
    problems.push('from must be a date');
  if (!(input.to instanceof Date) || Number.isNaN(input.to.getTime())) problems.push('to must be a date');
  if (!problems.length && input.to <= input.from) problems.push('to must be after from');
  if (!problems.length && input.to.getTime() - input.from.getTime() > MAX_PERIOD_DAYS * 86_400_000)
    problems.push(`a run covers at most ${MAX_PERIOD_DAYS} days`);
  const tolMinor = input.amountToleranceMinor ?? 0n;
  if (tolMinor < 0n || tolMinor > 1_000_000_000n)
    problems.push('amountToleranceMinor must be between 0 and 1000000000');
  const tolBp = input.amountToleranceBasisPoints ?? 50;
  if (!Number.isInteger(tolBp) || tolBp < 0 || tolBp > 1000)
    problems.push('amountToleranceBasisPoints must be an integer from 0 to 1000 (10%)');
  const dateTol = input.dateToleranceSeconds ?? 86_400;
  if (!Number.isInteger(dateTol) || dateTol < 0 || dateTol > 7 * 86_400)
    problems.push('dateToleranceSeconds must be an integer from 0 to 604800 (7 days)');
  const grace = input.lenderGraceSeconds ?? 3_600;
  if (!Number.isInteger(grace) || grace < 0 || grace > 30 * 86_400)
    problems.push('lenderGraceSeconds must be an integer from 0 to 2592000 (30 days)');
  const lenderLimit = input.lenderCheckLimit ?? MAX_LENDER_CHECK_PAYMENTS;
  if (!Number.isInteger(lenderLimit) || lenderLimit < 1 || lenderLimit > MAX_LENDER_CHECK_PAYMENTS)
    problems.push(`lenderCheckLimit must be an integer from 1 to ${MAX_LENDER_CHECK_PAYMENTS}`);
  if (problems.length) throw badInput(problems.join('; '));
  return {
    amountToleranceMinor: tolMinor.toString(),
    amountToleranceBasisPoints: tolBp,
    dateToleranceSeconds: dateTol,
    lenderGraceSeconds: grace,
    checkLender: input.checkLender !== false,
    lenderCheckLimit: lenderLimit,
  };
}

/** What every reconciliation event says of its run. */
function runIdentity(run: ReconciliationRun) {
  return {
    reconciliationRunId: run.id,
    sourceId: run.paymentSource.id,
    from: run.periodFrom.toISOString(),
    to: run.periodTo.toISOString(),
  };
}

/**
 * `reconciliation.completed`: the run, how many statement lines it read and matched, and the discrepancies it found
 * by type (counts only: the list is `discrepancies(reconciliationRunId)`).
 */
function completedPayload(run: ReconciliationRun, stats: ReturnType<typeof summarise>, elapsedMs: number) {
  let lines = 0;
  let matched = 0;
  for (const c of Object.values(stats.statement)) {
    lines += c.lines as number;
    matched += c.matchedCount as number;
  }
  const discrepancyCounts: Record<string, number> = {};
  for (const [type, byCurrency] of Object.entries(stats.discrepancies))
    discrepancyCounts[type] = Object.values(byCurrency).reduce((n, c) => n + c.count, 0);
  return {
    ...runIdentity(run),
    lines,
    matchedPayments: matched,
    discrepancyCounts,
    elapsedMs: Math.round(elapsedMs),
  };
}

/** Milliseconds per run step, for operators (`stats.stepMs`) and the benchmark. */
function roundedTimings(timings: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)]));
}
