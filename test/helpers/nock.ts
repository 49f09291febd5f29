import { createLogger } from '../../src/logger';
import type { ConnectorRuntime } from '../../src/connectors/types';
import { TokenCache } from '../../src/connectors/token-cache';

/** A connector runtime for contract tests: silent logs, zero backoff, a fresh token cache. */
export function testRuntime(overrides: Partial<ConnectorRuntime> = {}): ConnectorRuntime {
  return {
    logger: createLogger({ level: 'silent' }),
    http: { baseDelayMs: 0, maxRetries: 2, timeoutMs: 2000 },
    tokenCache: new TokenCache(),
    ...overrides,
  };
}
