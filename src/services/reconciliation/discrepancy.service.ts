import { LockMode, type FilterQuery } from '@mikro-orm/core';
import { DISCREPANCY_STATUSES, type DiscrepancyStatus, type DiscrepancyType } from '../../domain/enums';
import { formatMinor, currencyExponent, isKnownCurrency } from '../../domain/money';
import { Discrepancy } from '../../entities/discrepancy.entity';
import { ReconciliationRun } from '../../entities/reconciliation-run.entity';
import { badInput, conflict, notFound } from '../../errors/app-error';
import { recordEvent } from '../../events/outbox';
import { audit } from '../audit';
import { findPage, type EntityPage, type PageArgs } from '../pagination';
import type { Scope } from '../scope';

export interface DiscrepancyFilter {
  status?: DiscrepancyStatus[] | null;
  type?: DiscrepancyType[] | null;
  sourceId?: string | null;
  reconciliationRunId?: string | null;
  paymentId?: string | null;
  loanAccountId?: string | null;
}

/** Which status may follow which: OPEN -> IN_REVIEW -> RESOLVED | DISMISSED, and a closed one may be re-opened. */
const NEXT: Record<DiscrepancyStatus, readonly DiscrepancyStatus[]> = {
  OPEN: ['IN_REVIEW', 'RESOLVED', 'DISMISSED'],
  IN_REVIEW: ['OPEN', 'RESOLVED', 'DISMISSED'],
  RESOLVED: ['OPEN'],
  DISMISSED: ['OPEN'],
};

const CSV_COLUMNS = [
  'discrepancy_id',
  'type',
  'status',
  'currency',
  'amount',
  'amount_minor',
  'payment_id',
  'provider_transaction_id',
  'loan_account_id',
  'settlement_line',
  'summary',
  'created_at',
  'resolution',
  'note',
  'resolved_by',
  'resolved_at',
] as const;

/** A CSV field, quoted when needed; a leading =, +, - or @ is neutralised so spreadsheets never run it. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Finance's exception list: reading, the status workflow (with audit and events) and the CSV export. */
export class DiscrepancyService {
  async list(scope: Scope, filter: DiscrepancyFilter, page: PageArgs): Promise<EntityPage<Discrepancy>> {
    return findPage(scope.em, Discrepancy, where(filter), page);
  }

  async get(scope: Scope, id: string): Promise<Discrepancy> {
    const d = await scope.em.findOne(Discrepancy, { id });
    if (!d) throw notFound('Discrepancy', id);
    return d;
  }

