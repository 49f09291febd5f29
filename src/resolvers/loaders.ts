import DataLoader from 'dataloader';
import type { Borrower } from '../entities/borrower.entity';
import type { Installment } from '../entities/installment.entity';
import { LoanAccount } from '../entities/loan-account.entity';
import type { PromiseToPay } from '../entities/promise-to-pay.entity';
import { promisesOfLoans } from '../services/promises';
import type { Scope } from '../services/scope';
import type { Services } from '../services/container';
import type { UnpostedAmounts } from '../services/loan-query.service';

/** Request-scoped batch loaders: field resolvers on lists issue one query per field, not one per row. */
export interface Loaders {
  unposted: DataLoader<string, UnpostedAmounts>;
  installments: DataLoader<string, Installment[]>;
  borrower: DataLoader<string, Borrower | null>;
  loanAccount: DataLoader<string, LoanAccount | null>;
  promisesToPay: DataLoader<string, PromiseToPay[]>;
}

export function createLoaders(services: Services, scope: () => Scope): Loaders {
  return {
    unposted: new DataLoader(async (ids) => {
      const map = await services.loanQuery.unpostedAmounts(scope(), ids);
      return ids.map((id) => map.get(id) ?? { unpostedPayments: 0n, unpostedReversals: 0n });
    }),
    installments: new DataLoader(async (ids) => {
      const map = await services.loanQuery.installments(scope(), ids);
      return ids.map((id) => map.get(id) ?? []);
    }),
    borrower: new DataLoader(async (ids) => {
      const map = await services.loanQuery.borrowers(scope(), ids);
      return ids.map((id) => map.get(id) ?? null);
    }),
    loanAccount: new DataLoader(async (ids) => {
      const rows = await scope().em.find(LoanAccount, { id: { $in: [...ids] } });
      const map = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => map.get(id) ?? null);
    }),
    promisesToPay: new DataLoader(async (ids) => {
      const map = await promisesOfLoans(scope(), ids);
      return ids.map((id) => map.get(id) ?? []);
    }),
  };
}
