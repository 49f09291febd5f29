import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from './auth/principal';
import { unauthenticated } from './errors/app-error';
import type { Logger } from './logger';
import type { Loaders } from './resolvers/loaders';
import type { Scope } from './services/scope';
import type { Services } from './services/container';

/** Per-request GraphQL context: a forked EntityManager scoped to the caller's organization, loaders, logger. */
export interface GraphQLContext {
  requestId: string;
  principal: Principal | null;
  em: EntityManager;
  logger: Logger;
  services: Services;
  loaders: Loaders;
  /** `Idempotency-Key` header, for money-moving mutations. */
  idempotencyKey: string | null;
}

/** The service scope of an authenticated request (resolvers behind `@Authorized` always have a principal). */
export function scopeOf(ctx: GraphQLContext): Scope {
  if (!ctx.principal) throw unauthenticated();
  return { em: ctx.em, principal: ctx.principal, logger: ctx.logger };
}
