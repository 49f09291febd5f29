import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { PERMISSIONS } from '../auth/permissions';
import { scopeOf, type GraphQLContext } from '../context';
import type { PaymentRequest } from '../entities/payment-request.entity';
import type { Reversal } from '../entities/reversal.entity';
import { MoneyType } from '../schema/common/money.type';
import { PaginationArgs } from '../schema/common/pagination.args';
import { PaymentRequestType } from '../schema/payment/payment-request.type';
import { RequestPaymentInput } from '../schema/payment/request-payment.input';
import { ReversalConnection, ReversalType } from '../schema/payment/reversal.type';
import { ReversePaymentInput } from '../schema/payment/reverse-payment.input';
import { TransactionLookupType } from '../schema/payment/lookup-transaction.type';
import { Reversal as ReversalEntity } from '../entities/reversal.entity';
import { findPage, toConnection } from '../services/pagination';
import { withIdempotency } from '../services/idempotency';

export function toPaymentRequestType(r: PaymentRequest): PaymentRequestType {
  return Object.assign(new PaymentRequestType(), {
    id: r.id,
    status: r.status,
    rail: r.paymentSource.kind,
    amount: MoneyType.of(r.amountMinor, r.currency),
    loanAccountId: r.loanAccount.id,
    phoneNumber: r.phoneMasked,
    providerRequestId: r.providerRequestId ?? null,
    checkoutUrl: r.checkoutUrl ?? null,
    qrCodeSvg: null,
    expiresAt: r.expiresAt,
    failureCode: r.failureCode ?? null,
    failureMessage: r.failureMessage ?? null,
    paymentId: r.paymentId ?? null,
    statusQueries: r.statusQueries,
    createdAt: r.createdAt,
  });
}

export function toReversalType(r: Reversal): ReversalType {
  return Object.assign(new ReversalType(), {
    id: r.id,
    paymentId: r.payment.id,
    amount: MoneyType.of(r.amountMinor, r.currency),
    reason: r.reason,
    origin: r.origin,
    status: r.status,
    lenderState: r.lenderState,
    providerReversalId: r.providerReversalId ?? null,
    failureCode: r.failureCode ?? null,
    createdAt: r.createdAt,
  });
}

@Resolver()
export class PaymentRequestResolver {
  @Authorized(...PERMISSIONS.requestPayment)
  @Mutation(() => PaymentRequestType, {
    description: "Sends a pay-now prompt to the borrower's phone (honours Idempotency-Key)",
  })
  async requestPayment(
    @Arg('input') input: RequestPaymentInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PaymentRequestType> {
    return withIdempotency(
      ctx,
      'requestPayment',
      input,
      async () =>
        toPaymentRequestType(await ctx.services.paymentRequests.requestPayment(scopeOf(ctx), input)),
      PaymentRequestType,
    );
  }

  @Authorized(...PERMISSIONS.readPayments)
  @Query(() => PaymentRequestType)
  async paymentRequest(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PaymentRequestType> {
    return toPaymentRequestType(await ctx.services.paymentRequests.getRequest(scopeOf(ctx), id));
  }

  @Authorized(...PERMISSIONS.reversePayment)
  @Mutation(() => ReversalType, {
    description:
      'Asks the rail to reverse a payment; the payment changes when the rail confirms (honours Idempotency-Key)',
  })
  async reversePayment(
    @Arg('input') input: ReversePaymentInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ReversalType> {
    return withIdempotency(
      ctx,
      'reversePayment',
      input,
      async () => toReversalType(await ctx.services.paymentRequests.reversePayment(scopeOf(ctx), input)),
      ReversalType,
    );
  }

  @Authorized(...PERMISSIONS.reconcile)
  @Mutation(() => TransactionLookupType, {
    description: 'Asks the rail about a transaction whose callback never came (M-Pesa Transaction Status)',
  })
  async lookUpTransaction(
    @Arg('sourceId', () => ID) sourceId: string,
    @Arg('providerTransactionId') providerTransactionId: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<TransactionLookupType> {
    return Object.assign(
      new TransactionLookupType(),
      await ctx.services.paymentRequests.lookUpTransaction(scopeOf(ctx), { sourceId, providerTransactionId }),
    );
  }

  @Authorized(...PERMISSIONS.readPayments)
  @Query(() => ReversalConnection)
  async reversals(
    @Args() args: PaginationArgs,
    @Arg('paymentId', () => ID, { nullable: true }) paymentId: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ReversalConnection> {
    const scope = scopeOf(ctx);
    const page = await findPage(scope.em, ReversalEntity, paymentId ? { payment: paymentId } : {}, args);
    return toConnection(page, toReversalType);
  }
}
