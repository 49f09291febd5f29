import { randomBytes } from 'node:crypto';
import { safeEqual, sha256Hex } from '../services/crypto';

/**
 * API keys look like `lipa_<prefix>_<secret>`. The prefix (12 base32 characters) finds the row; the SHA-256 of
 * the whole key verifies it. Keys are 160+ bits of randomness, so a fast hash is the right tool (no password KDF).
 */
const KEY_PATTERN = /^lipa_([a-z2-7]{12})_([A-Za-z0-9_-]{43})$/;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export interface GeneratedKey {
  key: string;
  prefix: string;
  hash: string;
}

export function generateApiKey(): GeneratedKey {
  const bytes = randomBytes(12);
  let prefix = '';
  for (const b of bytes) prefix += BASE32[b & 31];
  const secret = randomBytes(32).toString('base64url');
  const key = `lipa_${prefix}_${secret}`;
  return { key, prefix, hash: sha256Hex(key) };
}

/** Splits a presented key; null when it does not have the shape of a Lipa key. */
export function parseApiKey(key: string): { prefix: string } | null {
  const m = KEY_PATTERN.exec(key);
  return m ? { prefix: m[1] } : null;
}

export function apiKeyMatches(key: string, storedHash: string): boolean {
  return safeEqual(sha256Hex(key), storedHash);
}