  /**
   * Moves a discrepancy along its workflow. `status` is the new status (IN_REVIEW, RESOLVED, DISMISSED, or OPEN to
   * re-open); dismissing needs a note saying why. Who, when, the note and the transition go to the audit log in
   * the same transaction; closing emits `discrepancy.resolved`.
   */
  async changeStatus(
    scope: Scope,
    input: { id: string; status: DiscrepancyStatus; note?: string | null; resolution?: string | null },
  ): Promise<Discrepancy> {
    if (!DISCREPANCY_STATUSES.includes(input.status))
      throw badInput(`Unknown status "${String(input.status)}"`);
    const note = input.note?.trim() || null;
    if (note && note.length > 2000) throw badInput('note must be at most 2000 characters');
    if (input.status === 'DISMISSED' && !note)
      throw badInput('Say why in note when dismissing a discrepancy');
    const resolutionText = input.resolution?.trim() || null;
    if (resolutionText && resolutionText.length > 200)
      throw badInput('resolution must be at most 200 characters');
    return scope.em.transactional(async (em) => {
      const d = await em.findOne(Discrepancy, { id: input.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!d) throw notFound('Discrepancy', input.id);
      const from: DiscrepancyStatus = d.status;
      if (!NEXT[from].includes(input.status))
        throw conflict(`A ${from} discrepancy cannot become ${input.status}`, { status: from });
      d.status = input.status;
      if (note) d.note = note;
      if (input.status === 'RESOLVED' || input.status === 'DISMISSED') {
        d.resolution = resolutionText ?? input.status;
        d.resolvedBy = scope.principal.actorId ?? scope.principal.actorType;
        d.resolvedAt = new Date();
        recordEvent(em, {
          organizationId: scope.principal.organizationId,
          type: 'discrepancy.resolved',
          aggregateType: 'discrepancy',
          aggregateId: d.id,
          payload: { discrepancyId: d.id, type: d.type, status: d.status, paymentId: d.payment?.id ?? null },
        });
      } else if (input.status === 'OPEN') {
        d.resolution = null;
        d.resolvedBy = null;
        d.resolvedAt = null;
      }
      audit(em, scope.principal, 'discrepancy.status_changed', 'discrepancy', d.id, {
        from,
        to: d.status,
        note,
        resolution: d.resolution ?? null,
      });
      return d;
    });
  }

  /**
   * The exceptions of a run (or all open ones of a source) as CSV rows, streamed in keyset pages so a large list
   * never sits in memory. Amounts are exact decimals at the currency's exponent plus the minor-unit integer.
   */
  async *exportCsv(
    scope: Scope,
    filter: {
      reconciliationRunId?: string | null;
      sourceId?: string | null;
      status?: DiscrepancyStatus[] | null;
    },
  ): AsyncGenerator<string> {
    if (filter.reconciliationRunId) {
      const run = await scope.em.findOne(ReconciliationRun, { id: filter.reconciliationRunId });
      if (!run) throw notFound('Reconciliation run', filter.reconciliationRunId);
    }
    yield CSV_COLUMNS.join(',') + '\r\n';
    let after: string | null = null;
    for (;;) {
      const em = scope.em.fork();
      const base = where({
        reconciliationRunId: filter.reconciliationRunId,
        sourceId: filter.sourceId,
        status: filter.status,
      }) as Record<string, unknown>;
      const rows: Discrepancy[] = await em.find(
        Discrepancy,
        (after ? { $and: [base, { id: { $gt: after } }] } : base) as FilterQuery<Discrepancy>,
        { orderBy: { id: 'asc' }, limit: 1000, populate: ['payment'] },
      );
      if (!rows.length) return;
      let chunk = '';
      for (const d of rows) {
        const line = (d.evidence?.settlementLine ?? null) as Record<string, unknown> | null;
        const amount =
          d.amountMinor !== null && d.amountMinor !== undefined && d.currency && isKnownCurrency(d.currency)
            ? formatMinor(d.amountMinor, currencyExponent(d.currency))
            : '';
        chunk +=
          [
            d.id,
            d.type,
            d.status,
            d.currency ?? '',
            amount,
            d.amountMinor?.toString() ?? '',
            d.payment?.id ?? '',
            d.payment?.providerTransactionId ?? (line?.providerTransactionId as string | undefined) ?? '',
            d.loanAccount?.id ?? '',
            line ? `${String(line.importId)}#${String(line.lineNumber)}` : '',
            d.summary,
            d.createdAt,
            d.resolution ?? '',
            d.note ?? '',
            d.resolvedBy ?? '',
            d.resolvedAt ?? '',
          ]
            .map(csvField)
            .join(',') + '\r\n';
      }
      yield chunk;
      after = rows[rows.length - 1].id;
      if (rows.length < 1000) return;
    }
  }
}

function where(filter: DiscrepancyFilter): FilterQuery<Discrepancy> {
  const and: Array<FilterQuery<Discrepancy>> = [];
  if (filter.status?.length) and.push({ status: { $in: filter.status } });
  if (filter.type?.length) and.push({ type: { $in: filter.type } });
  if (filter.sourceId) and.push({ paymentSourceId: filter.sourceId });
  if (filter.reconciliationRunId) and.push({ reconciliationRunId: filter.reconciliationRunId });
  if (filter.paymentId) and.push({ payment: filter.paymentId });
  if (filter.loanAccountId) and.push({ loanAccount: filter.loanAccountId });
  return and.length ? { $and: and } : {};
}
