import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { PERMISSIONS } from '../auth/permissions';
import { scopeOf, type GraphQLContext } from '../context';
import { ApiKeyType, CreatedApiKeyType } from '../schema/organization/api-key.type';
import { CreateApiKeyInput } from '../schema/organization/create-api-key.input';
import { toApiKeyType } from './mappers';

@Resolver()
export class ApiKeyResolver {
  @Authorized(...PERMISSIONS.manageApiKeys)
  @Query(() => [ApiKeyType])
  async apiKeys(@Ctx() ctx: GraphQLContext): Promise<ApiKeyType[]> {
    const keys = await ctx.services.organizations.listApiKeys(scopeOf(ctx));
    return keys.map(toApiKeyType);
  }

  @Authorized(...PERMISSIONS.manageApiKeys)
  @Mutation(() => CreatedApiKeyType, { description: 'Creates an API key; the secret is returned once' })
  async createApiKey(
    @Arg('input') input: CreateApiKeyInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<CreatedApiKeyType> {
    const created = await ctx.services.organizations.createApiKey(scopeOf(ctx), input);
    return Object.assign(new CreatedApiKeyType(), { apiKey: toApiKeyType(created.apiKey), key: created.key });
  }

  @Authorized(...PERMISSIONS.manageApiKeys)
  @Mutation(() => ApiKeyType)
  async revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<ApiKeyType> {
    return toApiKeyType(await ctx.services.organizations.revokeApiKey(scopeOf(ctx), id));
  }
}
