import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { PERMISSIONS } from '../auth/permissions';
import { scopeOf, type GraphQLContext } from '../context';
import type { SyncRun } from '../entities/sync-run.entity';
import { SyncRunType } from '../schema/sync/sync-run.type';

export function toSyncRunType(run: SyncRun): SyncRunType {
  return Object.assign(new SyncRunType(), {
    id: run.id,
    sourceId: run.lendingSource.id,
    mode: run.mode,
    status: run.status,
    processed: run.processed,
    total: run.total ?? null,
    failed: run.failed,
    errors: (run.errors ?? []).map((e) => ({ externalId: e.externalId, message: e.message })),
    error: run.error ?? null,
    startedAt: run.startedAt ?? null,
    completedAt: run.completedAt ?? null,
  });
}

@Resolver(() => SyncRunType)
export class SyncResolver {
  @Authorized(...PERMISSIONS.syncLoans)
  @Mutation(() => SyncRunType, { description: 'Starts a loan sync (or returns the one already running)' })
  async syncLoanAccounts(
    @Arg('sourceId', () => ID) sourceId: string,
    @Arg('full', () => Boolean, {
      nullable: true,
      description: 'Force a full sync instead of an incremental one',
    })
    full: boolean | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<SyncRunType> {
    return toSyncRunType(
      await ctx.services.sync.startSync(scopeOf(ctx), sourceId, full ? 'FULL' : undefined),
    );
  }

  @Authorized(...PERMISSIONS.syncLoans)
  @Query(() => SyncRunType)
  async syncRun(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<SyncRunType> {
    return toSyncRunType(await ctx.services.sync.getRun(scopeOf(ctx), id));
  }
}
