import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { UnrecoverableError } from 'bullmq';
import { ConnectorError } from '../connectors/errors';
import type { LenderLoan, LendingSystemConnector } from '../connectors/types';
import { ulid } from '../domain/ids';
import { isKnownCurrency } from '../domain/money';
import { countryForCurrency, normalizePhone } from '../domain/phone';
import { LendingSource } from '../entities/lending-source.entity';
import { LoanAccount } from '../entities/loan-account.entity';
import { Organization } from '../entities/organization.entity';
import { Installment } from '../entities/installment.entity';
import { expectationsFromInstallments } from './expectations';
import { Borrower } from '../entities/borrower.entity';
import { SyncRun } from '../entities/sync-run.entity';
import { notFound } from '../errors/app-error';
import { recordEvent } from '../events/outbox';
import type { Queues } from '../jobs/queues';
import type { Logger } from '../logger';
import { scopedFork, type Scope } from './scope';
import type { SourceService } from './source.service';

const PAGE_SIZE = 500;
const SCAN_PAGE_SIZE = 1000;
const MAX_RECORDED_ERRORS = 100;
const DETAIL_BATCH = 200;

/** The lender fields Lipa stores; a loan whose fingerprint is unchanged is not rewritten (cheap incremental scans). */
export function loanFingerprint(l: LenderLoan): string {
  return createHash('sha1')
    .update(
      [
        l.status,
        l.rawStatus,
        l.accountNumber,
        l.externalReference,
        l.currency,
        l.principal.amountMinor,
        l.outstanding.amountMinor,
        l.overdue.amountMinor,
        l.daysPastDue,
        l.daysInArrears,
        l.delinquencyClass,
        l.nextDueDate,
        l.borrowerExternalId,
        l.borrowerDisplayName,
      ].join('|'),
    )
    .digest('base64url');
}

interface ExistingLoanRow {
  id: string;
  external_id: string;
  fingerprint: string | null;
  lender_outstanding_minor: string;
}

/**
 * Pulls loans from a lending system into LoanAccount snapshots. Pages are upserted set-based (one statement per
 * page), keyed on (source, external id), so a re-run or a resumed run is idempotent; progress and the cursor are
 * saved after every page so a crashed run resumes where it stopped. Loans missing upstream are marked, never deleted.
 */
export class SyncService {
  constructor(
    private readonly orm: MikroORM,
    private readonly sources: SourceService,
    private readonly queues: Queues,
    private readonly logger: Logger,
  ) {}

  /** Starts a sync (FULL the first time, INCREMENTAL afterwards unless asked) and returns its run. */
  async startSync(scope: Scope, lendingSourceId: string, mode?: 'FULL' | 'INCREMENTAL'): Promise<SyncRun> {
    const source = await scope.em.findOne(LendingSource, { id: lendingSourceId });
    if (!source) throw notFound('Lending source', lendingSourceId);
    const running = await scope.em.findOne(SyncRun, {
      lendingSource: source,
      status: { $in: ['QUEUED', 'RUNNING'] },
    });
    if (running) return running;
    const run = scope.em.create(SyncRun, {
      organization: scope.em.getReference(Organization, scope.principal.organizationId),
      lendingSource: source,
      mode: mode ?? (source.syncWatermark ? 'INCREMENTAL' : 'FULL'),
    });
    await scope.em.persistAndFlush(run);
    await this.queues.lendingSync.add(
      'sync',
      {
        organizationId: scope.principal.organizationId,
        lendingSourceId: source.id,
        syncRunId: run.id,
        mode: run.mode,
      },
      { jobId: run.id, attempts: 5 },
    );
    return run;
  }

  async getRun(scope: Scope, id: string): Promise<SyncRun> {
    const run = await scope.em.findOne(SyncRun, { id });
    if (!run) throw notFound('Sync run', id);
    return run;
  }

