import type { MikroORM } from '@mikro-orm/postgresql';
import { ConnectorError } from '../connectors/errors';
import type { ConnectorRegistry } from '../connectors/registry';
import type {
  ConnectorRuntime,
  LendingSystemConnector,
  LendingSystemKind,
  MobileMoneyConnector,
  RailKind,
} from '../connectors/types';
import { LendingSource } from '../entities/lending-source.entity';
import { Organization } from '../entities/organization.entity';
import { PaymentSource } from '../entities/payment-source.entity';
import { AppError, badInput, notFound } from '../errors/app-error';
import { connectorErrorToAppError } from '../errors/graphql';
import { audit } from './audit';
import { randomToken, type SecretBox } from './crypto';
import type { Scope } from './scope';

/** A payment source as the callback path needs it: found by id across tenants, secrets decrypted, cached briefly. */
export interface CallbackSource {
  id: string;
  organizationId: string;
  kind: RailKind;
  status: string;
  callbackToken: string;
  connector: MobileMoneyConnector | null;
}

export class SourceService {
  private readonly callbackCache = new Map<string, { value: CallbackSource | null; expires: number }>();
  private readonly connectorCache = new Map<string, unknown>();

  constructor(
    private readonly orm: MikroORM,
    private readonly secrets: SecretBox,
    private readonly registry: ConnectorRegistry,
    private readonly runtime: ConnectorRuntime,
    private readonly publicUrl: string,
  ) {}

  callbackUrl(source: PaymentSource): string {
    return `${this.publicUrl}/hooks/${source.id}/${this.secrets.open(source.callbackTokenEncrypted)}`;
  }

  async registerLendingSource(
    scope: Scope,
    input: { kind: LendingSystemKind; name: string; baseUrl: string; credentials: Record<string, unknown> },
  ): Promise<LendingSource> {
    const def = this.registry.lendingDefinition(input.kind);
    let credentials: unknown;
    try {
      credentials = def.parseCredentials(input.credentials);
    } catch (err) {
      if (err instanceof ConnectorError) throw connectorErrorToAppError(err);
      throw err;
    }
    const source = scope.em.create(LendingSource, {
      organization: scope.em.getReference(Organization, scope.principal.organizationId),
      kind: input.kind,
      name: input.name.trim(),
      baseUrl: input.baseUrl.replace(/\/+$/, ''),
      credentialsEncrypted: this.secrets.sealJson(credentials),
    });
    scope.em.persist(source);
    audit(scope.em, scope.principal, 'lending_source.registered', 'lending_source', source.id, {
      kind: input.kind,
      name: source.name,
    });
    await scope.em.flush();
    return source;
  }

  async registerPaymentSource(
    scope: Scope,
    input: {
      kind: RailKind;
      name: string;
      baseUrl?: string | null;
      credentials: Record<string, unknown>;
      lendingSourceId?: string | null;
    },
  ): Promise<PaymentSource> {
    const def = this.registry.railDefinition(input.kind);
    let credentials: unknown;
    try {
      credentials = def.parseCredentials(input.credentials);
    } catch (err) {
      if (err instanceof ConnectorError) throw connectorErrorToAppError(err);
      throw err;
    }
    let lendingSource: LendingSource | null = null;
    if (input.lendingSourceId) {
      lendingSource = await scope.em.findOne(LendingSource, { id: input.lendingSourceId });
      if (!lendingSource) throw badInput(`Lending source ${input.lendingSourceId} was not found`);
    }
    const source = scope.em.create(PaymentSource, {
      organization: scope.em.getReference(Organization, scope.principal.organizationId),
      kind: input.kind,
      name: input.name.trim(),
      baseUrl: input.baseUrl ? input.baseUrl.replace(/\/+$/, '') : null,
      credentialsEncrypted: this.secrets.sealJson(credentials),
      callbackTokenEncrypted: this.secrets.seal(randomToken(24)),
      lendingSource,
    });
    scope.em.persist(source);
    audit(scope.em, scope.principal, 'payment_source.registered', 'payment_source', source.id, {
      kind: input.kind,
      name: source.name,
    });
    await scope.em.flush();
    return source;
  }

  async listSources(scope: Scope): Promise<{ lending: LendingSource[]; payment: PaymentSource[] }> {
    const [lending, payment] = await Promise.all([
      scope.em.find(LendingSource, {}, { orderBy: { id: 'asc' } }),
      scope.em.find(PaymentSource, {}, { orderBy: { id: 'asc' } }),
    ]);
    return { lending, payment };
  }

