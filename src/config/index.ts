import { z } from 'zod';

/**
 * Configuration, read from the environment once at boot, validated, typed and frozen. Nothing else in Lipa reads
 * `process.env`. Every problem is reported at once, naming the variable; secrets are never defaulted (the embedded
 * development setup generates its own key in `.lipa/` and passes it in explicitly).
 */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const urlWithProtocol = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${protocols.map((p) => p + '//').join(' or ')}`,
  );

const encryptionKey = z.string().refine((v) => {
  const buf = Buffer.from(v, 'base64');
  return buf.length === 32 && /^[A-Za-z0-9+/]+={0,2}$/.test(v);
}, 'must be 32 bytes encoded as base64 (generate one with: openssl rand -base64 32)');

const intInRange = (min: number, max: number, def: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return Number(v);
    });

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    DATABASE_URL: urlWithProtocol(['postgres:', 'postgresql:']),
    REDIS_URL: urlWithProtocol(['redis:', 'rediss:']),
    PORT: intInRange(0, 65535, 4000),
    LIPA_ENCRYPTION_KEY: encryptionKey,
    LIPA_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    LIPA_JWKS_URL: urlWithProtocol(['https:', 'http:']).optional(),
    LIPA_JWT_ISSUER: z.string().optional(),
    LIPA_JWT_AUDIENCE: z.string().optional(),
    LIPA_PUBLIC_URL: urlWithProtocol(['https:', 'http:']).optional(),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    LIPA_BODY_LIMIT: z
      .string()
      .regex(/^\d+(b|kb|mb)$/i, 'must look like 256kb or 1mb')
      .default('1mb'),
    LIPA_MAX_QUERY_DEPTH: intInRange(2, 50, 10),
    LIPA_MAX_QUERY_COMPLEXITY: intInRange(10, 100_000, 2_000),
    LIPA_SYNC_INTERVAL_SECONDS: intInRange(10, 86_400, 900),
    LIPA_PAYMENT_REQUEST_TIMEOUT_SECONDS: intInRange(10, 86_400, 300),
    LIPA_SETTLEMENT_MAX_MB: intInRange(1, 4_096, 512),
    LIPA_QUEUE_PREFIX: z
      .string()
      .regex(/^[a-zA-Z0-9:_-]+$/, 'may hold letters, digits, ":", "_" and "-" only')
      .default('lipa'),
    LIPA_WORKERS: z.enum(['true', 'false']).default('true'),
    LIPA_GRAPHQL_PLAYGROUND: z.enum(['true', 'false']).optional(),
  })
  .superRefine((env, ctx) => {
    if (env.LIPA_JWT_SECRET && env.LIPA_JWKS_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['LIPA_JWKS_URL'],
        message: 'set LIPA_JWT_SECRET or LIPA_JWKS_URL, not both',
      });
    }
  });

export interface Config {
  readonly env: 'development' | 'test' | 'production';
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly port: number;
  /** 32-byte key for AES-256-GCM encryption of connector credentials. */
  readonly encryptionKey: Buffer;
  readonly jwt: {
    readonly secret?: string;
    readonly jwksUrl?: string;
    readonly issuer?: string;
    readonly audience?: string;
  };
  /** Base of callback URLs given to rails; defaults to http://localhost:PORT. */
  readonly publicUrl: string;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly bodyLimit: string;
  readonly graphql: {
    readonly maxDepth: number;
    readonly maxComplexity: number;
    readonly playground: boolean;
  };
  readonly syncIntervalSeconds: number;
  readonly paymentRequestTimeoutSeconds: number;
  /** Largest settlement file accepted by the streaming upload, in bytes. */
  readonly settlementMaxBytes: number;
  readonly queuePrefix: string;
  /** Run BullMQ workers in the API process (`lipa serve`); `lipa worker` always runs them. */
  readonly runWorkers: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates `env` and returns a frozen {@link Config}; throws {@link ConfigError} listing every problem. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const missing = issue.code === 'invalid_type' && env[name] === undefined;
      return missing ? `${name} is required` : `${name} ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const config: Config = {
    env: e.NODE_ENV,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    port: e.PORT,
    encryptionKey: Buffer.from(e.LIPA_ENCRYPTION_KEY, 'base64'),
    jwt: Object.freeze({
      secret: e.LIPA_JWT_SECRET,
      jwksUrl: e.LIPA_JWKS_URL,
      issuer: e.LIPA_JWT_ISSUER,
      audience: e.LIPA_JWT_AUDIENCE,
    }),
    publicUrl: (e.LIPA_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    logLevel: e.LOG_LEVEL,
    bodyLimit: e.LIPA_BODY_LIMIT,
    graphql: Object.freeze({
      maxDepth: e.LIPA_MAX_QUERY_DEPTH,
      maxComplexity: e.LIPA_MAX_QUERY_COMPLEXITY,
      playground: e.LIPA_GRAPHQL_PLAYGROUND
        ? e.LIPA_GRAPHQL_PLAYGROUND === 'true'
        : e.NODE_ENV !== 'production',
    }),
    syncIntervalSeconds: e.LIPA_SYNC_INTERVAL_SECONDS,
    paymentRequestTimeoutSeconds: e.LIPA_PAYMENT_REQUEST_TIMEOUT_SECONDS,
    settlementMaxBytes: e.LIPA_SETTLEMENT_MAX_MB * 1024 * 1024,
    queuePrefix: e.LIPA_QUEUE_PREFIX,
    runWorkers: e.LIPA_WORKERS === 'true',
  };
  return Object.freeze(config);
}