  /** Runs (or resumes) a sync run to completion. Called by the lending-sync job and by benchmarks. */
  async runSync(organizationId: string, syncRunId: string): Promise<SyncRun> {
    const em = scopedFork(this.orm.em, organizationId);
    const run = await em.findOne(
      SyncRun,
      { id: syncRunId },
      { populate: ['lendingSource', 'lendingSource.credentialsEncrypted'] },
    );
    if (!run) throw new UnrecoverableError(`sync run ${syncRunId} not found`);
    if (run.status === 'SUCCEEDED' || run.status === 'FAILED' || run.status === 'PARTIAL') return run;
    const source = run.lendingSource;
    const log = this.logger.child({ syncRunId, lendingSourceId: source.id, mode: run.mode });
    // One start time per run, set atomically: a resumed or concurrently delivered job uses the same watermark, so
    // the "vanished upstream" marking below can never flag loans another pass of this run just wrote.
    const claimed = await em
      .getConnection()
      .execute<Array<{ started_at: Date }>>(
        `update sync_run set status = 'RUNNING', started_at = coalesce(started_at, now()) where id = ? returning started_at`,
        [run.id],
      );
    run.status = 'RUNNING';
    run.startedAt = new Date(claimed[0].started_at);
    const startedAt = run.startedAt;
    let connector: LendingSystemConnector;
    try {
      connector = this.sources.lendingConnector(source);
    } catch (err) {
      return this.fail(
        em,
        run,
        source,
        err instanceof ConnectorError ? err.message : 'Stored credentials are unusable',
      );
    }
    const modifiedSince = run.mode === 'INCREMENTAL' ? (source.syncWatermark ?? null) : null;
    const needDetails: string[] = [];
    try {
      // A scanning connector reads every loan on each sync: larger pages mean fewer round trips.
      const pageSize = connector.capabilities.incrementalSync === 'scan' ? SCAN_PAGE_SIZE : PAGE_SIZE;
      const fetchPage = (cursor: string | null) => {
        const p = connector.listLoans({ cursor, pageSize, modifiedSince });
        p.catch(() => undefined); // observed below; avoids an unhandled rejection while prefetched
        return p;
      };
      // The next page is fetched while the current one is written (network/parsing overlaps the database work).
      let pending = fetchPage(run.cursor ?? null);
      for (;;) {
        const page = await pending;
        if (page.nextCursor) pending = fetchPage(page.nextCursor);
        const changed = await this.upsertPage(em, organizationId, source, page.loans, startedAt, run.mode);
        needDetails.push(...changed);
        const errors = [...(run.errors ?? [])];
        for (const f of page.failures)
          if (errors.length < MAX_RECORDED_ERRORS)
            errors.push({ externalId: f.externalId, message: f.message.slice(0, 300) });
        await this.markLoanErrors(em, source, page.failures);
        // Progress is committed per page: clients poll it, and a crash resumes from `cursor`.
        await em.nativeUpdate(
          SyncRun,
          { id: run.id },
          {
            processed: run.processed + page.loans.length + page.failures.length,
            failed: run.failed + page.failures.length,
            total: page.total ?? run.total ?? null,
            cursor: page.nextCursor,
            errors,
          },
        );
        run.processed += page.loans.length + page.failures.length;
        run.failed += page.failures.length;
        run.total = page.total ?? run.total ?? null;
        run.cursor = page.nextCursor;
        run.errors = errors;
        if (!run.cursor) break;
      }
    } catch (err) {
      if (err instanceof ConnectorError && err.code === 'AUTH_CONFIG_INVALID') {
        // Wrong credentials: mark the source, stop, do not retry (no retry storm against the lender).
        return this.fail(em, run, source, `The lender rejected the credentials: ${err.message}`);
      }
      if (err instanceof ConnectorError && !err.retryable) return this.fail(em, run, source, err.message);
      log.warn({ err }, 'sync page failed; the job will resume from the saved cursor');
      throw err;
    }

    if (run.mode === 'FULL') {
      // Loans the lender no longer lists are marked, never deleted.
      await em
        .getConnection()
        .execute(
          `update loan_account set missing_upstream_since = now() where organization_id = ? and lending_source_id = ? and (last_synced_at is null or last_synced_at < ?) and missing_upstream_since is null`,
          [organizationId, source.id, startedAt],
        );
    }
    const fresh = scopedFork(this.orm.em, organizationId);
    const done = await fresh.findOneOrFail(SyncRun, { id: run.id });
    done.status = done.failed > 0 ? 'PARTIAL' : 'SUCCEEDED';
    done.completedAt = new Date();
    const src = await fresh.findOneOrFail(LendingSource, { id: source.id });
    src.lastSyncedAt = done.completedAt;
    src.syncWatermark = startedAt;
    if (src.status === 'UNHEALTHY') {
      src.status = 'ACTIVE';
      src.statusReason = null;
    }
    await fresh.flush();
    for (let i = 0; i < needDetails.length; i += DETAIL_BATCH) {
      await this.queues.lendingSync
        .add(
          'details',
          {
            organizationId,
            lendingSourceId: source.id,
            mode: 'INCREMENTAL',
            syncRunId: run.id,
            loanIds: needDetails.slice(i, i + DETAIL_BATCH),
          } as never,
          {
            jobId: `details:${run.id}:${i}`,
          },
        )
        .catch((err) => log.warn({ err }, 'could not enqueue loan details'));
    }
    log.info(
      { processed: done.processed, failed: done.failed, detailsQueued: needDetails.length },
      'sync finished',
    );
    return done;
  }