  async getLendingSource(scope: Scope, id: string): Promise<LendingSource> {
    const source = await scope.em.findOne(LendingSource, { id }, { populate: ['credentialsEncrypted'] });
    if (!source) throw notFound('Lending source', id);
    return source;
  }

  async getPaymentSource(scope: Scope, id: string): Promise<PaymentSource> {
    const source = await scope.em.findOne(PaymentSource, { id }, { populate: ['credentialsEncrypted'] });
    if (!source) throw notFound('Payment source', id);
    return source;
  }

  /**
   * Connectors are stateless, so one per source is built and reused until its kind, URL or credentials change
   * (the key holds the sealed credentials, so a credential rotation builds a new one). Building one means a
   * decryption and an HTTP client; the worker would otherwise do both for every event it processes.
   */
  private cachedConnector<C>(key: string, build: () => C): C {
    const hit = this.connectorCache.get(key);
    if (hit) return hit as C;
    const built = build();
    if (this.connectorCache.size >= 1_000) {
      const oldest = this.connectorCache.keys().next().value;
      if (oldest !== undefined) this.connectorCache.delete(oldest);
    }
    this.connectorCache.set(key, built);
    return built;
  }

  /** Builds the connector for a lending source (credentials decrypted only here, never returned). */
  lendingConnector(source: LendingSource): LendingSystemConnector {
    return this.cachedConnector(
      `${source.id}|${source.kind}|${source.baseUrl}|${source.credentialsEncrypted}`,
      () =>
        this.registry.createLending(
          source.kind,
          source.baseUrl,
          this.secrets.openJson(source.credentialsEncrypted),
          this.runtime,
        ),
    );
  }

  railConnector(source: PaymentSource): MobileMoneyConnector {
    return this.railConnectorFor(source.id, source.kind, source.baseUrl ?? null, source.credentialsEncrypted);
  }

  /** The rail connector for a source's stored fields (the worker's entity and the callback path's raw row). */
  private railConnectorFor(
    id: string,
    kind: RailKind,
    baseUrl: string | null,
    credentialsEncrypted: string,
  ): MobileMoneyConnector {
    return this.cachedConnector(`${id}|${kind}|${baseUrl ?? ''}|${credentialsEncrypted}`, () =>
      this.registry.createRail(kind, baseUrl, this.secrets.openJson(credentialsEncrypted), this.runtime),
    );
  }

  /**
   * The callback path's view of a source, cached for a few seconds (the ingest path must not decrypt and build
   * a connector per request). Unknown ids are cached as null too, so a flood of bad ids stays cheap.
   */
  async sourceForCallback(sourceId: string): Promise<CallbackSource | null> {
    const now = Date.now();
    const hit = this.callbackCache.get(sourceId);
    if (hit && hit.expires > now) return hit.value;
    if (!/^psrc_[0-9A-Z]{26}$/.test(sourceId)) return null;
    const rows = await this.orm.em.getConnection().execute<
      Array<{
        id: string;
        organization_id: string;
        kind: RailKind;
        status: string;
        base_url: string | null;
        credentials_encrypted: string;
        callback_token_encrypted: string;
      }>
    >('select id, organization_id, kind, status, base_url, credentials_encrypted, callback_token_encrypted from payment_source where id = ?', [sourceId]);
    let value: CallbackSource | null = null;
    const row = rows[0];
    if (row) {
      let connector: MobileMoneyConnector | null = null;
      try {
        connector = this.railConnectorFor(row.id, row.kind, row.base_url, row.credentials_encrypted);
      } catch (err) {
        this.runtime.logger.error({ err, sourceId }, 'cannot build connector for payment source');
      }
      value = {
        id: row.id,
        organizationId: row.organization_id,
        kind: row.kind,
        status: row.status,
        callbackToken: this.secrets.open(row.callback_token_encrypted),
        connector,
      };
    }
    if (this.callbackCache.size > 10_000) this.callbackCache.clear();
    this.callbackCache.set(sourceId, { value, expires: now + 10_000 });
    return value;
  }

  invalidateCallbackCache(sourceId?: string): void {
    if (sourceId) this.callbackCache.delete(sourceId);
    else this.callbackCache.clear();
  }
}

export function assertUsable(source: { status: string; name: string }): void {
  if (source.status === 'DISABLED') throw new AppError('BAD_USER_INPUT', `Source ${source.name} is disabled`);
}
