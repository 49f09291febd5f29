import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { PERMISSIONS } from '../auth/permissions';
import { scopeOf, type GraphQLContext } from '../context';
import { requiredMinor } from '../domain/promises';
import type { PromiseToPay } from '../entities/promise-to-pay.entity';
import { PromiseToPayConnection, PromiseToPayType } from '../schema/collections/promise-to-pay.type';
import { PromisesToPayArgs } from '../schema/collections/promises-to-pay.args';
import { RecordPromiseToPayInput } from '../schema/collections/record-promise-to-pay.input';
import { MoneyType } from '../schema/common/money.type';
import { LoanAccountType } from '../schema/loan/loan-account.type';
import { withIdempotency } from '../services/idempotency';
import { toConnection } from '../services/pagination';
import { listPromisesToPay, recordPromiseToPay } from '../services/promises';

export function toPromiseToPayType(p: PromiseToPay): PromiseToPayType {
  return Object.assign(new PromiseToPayType(), {
    id: p.id,
    loanAccountId: p.loanAccount.id,
    amount: MoneyType.of(p.amountMinor, p.currency),
    required: MoneyType.of(requiredMinor(p.amountMinor, p.thresholdPct), p.currency),
    paid: MoneyType.of(p.paidMinor, p.currency),
    promisedDate: p.promisedDate,
    graceDays: p.graceDays,
    thresholdPct: p.thresholdPct,
    status: p.status,
    createdBy: p.createdBy ?? null,
    createdAt: p.createdAt,
    evaluatedAt: p.evaluatedAt ?? null,
  });
}

/** Promises to pay: recorded by collection staff, judged kept or broken from the payments that follow. */
@Resolver(() => PromiseToPayType)
export class PromiseToPayResolver {
  @Authorized(...PERMISSIONS.recordPromises)
  @Mutation(() => PromiseToPayType, {
    description:
      'Records a promise to pay on a loan; an open promise on the same loan is CANCELLED (honours Idempotency-Key)',
  })
  async recordPromiseToPay(
    @Arg('input') input: RecordPromiseToPayInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PromiseToPayType> {
    return withIdempotency(
      ctx,
      'recordPromiseToPay',
      input,
      async () => toPromiseToPayType(await recordPromiseToPay(scopeOf(ctx), input)),
      PromiseToPayType,
    );
  }

  @Authorized(...PERMISSIONS.readLoans)
  @Query(() => PromiseToPayConnection, { description: 'Promises to pay, newest first' })
  async promisesToPay(
    @Args() args: PromisesToPayArgs,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PromiseToPayConnection> {
    return toConnection(await listPromisesToPay(scopeOf(ctx), args.filter, args), toPromiseToPayType);
  }
}

@Resolver(() => LoanAccountType)
export class LoanAccountPromisesResolver {
  @FieldResolver(() => [PromiseToPayType], { description: 'Promises to pay on this loan, newest first' })
  async promisesToPay(
    @Root() loan: LoanAccountType,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PromiseToPayType[]> {
    return (await ctx.loaders.promisesToPay.load(loan.id)).map(toPromiseToPayType);
  }
}
