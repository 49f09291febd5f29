import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { PERMISSIONS } from '../auth/permissions';
import { scopeOf, type GraphQLContext } from '../context';
import { MeType, OrganizationType } from '../schema/organization/me.type';

@Resolver(() => MeType)
export class MeResolver {
  @Authorized(...PERMISSIONS.me)
  @Query(() => MeType, { description: 'The caller: organization, role and credential' })
  async me(@Ctx() ctx: GraphQLContext): Promise<MeType> {
    const scope = scopeOf(ctx);
    const org = await ctx.services.organizations.getOrganization(scope);
    const me = new MeType();
    me.organization = Object.assign(new OrganizationType(), {
      id: org.id,
      name: org.name,
      timeZone: org.timeZone,
    });
    me.role = scope.principal.role;
    me.actorType = scope.principal.actorType;
    me.actorId = scope.principal.actorId;
    me.name = scope.principal.name;
    return me;
  }
}
