import { ConnectorError } from '../../src/connectors/errors';
import type {
  LenderLoan,
  LendingConnectorDefinition,
  LendingSystemConnector,
  LendingSystemKind,
  PostRepaymentInput,
} from '../../src/connectors/types';
import { money } from '../../src/domain/money';
import type { TestHub } from './hub';
import { until } from './wait';

/** An in-memory lender for service tests: loans, pages, repayments with unique external ids, undo. */
export class StubLender {
  loans = new Map<string, LenderLoan>();
  posted = new Map<
    string,
    { transactionId: string; loanExternalId: string; amountMinor: bigint; reversed: boolean }
  >();
  postCalls: PostRepaymentInput[] = [];
  failAuth = false;
  /** Fail the next N postRepayment calls after applying them (a timeout after commit). */
  timeoutsAfterCommit = 0;
  declinePosting = false;
  badLoanIds = new Set<string>();

  addLoan(id: string, outstanding: bigint, overrides: Partial<LenderLoan> = {}): LenderLoan {
    const loan: LenderLoan = {
      externalId: id,
      accountNumber: `ACC-${id}`,
      externalReference: `LN-${id}`,
      borrowerExternalId: `client-${id}`,
      borrowerDisplayName: `Borrower ${id}`,
      currency: 'UGX',
      status: 'ACTIVE',
      rawStatus: '300',
      principal: money(1_000_000n, 'UGX'),
      outstanding: money(outstanding, 'UGX'),
      overdue: money(0n, 'UGX'),
      daysPastDue: 0,
      daysInArrears: 0,
      delinquencyClass: null,
      nextDueDate: '2026-12-01',
      lastModifiedAt: new Date(),
      ...overrides,
    };
    this.loans.set(id, loan);
    return loan;
  }

  connector(kind: LendingSystemKind = 'FINERACT'): LendingSystemConnector {
    const self = this;
    return {
      kind,
      capabilities: { incrementalSync: 'scan', idempotencyKey: true, externalIdLookup: true, reversal: true },
      async listLoans({ cursor, pageSize = 500 }) {
        if (self.failAuth)
          throw new ConnectorError('stub-lender', 'AUTH_CONFIG_INVALID', 'bad credentials', {
            httpStatus: 401,
          });
        const all = [...self.loans.values()];
        const offset = cursor ? Number(cursor) : 0;
        const slice = all.slice(offset, offset + pageSize);
        const next = offset + pageSize < all.length ? String(offset + pageSize) : null;
        return {
          loans: slice.filter((l) => !self.badLoanIds.has(l.externalId)),
          failures: slice
            .filter((l) => self.badLoanIds.has(l.externalId))
            .map((l) => ({ externalId: l.externalId, message: 'summary.totalOutstanding is not a number' })),
          nextCursor: next,
          total: all.length,
        };
      },
      async getLoan({ loanExternalId }) {
        const l = self.loans.get(loanExternalId);
        if (!l) throw new ConnectorError('stub-lender', 'NOT_FOUND', 'no loan');
        return {
          ...l,
          installments: [
            {
              number: 1,
              dueDate: '2026-11-01',
              totalDue: money(124000n, l.currency),
              totalPaid: money(124000n, l.currency),
              totalOutstanding: money(0n, l.currency),
              principalDue: money(100000n, l.currency),
              interestDue: money(24000n, l.currency),
              complete: true,
            },
            {
              number: 2,
              dueDate: '2026-12-01',
              totalDue: money(124000n, l.currency),
              totalPaid: money(0n, l.currency),
              totalOutstanding: money(124000n, l.currency),
              principalDue: money(100000n, l.currency),
              interestDue: money(24000n, l.currency),
              complete: false,
            },
          ],
        };
      },
      async getBorrower({ borrowerExternalId }) {
        return {
          externalId: borrowerExternalId,
          displayName: 'Aisha Namuli',
          phoneNumber: '0772 123456',
          email: null,
        };
      },
      async postRepayment(input) {
        self.postCalls.push(input);
        if (self.declinePosting)
          throw new ConnectorError('stub-lender', 'DECLINED', 'loan is closed', { httpStatus: 403 });
        const existing = self.posted.get(input.externalId);
        if (existing)
          return { transactionId: existing.transactionId, externalId: input.externalId, alreadyPosted: true };
        const loan = self.loans.get(input.loanExternalId)!;
        const tx = {
          transactionId: String(100 + self.posted.size),
          loanExternalId: input.loanExternalId,
          amountMinor: input.amount.amountMinor,
          reversed: false,
        };
        self.posted.set(input.externalId, tx);
        self.loans.set(loan.externalId, {
          ...loan,
          outstanding: money(loan.outstanding.amountMinor - input.amount.amountMinor, loan.currency),
        });
        if (self.timeoutsAfterCommit > 0) {
          self.timeoutsAfterCommit--;
          throw new ConnectorError('stub-lender', 'OUTCOME_UNKNOWN', 'timeout after commit');
        }
        return { transactionId: tx.transactionId, externalId: input.externalId, alreadyPosted: false };
      },
      async reverseRepayment(input) {
        const tx = self.posted.get(input.externalId);
        if (!tx) throw new ConnectorError('stub-lender', 'NOT_FOUND', 'no tx');
        if (tx.reversed) return { transactionId: tx.transactionId, alreadyReversed: true };
        tx.reversed = true;
        const loan = self.loans.get(tx.loanExternalId)!;
        self.loans.set(loan.externalId, {
          ...loan,
          outstanding: money(loan.outstanding.amountMinor + tx.amountMinor, loan.currency),
        });
        return { transactionId: tx.transactionId, alreadyReversed: false };
      },
      async listTransactions({ loanExternalId }) {
        return [...self.posted.entries()]
          .filter(([, tx]) => tx.loanExternalId === loanExternalId)
          .map(([externalId, tx]) => ({
            transactionId: tx.transactionId,
            externalId,
            type: 'REPAYMENT' as const,
            amount: money(tx.amountMinor, 'UGX'),
            date: '2026-11-22',
            reversed: tx.reversed,
          }));
      },
      async findTransactionByExternalId({ externalId }) {
        const tx = self.posted.get(externalId);
        return tx
          ? {
              transactionId: tx.transactionId,
              externalId,
              type: 'REPAYMENT',
              amount: money(tx.amountMinor, 'UGX'),
              date: '2026-11-22',
              reversed: tx.reversed,
            }
          : null;
      },
    };
  }

