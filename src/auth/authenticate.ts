import type { MikroORM } from '@mikro-orm/postgresql';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../config';
import { ROLES, type Role } from '../domain/enums';
import { AppError, unauthenticated } from '../errors/app-error';
import { apiKeyMatches, parseApiKey } from './api-keys';
import type { Principal } from './principal';

interface ApiKeyRow {
  id: string;
  organization_id: string;
  role: Role;
  name: string;
  hash: string;
  revoked_at: Date | null;
}

/**
 * Turns an `Authorization` header into a {@link Principal}. API keys (`Bearer lipa_...`) are looked up by prefix
 * and verified by hash; anything else is treated as a JWT when LIPA_JWT_SECRET or LIPA_JWKS_URL is configured.
 * Returns null when no credentials were presented; throws UNAUTHENTICATED for bad ones.
 */
export class Authenticator {
  private readonly jwks?: JWTVerifyGetKey;
  private readonly jwtSecret?: Uint8Array;

  constructor(
    private readonly orm: MikroORM,
    private readonly config: Config,
  ) {
    if (config.jwt.secret) this.jwtSecret = new TextEncoder().encode(config.jwt.secret);
    if (config.jwt.jwksUrl) this.jwks = createRemoteJWKSet(new URL(config.jwt.jwksUrl));
  }

  async authenticate(header: string | undefined | null): Promise<Principal | null> {
    if (header === undefined || header === null || header === '') return null;
    const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!m) throw unauthenticated('Authorization must be "Bearer <API key or token>"');
    const credential = m[1];
    if (credential.startsWith('lipa_')) return this.authenticateApiKey(credential);
    if (this.jwtSecret || this.jwks) return this.authenticateJwt(credential);
    throw unauthenticated('Unknown API key format');
  }

  private async authenticateApiKey(key: string): Promise<Principal> {
    const parsed = parseApiKey(key);
    if (!parsed) throw unauthenticated('Invalid API key');
    const rows = await this.orm.em
      .getConnection()
      .execute<ApiKeyRow[]>(
        'select id, organization_id, role, name, hash, revoked_at from api_key where prefix = ? limit 1',
        [parsed.prefix],
      );
    const row = rows[0];
    // Same error for unknown, wrong and revoked keys: do not tell an attacker which prefixes exist.
    if (!row || !apiKeyMatches(key, row.hash)) throw unauthenticated('Invalid API key');
    if (row.revoked_at) throw unauthenticated('This API key has been revoked');
    // Record use at most once a minute per key (no write per request).
    void this.orm.em
      .getConnection()
      .execute(
        "update api_key set last_used_at = now() where id = ? and (last_used_at is null or last_used_at < now() - interval '1 minute')",
        [row.id],
      )
      .catch(() => undefined);
    return {
      organizationId: row.organization_id,
      role: row.role,
      actorType: 'API_KEY',
      actorId: row.id,
      name: row.name,
    };
  }

  private async authenticateJwt(token: string): Promise<Principal> {
    let payload: Record<string, unknown>;
    try {
      const verified = this.jwtSecret
        ? await jwtVerify(token, this.jwtSecret, {
            issuer: this.config.jwt.issuer,
            audience: this.config.jwt.audience,
            algorithms: ['HS256', 'HS384', 'HS512'],
          })
        : await jwtVerify(token, this.jwks!, {
            issuer: this.config.jwt.issuer,
            audience: this.config.jwt.audience,
          });
      payload = verified.payload as Record<string, unknown>;
    } catch (err) {
      throw new AppError('UNAUTHENTICATED', 'Invalid or expired token', { cause: err });
    }
    const org = payload.org ?? payload.organizationId;
    const role = payload.role;
    if (
      typeof payload.sub !== 'string' ||
      typeof org !== 'string' ||
      typeof role !== 'string' ||
      !ROLES.includes(role as Role)
    ) {
      throw unauthenticated('Token must carry sub, org and a Lipa role');
    }
    return {
      organizationId: org,
      role: role as Role,
      actorType: 'USER',
      actorId: payload.sub,
      name: typeof payload.name === 'string' ? payload.name : null,
    };
  }
}
