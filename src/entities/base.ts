import { Filter, ManyToOne, Property, type Opt } from '@mikro-orm/core';
import { Organization } from './organization.entity';

/**
 * Tenant scoping in one place: every tenant-owned entity carries this filter, enabled by default, so a query
 * run without `em.setFilterParams('tenant', { organizationId })` fails instead of returning other tenants' rows.
 * Code that legitimately works across tenants (the outbox relay, migrations) disables it explicitly.
 */
export const TENANT_FILTER: Parameters<typeof Filter>[0] = {
  name: 'tenant',
  cond: (args: { organizationId: string }) => ({ organization: args.organizationId }),
  default: true,
};

@Filter(TENANT_FILTER)
export abstract class TenantEntity {
  @ManyToOne(() => Organization, { deleteRule: 'cascade' })
  organization!: Organization;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();
}
