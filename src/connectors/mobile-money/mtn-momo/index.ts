import { z } from 'zod';
import { ConnectorError } from '../../errors';
import type { MobileMoneyConnectorDefinition } from '../../types';
import { MtnMomoConnector } from './client';
import {
  MTN_MOMO_CONNECTOR_ID,
  MTN_MOMO_TARGET_ENVIRONMENTS,
  type MtnMomoCredentials,
  type MtnMomoTargetEnvironment,
} from './types';

export { MtnMomoConnector } from './client';
export { mtnMomoCallbackTokenMatches, parseMtnMomoCallback, verifyMtnMomoCallback } from './webhook';
export * from './types';

/** API users are UUIDs (created with a UUIDv4 X-Reference-Id in the sandbox, issued by the portal in production). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** "is required" for a missing field, "must be a string" for a wrong type; never the value itself. */
const requiredString = (what: string) =>
  z
    .string({
      error: (issue) => (issue.input === undefined ? `is required (${what})` : `must be a string (${what})`),
    })
    .trim();

const secret = (what: string) => requiredString(what).min(1, { error: `must not be empty (${what})` });

const productSchema = z.object({
  apiUser: requiredString('API user UUID').regex(UUID, { error: 'must be a UUID' }),
  apiKey: secret('API key'),
  subscriptionKey: secret('Ocp-Apim-Subscription-Key of the product'),
});

const environments = Object.keys(MTN_MOMO_TARGET_ENVIRONMENTS) as [
  MtnMomoTargetEnvironment,
  ...MtnMomoTargetEnvironment[],
];

const credentialsSchema = productSchema.extend({
  targetEnvironment: z.enum(environments, {
    error: (issue) =>
      issue.input === undefined ? 'is required' : `must be one of ${environments.join(', ')}`,
  }),
  disbursement: productSchema.optional(),
});

/**
 * Validates a `MTN_MOMO` source's credentials: `{ apiUser, apiKey, subscriptionKey, targetEnvironment }` for
 * Collections plus optional `disbursement: { apiUser, apiKey, subscriptionKey }` for refunds.
 * @throws ConnectorError AUTH_CONFIG_INVALID naming every bad field (values are never echoed).
 */
export function parseMtnMomoCredentials(raw: unknown): MtnMomoCredentials {
  const result = credentialsSchema.safeParse(raw);
  if (!result.success) {
    // Our own messages only (zod's could in principle quote input); paths name the fields.
    const problems = result.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.') || 'credentials';
      return issue.code === 'invalid_type' && issue.path.length === 0
        ? 'credentials: must be an object'
        : `${path}: ${issue.message}`;
    });
    throw new ConnectorError(
      MTN_MOMO_CONNECTOR_ID,
      'AUTH_CONFIG_INVALID',
      `Invalid MTN MoMo credentials: ${problems.join('; ')}`,
    );
  }
  return result.data;
}

/** Registry entry for MTN MoMo Collections (Uganda and other MoMo markets). */
export const mtnMomoDefinition: MobileMoneyConnectorDefinition<MtnMomoCredentials> = {
  kind: 'MTN_MOMO',
  id: MTN_MOMO_CONNECTOR_ID,
  parseCredentials: parseMtnMomoCredentials,
  create: (config, runtime) => new MtnMomoConnector(config, runtime),
};
