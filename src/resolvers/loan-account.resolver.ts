import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { canSeeContactData } from '../auth/principal';
import { PERMISSIONS } from '../auth/permissions';
import { scopeOf, type GraphQLContext } from '../context';
import { liveBalance } from '../domain/aging';
import { MoneyType } from '../schema/common/money.type';
import { PaginationArgs } from '../schema/common/pagination.args';
import { BorrowerType } from '../schema/loan/borrower.type';
import { InstallmentType } from '../schema/loan/installment.type';
import { LoanAccountConnection, LoanAccountType } from '../schema/loan/loan-account.type';
import { LoanAccountsArgs } from '../schema/loan/loan-accounts.args';
import { PaymentConnection } from '../schema/payment/payment.type';
import { LendingSourceType } from '../schema/source/lending-source.type';
import { toConnection } from '../services/pagination';
import {
  toBorrowerType,
  toInstallmentType,
  toLendingSourceType,
  toLoanAccountType,
  toPaymentType,
} from './mappers';

@Resolver(() => LoanAccountType)
export class LoanAccountResolver {
  @Authorized(...PERMISSIONS.readLoans)
  @Query(() => LoanAccountType)
  async loanAccount(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<LoanAccountType> {
    return toLoanAccountType(await ctx.services.loanQuery.getLoanAccount(scopeOf(ctx), id));
  }

  @Authorized(...PERMISSIONS.readLoans)
  @Query(() => LoanAccountConnection)
  async loanAccounts(
    @Args() args: LoanAccountsArgs,
    @Ctx() ctx: GraphQLContext,
  ): Promise<LoanAccountConnection> {
    const page = await ctx.services.loanQuery.listLoanAccounts(scopeOf(ctx), args.filter, args);
    return toConnection(page, toLoanAccountType);
  }

  @FieldResolver(() => LendingSourceType)
  async source(@Root() loan: LoanAccountType, @Ctx() ctx: GraphQLContext): Promise<LendingSourceType> {
    return toLendingSourceType(
      await ctx.services.sources.getLendingSource(scopeOf(ctx), loan.lendingSourceId),
    );
  }

  @FieldResolver(() => MoneyType, {
    description: 'Succeeded payments matched to this loan and not yet posted to the lender',
  })
  async unpostedPayments(@Root() loan: LoanAccountType, @Ctx() ctx: GraphQLContext): Promise<MoneyType> {
    const u = await ctx.loaders.unposted.load(loan.id);
    return MoneyType.of(u.unpostedPayments, loan.currency);
  }

  @FieldResolver(() => MoneyType, {
    description: 'Reversals of posted payments not yet undone at the lender',
  })
  async unpostedReversals(@Root() loan: LoanAccountType, @Ctx() ctx: GraphQLContext): Promise<MoneyType> {
    const u = await ctx.loaders.unposted.load(loan.id);
    return MoneyType.of(u.unpostedReversals, loan.currency);
  }

  @FieldResolver(() => MoneyType, { description: 'lenderOutstanding - unpostedPayments + unpostedReversals' })
  async balance(@Root() loan: LoanAccountType, @Ctx() ctx: GraphQLContext): Promise<MoneyType> {
    const u = await ctx.loaders.unposted.load(loan.id);
    return MoneyType.of(
      liveBalance(loan.lenderOutstandingMinor, u.unpostedPayments, u.unpostedReversals),
      loan.currency,
    );
  }

  @FieldResolver(() => [InstallmentType])
  async installments(@Root() loan: LoanAccountType, @Ctx() ctx: GraphQLContext): Promise<InstallmentType[]> {
    const rows = await ctx.loaders.installments.load(loan.id);
    return rows.map((i) => toInstallmentType(i, loan.currency));
  }

  @FieldResolver(() => BorrowerType, { nullable: true })
  async borrower(@Root() loan: LoanAccountType, @Ctx() ctx: GraphQLContext): Promise<BorrowerType | null> {
    if (!loan.borrowerId) return null;
    const b = await ctx.loaders.borrower.load(loan.borrowerId);
    return b ? toBorrowerType(b, canSeeContactData(scopeOf(ctx).principal, loan.assignedAgentId)) : null;
  }

  @FieldResolver(() => PaymentConnection)
  async payments(
    @Root() loan: LoanAccountType,
    @Args() args: PaginationArgs,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PaymentConnection> {
    const scope = scopeOf(ctx);
    const page = await ctx.services.paymentQuery.listPayments(scope, { loanAccountId: loan.id }, args);
    return toConnection(page, (p) => toPaymentType(p, scope.principal, loan.assignedAgentId));
  }
}
