import { createHash } from 'node:crypto';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { PERMISSIONS } from '../auth/permissions';
import { scopeOf, type GraphQLContext } from '../context';
import { DISCREPANCY_STATUSES, type DiscrepancyStatus, type DiscrepancyType } from '../domain/enums';
import type { Discrepancy } from '../entities/discrepancy.entity';
import { ReconciliationRun } from '../entities/reconciliation-run.entity';
import { SettlementImport } from '../entities/settlement-import.entity';
import { notFound } from '../errors/app-error';
import { DiscrepancyStatusEnum } from '../schema/common/enums';
import { MoneyType } from '../schema/common/money.type';
import { PaginationArgs } from '../schema/common/pagination.args';
import { LoanAccountType } from '../schema/loan/loan-account.type';
import { PaymentType } from '../schema/payment/payment.type';
import { DiscrepanciesArgs } from '../schema/reconciliation/discrepancies.args';
import { DiscrepancyConnection, DiscrepancyObject } from '../schema/reconciliation/discrepancy.type';
import { ImportSettlementInput } from '../schema/reconciliation/import-settlement.input';
import {
  ReconciliationCurrencySummary,
  ReconciliationDiscrepancyCount,
  ReconciliationRunConnection,
  ReconciliationRunType,
} from '../schema/reconciliation/reconciliation-run.type';
import { ResolveDiscrepancyInput } from '../schema/reconciliation/resolve-discrepancy.input';
import { RunReconciliationInput } from '../schema/reconciliation/run-reconciliation.input';
import { SettlementImportType } from '../schema/reconciliation/settlement-import.type';
import { withIdempotency } from '../services/idempotency';
import { findPage, toConnection } from '../services/pagination';
import { toLoanAccountType, toPaymentType } from './mappers';

export function toDiscrepancyObject(d: Discrepancy): DiscrepancyObject {
  return Object.assign(new DiscrepancyObject(), {
    id: d.id,
    type: d.type,
    status: d.status,
    summary: d.summary,
    amount:
      d.amountMinor !== null && d.amountMinor !== undefined && d.currency
        ? MoneyType.of(d.amountMinor, d.currency)
        : null,
    paymentId: d.payment?.id ?? null,
    loanAccountId: d.loanAccount?.id ?? null,
    sourceId: d.paymentSourceId ?? null,
    reconciliationRunId: d.reconciliationRunId ?? null,
    evidence: d.evidence,
    resolution: d.resolution ?? null,
    note: d.note ?? null,
    resolvedBy: d.resolvedBy ?? null,
    resolvedAt: d.resolvedAt ?? null,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  });
}

export function toSettlementImportType(i: SettlementImport): SettlementImportType {
  return Object.assign(new SettlementImportType(), {
    id: i.id,
    sourceId: i.paymentSource.id,
    format: i.format,
    status: i.status,
    duplicateOf: i.duplicateOf ?? null,
    linesRead: i.linesRead,
    linesRejected: i.linesRejected,
    bytesRead: String(i.bytesRead),
    totals: i.totals ?? null,
    periodFrom: i.periodFrom ?? null,
    periodTo: i.periodTo ?? null,
    errors: i.errors ?? [],
    createdAt: i.createdAt,
    completedAt: i.completedAt ?? null,
  });
}

interface StoredStats {
  statement?: Record<
    string,
    {
      paymentsInMinor: string;
      matchedCount: number;
      matchedMinor: string;
      discrepancyCount: number;
      discrepancyMinor: string;
      driftMinor: string;
      byOutcome: Record<string, { count: number }>;
    }
  >;
  payments?: Record<string, { count: number; postedCount: number }>;
  discrepancies?: Record<string, Record<string, { count: number; amountMinor: string }>>;
}

