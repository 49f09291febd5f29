import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Keys whose values are personal data or secrets wherever they appear (top level or nested up to three levels).
 * pino's redaction works on paths, so each key is listed at several depths.
 */
const SENSITIVE_KEYS = [
  'authorization',
  'Authorization',
  'cookie',
  'apiKey',
  'api_key',
  'password',
  'secret',
  'secretKey',
  'clientSecret',
  'consumerSecret',
  'passkey',
  'securityCredential',
  'accessToken',
  'access_token',
  'token',
  'credentials',
  'phone',
  'phoneNumber',
  'msisdn',
  'MSISDN',
  'PhoneNumber',
  'partyId',
  'email',
  'emailAddress',
  'name',
  'firstName',
  'lastName',
  'displayName',
  'fullName',
  'FirstName',
  'MiddleName',
  'LastName',
  'accountNumber',
  'mobileNo',
  'nationalId',
  'payerReference',
];

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of SENSITIVE_KEYS) {
    paths.push(key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`);
  }
  paths.push('req.headers.authorization', 'req.headers["x-api-key"]', 'headers.authorization');
  return paths;
}

/** Phone numbers (7+ digits, optional +, spaces or dashes), e-mail addresses and bearer tokens inside free text. */
const PHONE_IN_TEXT = /\+?\d[\d\s-]{7,}\d/g;
const EMAIL_IN_TEXT = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const KEY_IN_TEXT = /\b(lipa_[A-Za-z0-9_]{8,}|Bearer\s+[A-Za-z0-9._~+/=-]{8,})/g;

/** Masks personal data that slipped into a free-text message. */
export function scrubText(text: string): string {
  return text
    .replace(KEY_IN_TEXT, '[REDACTED]')
    .replace(EMAIL_IN_TEXT, '[EMAIL]')
    .replace(PHONE_IN_TEXT, '[PHONE]');
}

export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  const opts: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'lipa' },
    redact: { paths: redactPaths(), censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: {
      err: (err: unknown) => {
        const s = pino.stdSerializers.err(err as Error);
        if (s && typeof s.message === 'string') s.message = scrubText(s.message);
        if (s && typeof s.stack === 'string') s.stack = scrubText(s.stack);
        return s;
      },
    },
    hooks: {
      // Free-text messages are scrubbed too: a phone number interpolated into a message must not reach the log.
      logMethod(args, method) {
        for (let i = 0; i < args.length; i++) {
          if (typeof args[i] === 'string') args[i] = scrubText(args[i] as string);
        }
        return method.apply(this, args as Parameters<typeof method>);
      },
    },
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}
