import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from '../auth/principal';
import { AuditLog } from '../entities/audit-log.entity';
import { Organization } from '../entities/organization.entity';

/** Appends an audit entry in the caller's unit of work (committed with the change it records). */
export function audit(
  em: EntityManager,
  actor: Principal | { organizationId: string; actorType: 'SYSTEM'; actorId: null },
  action: string,
  entityType: string,
  entityId: string,
  data?: Record<string, unknown>,
): void {
  em.persist(
    em.create(AuditLog, {
      organization: em.getReference(Organization, actor.organizationId),
      actorType: actor.actorType,
      actorId: actor.actorId,
      action,
      entityType,
      entityId,
      data: data ?? null,
    }),
  );
}