  definition(kind: LendingSystemKind = 'FINERACT'): LendingConnectorDefinition<Record<string, unknown>> {
    return {
      kind,
      id: 'stub-lender',
      parseCredentials: (raw) => raw as Record<string, unknown>,
      create: () => this.connector(kind),
    };
  }
}

/**
 * Wires a test hub to a stub lender for one organization: registers the lending source, runs a sync to the end
 * (through the worker), and registers a stub rail linked to it. Returns the source id and the rail's callback URL
 * on the test hub.
 */
export async function connectStubLender(
  hub: TestHub,
  adminKey: string,
): Promise<{ lendingSourceId: string; hookUrl: string }> {
  const ls = await hub.gql(
    'mutation($i: RegisterLendingSourceInput!) { registerLendingSource(input: $i) { id } }',
    {
      i: {
        kind: 'FINERACT',
        name: 'Stub',
        baseUrl: 'https://fineract.test/api/v1',
        credentials: { username: 'u', password: 'p', tenantId: 'default' },
      },
    },
    adminKey,
  );
  const lendingSourceId = ls.body.data.registerLendingSource.id as string;
  const sync = await hub.gql(
    `mutation { syncLoanAccounts(sourceId: "${lendingSourceId}") { id } }`,
    {},
    adminKey,
  );
  const runId = sync.body.data.syncLoanAccounts.id as string;
  await until(async () => {
    const r = await hub.gql(`{ syncRun(id: "${runId}") { status } }`, {}, adminKey);
    return r.body.data.syncRun.status === 'SUCCEEDED';
  });
  const ps = await hub.gql(
    'mutation($i: RegisterPaymentSourceInput!) { registerPaymentSource(input: $i) { callbackUrl } }',
    { i: { kind: 'STRIPE', name: 'Rail', credentials: {}, lendingSourceId } },
    adminKey,
  );
  const hookUrl = (ps.body.data.registerPaymentSource.callbackUrl as string).replace(
    'http://127.0.0.1:4000',
    hub.url,
  );
  return { lendingSourceId, hookUrl };
}