  private async fail(em: Scope['em'], run: SyncRun, source: LendingSource, reason: string): Promise<never> {
    const fresh = scopedFork(this.orm.em, source.organization.id);
    await fresh.nativeUpdate(
      SyncRun,
      { id: run.id },
      { status: 'FAILED', error: reason.slice(0, 500), completedAt: new Date() },
    );
    await fresh.nativeUpdate(
      LendingSource,
      { id: source.id },
      { status: 'UNHEALTHY', statusReason: reason.slice(0, 500) },
    );
    void em;
    throw new UnrecoverableError(reason);
  }

  private async markLoanErrors(
    em: Scope['em'],
    source: LendingSource,
    failures: Array<{ externalId: string | null; message: string }>,
  ): Promise<void> {
    for (const f of failures) {
      if (!f.externalId) continue;
      await em
        .getConnection()
        .execute(`update loan_account set sync_error = ? where lending_source_id = ? and external_id = ?`, [
          f.message.slice(0, 500),
          source.id,
          f.externalId,
        ]);
    }
  }

  /**
   * Upserts one page set-based. Returns the ids of loans that are new or changed (their details are refreshed).
   * Emits `loan.balance_changed` for existing loans whose lender outstanding moved.
   */
  private async upsertPage(
    em: Scope['em'],
    organizationId: string,
    source: LendingSource,
    loans: LenderLoan[],
    syncedAt: Date,
    mode: 'FULL' | 'INCREMENTAL',
  ): Promise<string[]> {
    if (loans.length === 0) return [];
    const conn = em.getConnection();
    const valid = loans.filter((l) => isKnownCurrency(l.currency));
    const externalIds = valid.map((l) => l.externalId);
    const existing = await conn.execute<ExistingLoanRow[]>(
      `select id, external_id, fingerprint, lender_outstanding_minor::text from loan_account where lending_source_id = ? and external_id in (${externalIds.map(() => '?').join(', ')})`,
      [source.id, ...externalIds],
    );
    const byExternal = new Map(existing.map((r) => [r.external_id, r]));

    // Fingerprints first: an unchanged loan costs nothing beyond this comparison (cheap incremental scans).
    const fingerprints = new Map(valid.map((l) => [l.externalId, loanFingerprint(l)]));
    const toWrite = valid.filter(
      (l) => byExternal.get(l.externalId)?.fingerprint !== fingerprints.get(l.externalId),
    );

    // Borrowers of new or changed loans (one statement), so loans can point at them.
    const borrowerIds = new Map<string, string>();
    const borrowerExternals = [...new Set(toWrite.map((l) => l.borrowerExternalId).filter(Boolean))];
    if (borrowerExternals.length) {
      const names = new Map(toWrite.map((l) => [l.borrowerExternalId, l.borrowerDisplayName]));
      const params: unknown[] = [];
      const rows = borrowerExternals.map((ext) => {
        params.push(`bor_${ulid()}`, organizationId, source.id, ext, names.get(ext) ?? null);
        return '(?, ?, ?, ?, ?)';
      });
      const upserted = await conn.execute<Array<{ id: string; external_id: string }>>(
        `insert into borrower (id, organization_id, lending_source_id, external_id, display_name) values ${rows.join(', ')}
         on conflict (lending_source_id, external_id) do update set display_name = coalesce(excluded.display_name, borrower.display_name), updated_at = now()
         returning id, external_id`,
        params,
      );
      for (const r of upserted) borrowerIds.set(r.external_id, r.id);
    }

    const changedIds: string[] = [];
    const balanceEvents: Array<{ id: string; before: string; after: string; currency: string }> = [];
    const params: unknown[] = [];
    const rows: string[] = [];
    const untouched: string[] = [];
    for (const l of valid) {
      const fp = fingerprints.get(l.externalId)!;
      const prior = byExternal.get(l.externalId);
      if (prior && prior.fingerprint === fp) {
        untouched.push(prior.id);
        continue;
      }
      const id = prior?.id ?? `loan_${ulid()}`;
      changedIds.push(id);
      if (prior && prior.lender_outstanding_minor !== l.outstanding.amountMinor.toString()) {
        balanceEvents.push({
          id,
          before: prior.lender_outstanding_minor,
          after: l.outstanding.amountMinor.toString(),
          currency: l.currency,
        });
      }
      rows.push('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
      params.push(
        id,
        organizationId,
        source.id,
        borrowerIds.get(l.borrowerExternalId) ?? null,
        l.externalId,
        l.accountNumber.toUpperCase(),
        l.externalReference,
        l.currency,
        l.status,
        l.rawStatus,
        l.principal.amountMinor.toString(),
        l.outstanding.amountMinor.toString(),
        l.overdue.amountMinor.toString(),
        l.daysPastDue,
        l.daysInArrears,
        l.delinquencyClass,
        l.nextDueDate,
        syncedAt,
        l.lastModifiedAt,
        fp,
        null,
      );
    }
    if (rows.length) {
      await conn.execute(
        `insert into loan_account (id, organization_id, lending_source_id, borrower_id, external_id, account_number, external_reference, currency, status, raw_status,
           principal_minor, lender_outstanding_minor, overdue_minor, days_past_due, days_in_arrears, delinquency_class, next_due_date, last_synced_at, lender_modified_at, fingerprint, sync_error)
         values ${rows.join(', ')}
         on conflict (lending_source_id, external_id) do update set
           borrower_id = excluded.borrower_id, account_number = excluded.account_number, external_reference = excluded.external_reference,
           currency = excluded.currency, status = excluded.status, raw_status = excluded.raw_status, principal_minor = excluded.principal_minor,
           lender_outstanding_minor = excluded.lender_outstanding_minor, overdue_minor = excluded.overdue_minor, days_past_due = excluded.days_past_due,
           days_in_arrears = excluded.days_in_arrears, delinquency_class = excluded.delinquency_class, next_due_date = excluded.next_due_date,
           last_synced_at = excluded.last_synced_at, lender_modified_at = excluded.lender_modified_at, fingerprint = excluded.fingerprint,
           sync_error = null, missing_upstream_since = null, updated_at = now()`,
        params,
      );
    }
    // Only a full sync needs to stamp unchanged loans (to tell vanished loans apart); an incremental scan skips them.
    if (untouched.length && mode === 'FULL') {
      await conn.execute(
        `update loan_account set last_synced_at = ?, missing_upstream_since = null, sync_error = null where id in (${untouched.map(() => '?').join(', ')})`,
        [syncedAt, ...untouched],
      );
    }
    for (const l of loans.filter((x) => !isKnownCurrency(x.currency))) {
      await this.markLoanErrors(em, source, [
        { externalId: l.externalId, message: `Currency ${l.currency} is not supported` },
      ]);
    }
    if (balanceEvents.length) {
      const fork = scopedFork(this.orm.em, organizationId);
      for (const e of balanceEvents) {
        recordEvent(fork, {
          organizationId,
          type: 'loan.balance_changed',
          aggregateType: 'loan_account',
          aggregateId: e.id,
          payload: {
            loanAccountId: e.id,
            lenderOutstandingMinor: e.after,
            previousLenderOutstandingMinor: e.before,
            currency: e.currency,
            reason: 'lender_sync',
          },
        });
      }
      await fork.flush();
    }
    return changedIds;
  }

  /** Refreshes installments, delinquency and borrower contact details for some loans (bounded concurrency). */
  async refreshDetails(
    organizationId: string,
    lendingSourceId: string,
    loanIds: string[],
    concurrency = 8,
  ): Promise<{ refreshed: number; failed: number }> {
    const em = scopedFork(this.orm.em, organizationId);
    const source = await em.findOneOrFail(
      LendingSource,
      { id: lendingSourceId },
      { populate: ['credentialsEncrypted'] },
    );
    const connector = this.sources.lendingConnector(source);
    const loans = await em.find(LoanAccount, { id: { $in: loanIds } }, { populate: ['borrower'] });
    let refreshed = 0;
    let failed = 0;
    const queue = [...loans];
    const work = async () => {
      for (let loan = queue.shift(); loan; loan = queue.shift()) {
        const fork = scopedFork(this.orm.em, organizationId);
        try {
          const detail = await connector.getLoan({ loanExternalId: loan.externalId });
          await fork.transactional(async (tx) => {
            const row = await tx.findOneOrFail(LoanAccount, { id: loan!.id }, { populate: ['borrower'] });
            row.overdueMinor = detail.overdue.amountMinor;
            row.daysPastDue = detail.daysPastDue;
            row.daysInArrears = detail.daysInArrears;
            row.delinquencyClass = detail.delinquencyClass;
            row.nextDueDate = detail.nextDueDate;
            row.syncError = null;
            await tx.nativeDelete(Installment, { loanAccount: row.id });
            for (const i of detail.installments ?? []) {
              tx.persist(
                tx.create(Installment, {
                  organization: tx.getReference(Organization, organizationId),
                  loanAccount: row,
                  number: i.number,
                  dueDate: i.dueDate,
                  totalDueMinor: i.totalDue.amountMinor,
                  totalPaidMinor: i.totalPaid.amountMinor,
                  totalOutstandingMinor: i.totalOutstanding.amountMinor,
                  principalDueMinor: i.principalDue.amountMinor,
                  interestDueMinor: i.interestDue.amountMinor,
                  complete: i.complete,
                }),
              );
            }
            await expectationsFromInstallments(tx, organizationId, row, detail.installments ?? []);
            if (row.borrower && !row.borrower.phoneNumber) {
              const b = await connector
                .getBorrower({ borrowerExternalId: row.borrower.externalId })
                .catch(() => null);
              if (b) {
                const borrower = await tx.findOneOrFail(Borrower, { id: row.borrower.id });
                borrower.phoneNumber = normalizePhone(b.phoneNumber, countryForCurrency(row.currency));
                borrower.email = b.email;
                borrower.displayName = b.displayName ?? borrower.displayName;
              }
            }
          });
          refreshed++;
        } catch (err) {
          failed++;
          await fork.nativeUpdate(
            LoanAccount,
            { id: loan.id },
            { syncError: (err as Error).message.slice(0, 500) },
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, loans.length) }, work));
    return { refreshed, failed };
  }

  /** Enqueues due incremental syncs for every active lending source (maintenance task). */
  async scheduleDueSyncs(defaultIntervalSeconds: number): Promise<number> {
    const rows = await this.orm.em.getConnection().execute<Array<{ id: string; organization_id: string }>>(
      `select s.id, s.organization_id from lending_source s
        where s.status <> 'DISABLED'
          and (s.last_synced_at is null or s.last_synced_at < now() - make_interval(secs => coalesce(s.sync_interval_seconds, ?)))
          and not exists (select 1 from sync_run r where r.lending_source_id = s.id and r.status in ('QUEUED', 'RUNNING'))`,
      [defaultIntervalSeconds],
    );
    for (const r of rows) {
      const em = scopedFork(this.orm.em, r.organization_id);
      await this.startSync(
        {
          em,
          principal: {
            organizationId: r.organization_id,
            role: 'ADMIN',
            actorType: 'API_KEY',
            actorId: 'scheduler',
            name: 'scheduler',
          },
          logger: this.logger,
        },
        r.id,
      );
    }
    return rows.length;
  }
}