export function toReconciliationRunType(r: ReconciliationRun): ReconciliationRunType {
  const stats = (r.stats ?? {}) as StoredStats;
  const currencies = new Set([...Object.keys(stats.statement ?? {}), ...Object.keys(stats.payments ?? {})]);
  const summary = [...currencies].sort().map((currency) => {
    const s = stats.statement?.[currency];
    const p = stats.payments?.[currency];
    const paymentLines = s
      ? Object.entries(s.byOutcome)
          .filter(([k]) => k.startsWith('PAYMENT:'))
          .reduce((n, [, v]) => n + v.count, 0)
      : 0;
    return Object.assign(new ReconciliationCurrencySummary(), {
      currency,
      statementPayments: paymentLines,
      statementTotal: MoneyType.of(BigInt(s?.paymentsInMinor ?? '0'), currency),
      matchedCount: s?.matchedCount ?? 0,
      matched: MoneyType.of(BigInt(s?.matchedMinor ?? '0'), currency),
      drift: MoneyType.of(BigInt(s?.driftMinor ?? '0'), currency),
      unmatchedCount: s?.discrepancyCount ?? 0,
      unmatched: MoneyType.of(BigInt(s?.discrepancyMinor ?? '0'), currency),
      lipaPayments: p?.count ?? 0,
      postedToLender: p?.postedCount ?? 0,
    });
  });
  const discrepancyCounts = Object.entries(stats.discrepancies ?? {}).flatMap(([type, byCurrency]) =>
    Object.entries(byCurrency).map(([currency, v]) =>
      Object.assign(new ReconciliationDiscrepancyCount(), {
        type: type as DiscrepancyType,
        count: v.count,
        amount: MoneyType.of(BigInt(v.amountMinor), currency),
      }),
    ),
  );
  return Object.assign(new ReconciliationRunType(), {
    id: r.id,
    sourceId: r.paymentSource.id,
    from: r.periodFrom,
    to: r.periodTo,
    status: r.status,
    summary,
    discrepancyCounts,
    stats: r.stats ?? null,
    options: r.options ?? null,
    exceptionsCsvPath: r.status === 'COMPLETED' ? `/v1/reconciliation-runs/${r.id}/exceptions.csv` : null,
    error: r.error ?? null,
    createdAt: r.createdAt,
    startedAt: r.startedAt ?? null,
    completedAt: r.completedAt ?? null,
  });
}

@Resolver()
export class ReconciliationResolver {
  @Authorized(...PERMISSIONS.readDiscrepancies)
  @Query(() => DiscrepancyConnection, { description: 'Exceptions for finance, newest first' })
  async discrepancies(
    @Args() args: DiscrepanciesArgs,
    @Ctx() ctx: GraphQLContext,
  ): Promise<DiscrepancyConnection> {
    const page = await ctx.services.discrepancies.list(scopeOf(ctx), args.filter ?? {}, args);
    return toConnection(page, toDiscrepancyObject);
  }

