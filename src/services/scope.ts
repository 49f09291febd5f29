import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from '../auth/principal';
import type { Logger } from '../logger';

/** What a service method works within: a forked EntityManager scoped to the caller's organization. */
export interface Scope {
  em: EntityManager;
  principal: Principal;
  logger: Logger;
}

/** A fork of `em` with the tenant filter bound to one organization (the one place scoping is set). */
export function scopedFork(em: EntityManager, organizationId: string): EntityManager {
  const fork = em.fork({ clear: true });
  fork.setFilterParams('tenant', { organizationId });
  return fork;
}
