import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config';
import type { ConnectorRegistry } from '../../src/connectors/registry';
import type { ConnectorRuntime } from '../../src/connectors/types';
import type { Role } from '../../src/domain/enums';
import { createLogger } from '../../src/logger';
import { createRuntime, type Runtime } from '../../src/runtime';
import { OrganizationService } from '../../src/services/organization.service';
import { scopedFork, type Scope } from '../../src/services/scope';
import { createTestDatabase, testQueuePrefix } from './db';
import { freePort } from '../../src/db/servers';

export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

export interface TestHub {
  runtime: Runtime;
  config: Config;
  url: string;
  databaseUrl: string;
  gql<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    key?: string | null,
    headers?: Record<string, string>,
  ): Promise<{
    status: number;
    body: { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  }>;
  createOrg(name?: string): Promise<{ orgId: string; adminKey: string }>;
  createKey(orgId: string, role: Role): Promise<string>;
  close(): Promise<void>;
}

/** A real hub (HTTP + PostgreSQL + Redis) on a fresh database and queue prefix, listening on a free loopback port. */
export async function startTestHub(
  options: {
    workers?: boolean;
    registry?: ConnectorRegistry;
    env?: Record<string, string>;
    connectorRuntime?: Partial<ConnectorRuntime>;
    /** Listen on a known free port and use it as LIPA_PUBLIC_URL, so simulators can call back (e2e tests). */
    reachable?: boolean;
  } = {},
): Promise<TestHub> {
  const db = await createTestDatabase();
  const port = options.reachable ? await freePort() : 0;
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL,
    LIPA_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    LOG_LEVEL: 'silent',
    PORT: String(port),
    LIPA_PUBLIC_URL: options.reachable ? `http://127.0.0.1:${port}` : 'http://127.0.0.1:4000',
    LIPA_QUEUE_PREFIX: testQueuePrefix(),
    ...options.env,
  });
  const runtime = await createRuntime(config, {
    http: true,
    workers: options.workers ?? false,
    logger: createLogger({ level: 'silent' }),
    registry: options.registry,
    connectorRuntime: {
      http: { baseDelayMs: 0, maxRetries: 1, timeoutMs: 3000 },
      ...options.connectorRuntime,
    },
  });
  const started = await runtime.start();
  const url = `http://127.0.0.1:${started.port}`;
  const orgs = new OrganizationService(runtime.orm);
  return {
    runtime,
    config,
    url,
    databaseUrl: db.url,
    async gql(query, variables = {}, key = null, headers = {}) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, body: (await res.json()) as never };
    },
    async createOrg(name = `Org ${randomBytes(3).toString('hex')}`) {
      const { organization, admin } = await orgs.createOrganization(name);
      return { orgId: organization.id, adminKey: admin.key };
    },
    async createKey(orgId, role) {
      return (await orgs.createKeyForOrganization(orgId, role, `${role} test key`)).key;
    },
    async close() {
      await runtime.stop();
      await db.drop();
    },
  };
}

/** A FINANCE caller's scope in `orgId`, for calling services directly (as the resolvers would after auth). */
export function financeScope(hub: TestHub, orgId: string, name: string): Scope {
  return {
    em: scopedFork(hub.runtime.orm.em, orgId),
    principal: {
      organizationId: orgId,
      role: 'FINANCE',
      actorType: 'API_KEY',
      actorId: `key_${name.replace(/\W+/g, '_')}`,
      name,
    } as Scope['principal'],
    logger: hub.runtime.logger,
  };
}