  @Authorized(...PERMISSIONS.readDiscrepancies)
  @Query(() => DiscrepancyObject)
  async discrepancy(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<DiscrepancyObject> {
    return toDiscrepancyObject(await ctx.services.discrepancies.get(scopeOf(ctx), id));
  }

  @Authorized(...PERMISSIONS.reconcile)
  @Mutation(() => DiscrepancyObject, {
    description:
      'Moves a discrepancy along OPEN -> IN_REVIEW -> RESOLVED | DISMISSED (or re-opens it); audited, emits discrepancy.resolved',
  })
  async resolveDiscrepancy(
    @Arg('input') input: ResolveDiscrepancyInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<DiscrepancyObject> {
    return toDiscrepancyObject(
      await ctx.services.discrepancies.changeStatus(scopeOf(ctx), {
        id: input.id,
        status: input.resolution,
        note: input.note,
        resolution: input.resolutionCode,
      }),
    );
  }

  @Authorized(...PERMISSIONS.reconcile)
  @Mutation(() => SettlementImportType, {
    description:
      "Imports a rail's statement or payout file (honours Idempotency-Key; the same file twice returns the first import)",
  })
  async importSettlement(
    @Arg('input') input: ImportSettlementInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<SettlementImportType> {
    return withIdempotency(
      ctx,
      'importSettlement',
      { ...input, content: createHash('sha256').update(input.content).digest('hex') },
      async () =>
        toSettlementImportType(
          await ctx.services.settlements.importSettlement(scopeOf(ctx), {
            sourceId: input.sourceId,
            format: input.format,
            chunks: [Buffer.from(input.content, 'utf8')],
            currency: input.currency,
            payoutReference: input.payoutReference,
          }),
        ),
      SettlementImportType,
    );
  }

  @Authorized(...PERMISSIONS.reconcile)
  @Query(() => SettlementImportType, { description: 'An import, with its progress while it loads' })
  async settlementImport(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<SettlementImportType> {
    const row = await scopeOf(ctx).em.findOne(SettlementImport, { id });
    if (!row) throw notFound('Settlement import', id);
    return toSettlementImportType(row);
  }

  @Authorized(...PERMISSIONS.reconcile)
  @Mutation(() => ReconciliationRunType, {
    description:
      'Queues a three-way reconciliation (statement <-> payments <-> lender) of one rail source over a period; poll reconciliationRun(id) (honours Idempotency-Key)',
  })
  async runReconciliation(
    @Arg('input') input: RunReconciliationInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ReconciliationRunType> {
    return withIdempotency(
      ctx,
      'runReconciliation',
      input,
      async () =>
        toReconciliationRunType(
          await ctx.services.reconciliation.start(scopeOf(ctx), {
            sourceId: input.sourceId,
            from: input.from,
            to: input.to,
            amountToleranceMinor:
              input.amountToleranceMinor === null || input.amountToleranceMinor === undefined
                ? null
                : BigInt(input.amountToleranceMinor),
            amountToleranceBasisPoints: input.amountToleranceBasisPoints,
            dateToleranceSeconds: input.dateToleranceSeconds,
            lenderGraceSeconds: input.lenderGraceSeconds,
            checkLender: input.checkLender,
            lenderCheckLimit: input.lenderCheckLimit,
          }),
        ),
      ReconciliationRunType,
    );
  }

  @Authorized(...PERMISSIONS.reconcile)
  @Query(() => ReconciliationRunType)
  async reconciliationRun(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ReconciliationRunType> {
    const run = await scopeOf(ctx).em.findOne(ReconciliationRun, { id });
    if (!run) throw notFound('Reconciliation run', id);
    return toReconciliationRunType(run);
  }

  @Authorized(...PERMISSIONS.reconcile)
  @Query(() => ReconciliationRunConnection, { description: 'Reconciliation runs, newest first' })
  async reconciliationRuns(
    @Args() args: PaginationArgs,
    @Arg('sourceId', () => ID, { nullable: true }) sourceId: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ReconciliationRunConnection> {
    const page = await findPage(
      scopeOf(ctx).em,
      ReconciliationRun,
      sourceId ? { paymentSource: sourceId } : {},
      args,
    );
    return toConnection(page, toReconciliationRunType);
  }
}

/** `Discrepancy.payment` / `Discrepancy.loanAccount`. */
@Resolver(() => DiscrepancyObject)
export class DiscrepancyFieldsResolver {
  @FieldResolver(() => PaymentType, { nullable: true })
  async payment(@Root() d: DiscrepancyObject, @Ctx() ctx: GraphQLContext): Promise<PaymentType | null> {
    if (!d.paymentId) return null;
    const scope = scopeOf(ctx);
    const p = await ctx.services.paymentQuery.getPayment(scope, d.paymentId).catch(() => null);
    return p ? toPaymentType(p, scope.principal) : null;
  }

  @FieldResolver(() => LoanAccountType, { nullable: true })
  async loanAccount(
    @Root() d: DiscrepancyObject,
    @Ctx() ctx: GraphQLContext,
  ): Promise<LoanAccountType | null> {
    if (!d.loanAccountId || scopeOf(ctx).principal.role === 'PARTNER') return null;
    const loan = await ctx.loaders.loanAccount.load(d.loanAccountId);
    return loan ? toLoanAccountType(loan) : null;
  }
}

const discrepancyStatusArg = {
  nullable: true,
  description: 'Only these statuses (default: all)',
} as const;

/** `Payment.discrepancies` and `LoanAccount.discrepancies(status)` (CONTRACT.md). */
@Resolver(() => PaymentType)
export class PaymentDiscrepanciesResolver {
  @FieldResolver(() => [DiscrepancyObject])
  async discrepancies(
    @Root() payment: PaymentType,
    @Arg('status', () => [DiscrepancyStatusEnum], discrepancyStatusArg) status: DiscrepancyStatus[] | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<DiscrepancyObject[]> {
    const scope = scopeOf(ctx);
    if (!PERMISSIONS.readDiscrepancies.includes(scope.principal.role as never)) return [];
    const page = await ctx.services.discrepancies.list(
      scope,
      { paymentId: payment.id, status: status?.filter((s) => DISCREPANCY_STATUSES.includes(s)) },
      { first: 50 },
    );
    return page.items.map(toDiscrepancyObject);
  }
}

@Resolver(() => LoanAccountType)
export class LoanAccountDiscrepanciesResolver {
  @Authorized(...PERMISSIONS.readDiscrepancies)
  @FieldResolver(() => [DiscrepancyObject])
  async discrepancies(
    @Root() loan: LoanAccountType,
    @Arg('status', () => [DiscrepancyStatusEnum], discrepancyStatusArg) status: DiscrepancyStatus[] | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<DiscrepancyObject[]> {
    const page = await ctx.services.discrepancies.list(
      scopeOf(ctx),
      { loanAccountId: loan.id, status },
      { first: 50 },
    );
    return page.items.map(toDiscrepancyObject);
  }
}
