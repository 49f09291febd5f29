import type { FilterQuery } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { bucketRange } from '../domain/aging';
import { Borrower } from '../entities/borrower.entity';
import { Installment } from '../entities/installment.entity';
import { LoanAccount } from '../entities/loan-account.entity';
import { notFound } from '../errors/app-error';
import { findPage, type EntityPage, type PageArgs } from './pagination';
import type { Scope } from './scope';

export interface LoanAccountFilterInput {
  status?: LoanAccount['status'];
  agingBucket?: Parameters<typeof bucketRange>[0];
  sourceId?: string;
  accountNumber?: string;
  borrowerId?: string;
  minDaysPastDue?: number;
  assignedAgentId?: string;
}

export interface UnpostedAmounts {
  unpostedPayments: bigint;
  unpostedReversals: bigint;
}

export class LoanQueryService {
  constructor(private readonly orm: MikroORM) {}

  async getLoanAccount(scope: Scope, id: string): Promise<LoanAccount> {
    const loan = await scope.em.findOne(LoanAccount, { id });
    if (!loan) throw notFound('Loan account', id);
    return loan;
  }

  async listLoanAccounts(
    scope: Scope,
    filter: LoanAccountFilterInput | undefined,
    page: PageArgs,
  ): Promise<EntityPage<LoanAccount>> {
    const where: FilterQuery<LoanAccount> = {};
    const and: FilterQuery<LoanAccount>[] = [];
    if (filter?.status) and.push({ status: filter.status });
    if (filter?.sourceId) and.push({ lendingSource: filter.sourceId });
    if (filter?.borrowerId) and.push({ borrower: filter.borrowerId });
    if (filter?.assignedAgentId) and.push({ assignedAgentId: filter.assignedAgentId });
    if (filter?.accountNumber) {
      const ref = filter.accountNumber.trim();
      and.push({
        $or: [{ accountNumber: ref.toUpperCase() }, { externalId: ref }, { externalReference: ref }],
      });
    }
    if (filter?.minDaysPastDue !== undefined) and.push({ daysPastDue: { $gte: filter.minDaysPastDue } });
    if (filter?.agingBucket) {
      const r = bucketRange(filter.agingBucket);
      and.push(
        r.max === null ? { daysPastDue: { $gte: r.min } } : { daysPastDue: { $gte: r.min, $lte: r.max } },
      );
    }
    return findPage(scope.em, LoanAccount, and.length ? { $and: and } : where, page);
  }

  async installments(scope: Scope, loanAccountIds: readonly string[]): Promise<Map<string, Installment[]>> {
    const rows = await scope.em.find(
      Installment,
      { loanAccount: { $in: [...loanAccountIds] } },
      { orderBy: { number: 'asc' } },
    );
    const out = new Map<string, Installment[]>();
    for (const row of rows) {
      const key = row.loanAccount.id;
      if (!out.has(key)) out.set(key, []);
      out.get(key)!.push(row);
    }
    return out;
  }

  async borrowers(scope: Scope, ids: readonly string[]): Promise<Map<string, Borrower>> {
    const rows = await scope.em.find(Borrower, { id: { $in: [...ids] } });
    return new Map(rows.map((b) => [b.id, b]));
  }

  async getBorrower(scope: Scope, id: string): Promise<Borrower> {
    const b = await scope.em.findOne(Borrower, { id });
    if (!b) throw notFound('Borrower', id);
    return b;
  }

  /** True when the agent has at least one loan of this borrower assigned. */
  async isAssignedToAgent(scope: Scope, borrowerId: string, agentId: string): Promise<boolean> {
    const count = await scope.em.count(LoanAccount, { borrower: borrowerId, assignedAgentId: agentId });
    return count > 0;
  }

  /**
   * What Lipa knows that the lender does not yet, per loan, in one query for many loans (no N+1):
   * succeeded payments matched but not posted, and reversals of posted payments not yet undone at the lender.
   */
  async unpostedAmounts(
    scope: Scope,
    loanAccountIds: readonly string[],
  ): Promise<Map<string, UnpostedAmounts>> {
    const out = new Map<string, UnpostedAmounts>();
    for (const id of loanAccountIds) out.set(id, { unpostedPayments: 0n, unpostedReversals: 0n });
    if (loanAccountIds.length === 0) return out;
    const rows = await scope.em
      .getConnection()
      .execute<Array<{ loan_account_id: string; unposted_payments: string; unposted_reversals: string }>>(
        `select p.loan_account_id,
              coalesce(sum(p.amount_minor) filter (where p.status = 'SUCCEEDED' and p.reconciliation_state in ('MATCHED', 'POSTING_FAILED')), 0)::text as unposted_payments,
              coalesce(sum(coalesce(p.posted_amount_minor, p.amount_minor)) filter (where p.reconciliation_state = 'REVERSAL_PENDING'), 0)::text as unposted_reversals
         from payment p
        where p.organization_id = ? and p.loan_account_id in (${loanAccountIds.map(() => '?').join(', ')})
        group by p.loan_account_id`,
        [scope.principal.organizationId, ...loanAccountIds],
      );
    for (const r of rows)
      out.set(r.loan_account_id, {
        unpostedPayments: BigInt(r.unposted_payments),
        unpostedReversals: BigInt(r.unposted_reversals),
      });
    return out;
  }
}
