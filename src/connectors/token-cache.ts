/**
 * Caches provider access tokens per key until shortly before they expire, with one refresh at a time: concurrent
 * callers wait for the same in-flight fetch instead of minting several tokens (Daraja invalidates the previous
 * token when a new one is issued, so parallel refreshes would break each other).
 */
export interface CachedToken {
  token: string;
  /** Absolute expiry, ms since epoch. */
  expiresAt: number;
}

export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();

  constructor(
    /** Refresh this many ms before expiry (default 60 s). */
    private readonly skewMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string, fetchToken: () => Promise<CachedToken>): Promise<string> {
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt - this.skewMs > this.now()) return cached.token;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = fetchToken().finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const fresh = await pending;
    this.tokens.set(key, fresh);
    return fresh.token;
  }

  invalidate(key: string): void {
    this.tokens.delete(key);
  }
}

/** Process-wide cache used by connectors unless a test passes its own. */
export const sharedTokenCache = new TokenCache();
