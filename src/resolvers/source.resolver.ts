import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { PERMISSIONS } from '../auth/permissions';
import { scopeOf, type GraphQLContext } from '../context';
import { LendingSourceType } from '../schema/source/lending-source.type';
import { PaymentSourceType } from '../schema/source/payment-source.type';
import { RegisterLendingSourceInput } from '../schema/source/register-lending-source.input';
import { RegisterPaymentSourceInput } from '../schema/source/register-payment-source.input';
import { SourceInterface } from '../schema/source/source.interface';
import { toLendingSourceType, toPaymentSourceType } from './mappers';

@Resolver()
export class SourceResolver {
  @Authorized(...PERMISSIONS.readSources)
  @Query(() => [SourceInterface], { description: 'Connected lending systems and payment rails' })
  async sources(@Ctx() ctx: GraphQLContext): Promise<SourceInterface[]> {
    const scope = scopeOf(ctx);
    const { lending, payment } = await ctx.services.sources.listSources(scope);
    const isAdmin = scope.principal.role === 'ADMIN';
    return [
      ...lending.map(toLendingSourceType),
      ...payment.map((p) => toPaymentSourceType(p, isAdmin ? ctx.services.sources.callbackUrl(p) : null)),
    ];
  }

  @Authorized(...PERMISSIONS.manageSources)
  @Mutation(() => LendingSourceType, {
    description: 'Connects a lending system (credentials are encrypted at rest)',
  })
  async registerLendingSource(
    @Arg('input') input: RegisterLendingSourceInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<LendingSourceType> {
    return toLendingSourceType(await ctx.services.sources.registerLendingSource(scopeOf(ctx), input));
  }

  @Authorized(...PERMISSIONS.manageSources)
  @Mutation(() => PaymentSourceType, {
    description: 'Connects a payment rail; give the returned callbackUrl to the provider',
  })
  async registerPaymentSource(
    @Arg('input') input: RegisterPaymentSourceInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PaymentSourceType> {
    const source = await ctx.services.sources.registerPaymentSource(scopeOf(ctx), input);
    return toPaymentSourceType(source, ctx.services.sources.callbackUrl(source));
  }
}
