import type { FilterQuery } from '@mikro-orm/core';
import { Arg, Args, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { PERMISSIONS } from '../auth/permissions';
import { scopeOf, type GraphQLContext } from '../context';
import { EXPECTED_PAYMENT_STATUSES, type ExpectedPaymentStatus } from '../domain/enums';
import { remainingMinor } from '../domain/expectations';
import { ExpectedPayment } from '../entities/expected-payment.entity';
import { ExpectedPaymentStatusEnum } from '../schema/common/enums';
import { MoneyType } from '../schema/common/money.type';
import { ExpectedPaymentConnection, ExpectedPaymentType } from '../schema/collections/expected-payment.type';
import { ExpectedPaymentsArgs } from '../schema/collections/expected-payments.args';
import { LoanAccountType } from '../schema/loan/loan-account.type';
import { findPage, toConnection } from '../services/pagination';

export function toExpectedPaymentType(e: ExpectedPayment): ExpectedPaymentType {
  return Object.assign(new ExpectedPaymentType(), {
    id: e.id,
    loanAccountId: e.loanAccount.id,
    installmentNumber: e.installmentNumber,
    dueDate: e.dueDate,
    amount: MoneyType.of(e.amountMinor, e.currency),
    met: MoneyType.of(e.metMinor, e.currency),
    lenderPaid: MoneyType.of(e.lenderPaidMinor, e.currency),
    remaining: MoneyType.of(remainingMinor(e), e.currency),
    status: e.status,
    metAt: e.metAt ?? null,
  });
}

/** Expected payments from installments: the collections view of what is due, met and overdue. */
@Resolver(() => ExpectedPaymentType)
export class ExpectedPaymentResolver {
  @Authorized(...PERMISSIONS.readLoans)
  @Query(() => ExpectedPaymentConnection, { description: 'Expected payments, oldest due first' })
  async expectedPayments(
    @Args() args: ExpectedPaymentsArgs,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ExpectedPaymentConnection> {
    const f = args.filter ?? {};
    const and: Array<FilterQuery<ExpectedPayment>> = [];
    if (f.status?.length) and.push({ status: { $in: f.status } });
    if (f.loanAccountId) and.push({ loanAccount: f.loanAccountId });
    if (f.dueFrom) and.push({ dueDate: { $gte: f.dueFrom } });
    if (f.dueTo) and.push({ dueDate: { $lte: f.dueTo } });
    const page = await findPage(scopeOf(ctx).em, ExpectedPayment, and.length ? { $and: and } : {}, args);
    return toConnection(page, toExpectedPaymentType);
  }
}

@Resolver(() => LoanAccountType)
export class LoanAccountExpectationsResolver {
  @FieldResolver(() => [ExpectedPaymentType], { description: 'Expected payments of this loan, by due date' })
  async expectedPayments(
    @Root() loan: LoanAccountType,
    @Arg('status', () => [ExpectedPaymentStatusEnum], { nullable: true })
    status: ExpectedPaymentStatus[] | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ExpectedPaymentType[]> {
    const wanted = status?.filter((s) => EXPECTED_PAYMENT_STATUSES.includes(s));
    const rows = await scopeOf(ctx).em.find(
      ExpectedPayment,
      wanted?.length ? { loanAccount: loan.id, status: { $in: wanted } } : { loanAccount: loan.id },
      { orderBy: { dueDate: 'asc', installmentNumber: 'asc' }, limit: 500 },
    );
    return rows.map(toExpectedPaymentType);
  }
}
