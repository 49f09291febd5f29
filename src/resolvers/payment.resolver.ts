import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { PERMISSIONS } from '../auth/permissions';
import { scopeOf, type GraphQLContext } from '../context';
import { LoanAccountType } from '../schema/loan/loan-account.type';
import { PaymentConnection, PaymentType } from '../schema/payment/payment.type';
import { PaymentsArgs } from '../schema/payment/payments.args';
import { PaymentSourceType } from '../schema/source/payment-source.type';
import { toConnection } from '../services/pagination';
import { toLoanAccountType, toPaymentSourceType, toPaymentType } from './mappers';

@Resolver(() => PaymentType)
export class PaymentResolver {
  @Authorized(...PERMISSIONS.readPayments)
  @Query(() => PaymentType)
  async payment(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<PaymentType> {
    const scope = scopeOf(ctx);
    const p = await ctx.services.paymentQuery.getPayment(scope, id);
    const loan = p.loanAccount ? await ctx.loaders.loanAccount.load(p.loanAccount.id) : null;
    return toPaymentType(p, scope.principal, loan?.assignedAgentId ?? null);
  }

  @Authorized(...PERMISSIONS.readPayments)
  @Query(() => PaymentConnection)
  async payments(@Args() args: PaymentsArgs, @Ctx() ctx: GraphQLContext): Promise<PaymentConnection> {
    const scope = scopeOf(ctx);
    const page = await ctx.services.paymentQuery.listPayments(scope, args.filter, args);
    return toConnection(page, (p) => toPaymentType(p, scope.principal));
  }

  @Authorized(...PERMISSIONS.reconcile)
  @Mutation(() => PaymentType, {
    description: 'Matches a payment to a loan by hand, closes its unmatched discrepancy and posts it',
  })
  async matchPayment(
    @Arg('paymentId', () => ID) paymentId: string,
    @Arg('loanAccountId', () => ID) loanAccountId: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PaymentType> {
    const scope = scopeOf(ctx);
    return toPaymentType(
      await ctx.services.matching.manualMatch(scope, paymentId, loanAccountId),
      scope.principal,
    );
  }

  @FieldResolver(() => PaymentSourceType)
  async source(@Root() payment: PaymentType, @Ctx() ctx: GraphQLContext): Promise<PaymentSourceType> {
    const s = await ctx.services.sources.getPaymentSource(scopeOf(ctx), payment.sourceId);
    return toPaymentSourceType(s, null);
  }

  @FieldResolver(() => LoanAccountType, { nullable: true })
  async loanAccount(
    @Root() payment: PaymentType,
    @Ctx() ctx: GraphQLContext,
  ): Promise<LoanAccountType | null> {
    const scope = scopeOf(ctx);
    if (!payment.loanAccountId || scope.principal.role === 'PARTNER') return null;
    const loan = await ctx.loaders.loanAccount.load(payment.loanAccountId);
    return loan ? toLoanAccountType(loan) : null;
  }
}
