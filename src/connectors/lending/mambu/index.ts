import { z } from 'zod';
import { ConnectorError } from '../../errors';
import type { LendingConnectorDefinition } from '../../types';
import { isKnownCurrency } from '../../../domain/money';
import { MambuConnector } from './client';
import { MAMBU_CONNECTOR_ID, type MambuCredentials } from './types';

export {
  MambuConnector,
  mapMambuError,
  encodeMambuCursor,
  decodeMambuCursor,
  mambuRepaymentJson,
} from './client';
export * from './types';

/** "is required" for a missing field, "must be a string" for a wrong type; never the value itself. */
const optionalString = (what: string) =>
  z
    .string({ error: `must be a string (${what})` })
    .trim()
    .min(1, { error: `must not be empty (${what})` })
    .optional();

const credentialsSchema = z
  .object(
    {
      apiKey: optionalString('API consumer key'),
      username: optionalString('Mambu user with API rights'),
      password: optionalString('password of that user'),
      defaultCurrency: z
        .string({ error: 'must be a string (ISO 4217 code)' })
        .transform((v) => v.trim().toUpperCase())
        .refine(isKnownCurrency, { error: 'must be an ISO 4217 currency Lipa supports' })
        .optional(),
      transactionChannelIds: z
        .record(
          z.string(),
          z
            .string({ error: 'must be a string (transaction channel id)' })
            .min(1, { error: 'must not be empty' }),
          {
            error: 'must be an object mapping a channel to a transaction channel id',
          },
        )
        .optional(),
    },
    { error: 'must be an object' },
  )
  .superRefine((value, ctx) => {
    const basic = value.username !== undefined || value.password !== undefined;
    if (value.apiKey !== undefined && basic) {
      ctx.addIssue({
        code: 'custom',
        path: ['apiKey'],
        message: 'give either apiKey or username + password, not both',
      });
      return;
    }
    if (value.apiKey === undefined) {
      if (value.username === undefined)
        ctx.addIssue({ code: 'custom', path: ['username'], message: 'is required (or give apiKey)' });
      if (value.password === undefined)
        ctx.addIssue({ code: 'custom', path: ['password'], message: 'is required (or give apiKey)' });
    }
  });

/**
 * Validates a `MAMBU` source's credentials: `{ apiKey }` (API consumer, recommended) or `{ username, password }`,
 * plus optional `defaultCurrency` and `transactionChannelIds` (channel -> Mambu transaction channel id).
 * @throws ConnectorError AUTH_CONFIG_INVALID naming every bad field (values are never echoed).
 */
export function parseMambuCredentials(raw: unknown): MambuCredentials {
  const result = credentialsSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.map(String).join('.') || 'credentials'}: ${issue.message}`,
    );
    throw new ConnectorError(
      MAMBU_CONNECTOR_ID,
      'AUTH_CONFIG_INVALID',
      `Invalid Mambu credentials: ${problems.join('; ')}`,
    );
  }
  const { apiKey, username, password, defaultCurrency, transactionChannelIds } = result.data;
  const common = {
    ...(defaultCurrency ? { defaultCurrency } : {}),
    ...(transactionChannelIds ? { transactionChannelIds } : {}),
  };
  return apiKey !== undefined
    ? { apiKey, ...common }
    : { username: username!, password: password!, ...common };
}

/** Registry entry for Mambu (API v2). Base URL like `https://{tenant}.mambu.com/api`. */
export const mambuDefinition: LendingConnectorDefinition<MambuCredentials> = {
  kind: 'MAMBU',
  id: MAMBU_CONNECTOR_ID,
  parseCredentials: parseMambuCredentials,
  create: (config, runtime) => new MambuConnector(config, runtime),
};
