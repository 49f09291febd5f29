import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { PERMISSIONS } from '../auth/permissions';
import { scopeOf, type GraphQLContext } from '../context';
import { BorrowerType } from '../schema/loan/borrower.type';
import { toBorrowerType } from './mappers';

@Resolver(() => BorrowerType)
export class BorrowerResolver {
  @Authorized(...PERMISSIONS.readLoans)
  @Query(() => BorrowerType)
  async borrower(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<BorrowerType> {
    const scope = scopeOf(ctx);
    const b = await ctx.services.loanQuery.getBorrower(scope, id);
    let visible = scope.principal.role !== 'PARTNER';
    if (scope.principal.role === 'AGENT')
      visible = await ctx.services.loanQuery.isAssignedToAgent(scope, id, scope.principal.actorId);
    return toBorrowerType(b, visible);
  }
}
