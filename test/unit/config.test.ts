import { ConfigError, loadConfig } from '../../src/config';

const KEY = Buffer.alloc(32, 1).toString('base64');
const valid = {
  DATABASE_URL: 'postgres://u@127.0.0.1:5432/lipa',
  REDIS_URL: 'redis://127.0.0.1:6379',
  LIPA_ENCRYPTION_KEY: KEY,
};

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('loads a valid environment with defaults and freezes it', () => {
    const config = loadConfig(valid);
    expect(config.port).toBe(4000);
    expect(config.encryptionKey).toHaveLength(32);
    expect(config.publicUrl).toBe('http://localhost:4000');
    expect(config.graphql.maxDepth).toBe(10);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('lists every problem at once, naming each variable', () => {
    const list = problems({ PORT: 'eighty', LOG_LEVEL: 'loud', LIPA_ENCRYPTION_KEY: 'short' });
    expect(list).toEqual(
      expect.arrayContaining([
        'DATABASE_URL is required',
        'REDIS_URL is required',
        expect.stringMatching(/^PORT must be a whole number/),
        expect.stringMatching(/^LOG_LEVEL /),
        expect.stringMatching(/^LIPA_ENCRYPTION_KEY must be 32 bytes/),
      ]),
    );
    expect(list.length).toBeGreaterThanOrEqual(5);
  });

  it('never defaults the encryption key', () => {
    expect(problems({ ...valid, LIPA_ENCRYPTION_KEY: undefined })).toContain(
      'LIPA_ENCRYPTION_KEY is required',
    );
  });

  it('rejects malformed URLs and conflicting JWT settings', () => {
    expect(problems({ ...valid, DATABASE_URL: 'mysql://x' })).toEqual([
      expect.stringMatching(/^DATABASE_URL must be a URL/),
    ]);
    expect(problems({ ...valid, REDIS_URL: 'not a url' })).toEqual([expect.stringMatching(/^REDIS_URL /)]);
    expect(
      problems({ ...valid, LIPA_JWT_SECRET: 'x'.repeat(40), LIPA_JWKS_URL: 'https://id.example.com/jwks' }),
    ).toEqual([expect.stringMatching(/^LIPA_JWKS_URL set LIPA_JWT_SECRET or LIPA_JWKS_URL, not both/)]);
    expect(problems({ ...valid, LIPA_JWT_SECRET: 'too-short' })).toEqual([
      expect.stringMatching(/^LIPA_JWT_SECRET must be at least 32/),
    ]);
  });

  it('does not echo secret values in its messages', () => {
    const secret = 'c2VjcmV0LXZhbHVlLXRoYXQtaXMtd3Jvbmc=';
    const list = problems({ ...valid, LIPA_ENCRYPTION_KEY: secret });
    expect(list.join('\n')).not.toContain(secret);
  });
});
