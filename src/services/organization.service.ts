import type { MikroORM } from '@mikro-orm/postgresql';
import { generateApiKey } from '../auth/api-keys';
import { isTimeZone } from '../domain/calendar';
import type { Role } from '../domain/enums';
import { ROLES } from '../domain/enums';
import { ApiKey } from '../entities/api-key.entity';
import { Organization } from '../entities/organization.entity';
import { badInput, notFound } from '../errors/app-error';
import { audit } from './audit';
import { scopedFork, type Scope } from './scope';

export interface CreatedKey {
  apiKey: ApiKey;
  /** The secret, shown once. */
  key: string;
}

export class OrganizationService {
  constructor(private readonly orm: MikroORM) {}

  /** Creates an organization and its first ADMIN key (CLI `org:create`). */
  async createOrganization(
    name: string,
    timeZone?: string,
  ): Promise<{ organization: Organization; admin: CreatedKey }> {
    const trimmed = name.trim();
    if (trimmed.length < 1 || trimmed.length > 200)
      throw badInput('Organization name must be 1 to 200 characters');
    const organization = new Organization();
    organization.name = trimmed;
    if (timeZone) {
      if (!isTimeZone(timeZone)) throw badInput(`Unknown time zone "${timeZone}"`);
      organization.timeZone = timeZone;
    }
    const em = scopedFork(this.orm.em, organization.id);
    const generated = generateApiKey();
    const apiKey = em.create(ApiKey, {
      organization,
      name: 'Initial admin key',
      role: 'ADMIN',
      prefix: generated.prefix,
      hash: generated.hash,
      createdBy: 'cli',
    });
    em.persist([organization, apiKey]);
    audit(
      em,
      { organizationId: organization.id, actorType: 'SYSTEM', actorId: null },
      'organization.created',
      'organization',
      organization.id,
      {
        name: trimmed,
      },
    );
    await em.flush();
    return { organization, admin: { apiKey, key: generated.key } };
  }

  /** Creates an API key in an organization by id (CLI `apikey:create`). */
  async createKeyForOrganization(organizationId: string, role: Role, name: string): Promise<CreatedKey> {
    if (!ROLES.includes(role)) throw badInput(`Role must be one of ${ROLES.join(', ')}`);
    const em = scopedFork(this.orm.em, organizationId);
    const org = await em.findOne(Organization, { id: organizationId });
    if (!org) throw notFound('Organization', organizationId);
    return this.insertKey(em, org, role, name, 'cli');
  }

  async createApiKey(scope: Scope, input: { name: string; role: Role }): Promise<CreatedKey> {
    const org = scope.em.getReference(Organization, scope.principal.organizationId);
    const created = await this.insertKey(
      scope.em,
      org,
      input.role,
      input.name,
      scope.principal.actorId,
      scope,
    );
    return created;
  }

  private async insertKey(
    em: Scope['em'],
    organization: Organization,
    role: Role,
    name: string,
    createdBy: string,
    scope?: Scope,
  ): Promise<CreatedKey> {
    const trimmed = name.trim();
    if (trimmed.length < 1 || trimmed.length > 100) throw badInput('Key name must be 1 to 100 characters');
    const generated = generateApiKey();
    const apiKey = em.create(ApiKey, {
      organization,
      name: trimmed,
      role,
      prefix: generated.prefix,
      hash: generated.hash,
      createdBy,
    });
    em.persist(apiKey);
    audit(
      em,
      scope?.principal ?? { organizationId: organization.id, actorType: 'SYSTEM', actorId: null },
      'api_key.created',
      'api_key',
      apiKey.id,
      {
        role,
        name: trimmed,
      },
    );
    await em.flush();
    return { apiKey, key: generated.key };
  }

  async revokeApiKey(scope: Scope, id: string): Promise<ApiKey> {
    const key = await scope.em.findOne(ApiKey, { id });
    if (!key) throw notFound('API key', id);
    if (!key.revokedAt) {
      key.revokedAt = new Date();
      audit(scope.em, scope.principal, 'api_key.revoked', 'api_key', key.id);
      await scope.em.flush();
    }
    return key;
  }

  async listApiKeys(scope: Scope): Promise<ApiKey[]> {
    return scope.em.find(ApiKey, {}, { orderBy: { createdAt: 'asc' } });
  }

  async getOrganization(scope: Scope): Promise<Organization> {
    const org = await scope.em.findOne(Organization, { id: scope.principal.organizationId });
    if (!org) throw notFound('Organization');
    return org;
  }
}
