import { z } from 'zod';
import { isTimeZone } from '../../../domain/calendar';
import { ConnectorError } from '../../errors';
import type { LendingConnectorDefinition } from '../../types';
import { FineractConnector } from './client';
import { FINERACT_CONNECTOR_ID, type FineractCredentials } from './types';

export { FineractConnector, mapFineractError, encodeFineractCursor, decodeFineractCursor } from './client';
export * from './types';

/** "is required" for a missing field, "must be a string" for a wrong type; never the value itself. */
const requiredString = (what: string) =>
  z
    .string({
      error: (issue) => (issue.input === undefined ? `is required (${what})` : `must be a string (${what})`),
    })
    .trim()
    .min(1, { error: `must not be empty (${what})` });

const credentialsSchema = z.object(
  {
    username: requiredString('Fineract user name'),
    password: requiredString('password of that user'),
    tenantId: requiredString('Fineract-Platform-TenantId, e.g. "default"'),
    paymentTypeIds: z
      .record(
        z.string(),
        z
          .number({ error: 'must be a number (payment type id)' })
          .int({ error: 'must be an integer' })
          .positive({ error: 'must be positive' }),
        { error: 'must be an object mapping a channel to a payment type id' },
      )
      .optional(),
    timeZone: z
      .string({ error: 'must be a string (IANA time zone)' })
      .refine(isTimeZone, { error: 'must be an IANA time zone such as Africa/Kampala' })
      .optional(),
  },
  { error: 'must be an object' },
);

/**
 * Validates a `FINERACT` source's credentials: `{ username, password, tenantId }` plus optional
 * `paymentTypeIds` (channel -> Fineract payment type id) and `timeZone`.
 * @throws ConnectorError AUTH_CONFIG_INVALID naming every bad field (values are never echoed).
 */
export function parseFineractCredentials(raw: unknown): FineractCredentials {
  const result = credentialsSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.map(String).join('.') || 'credentials'}: ${issue.message}`,
    );
    throw new ConnectorError(
      FINERACT_CONNECTOR_ID,
      'AUTH_CONFIG_INVALID',
      `Invalid Fineract credentials: ${problems.join('; ')}`,
    );
  }
  return result.data;
}

/** Registry entry for Apache Fineract (Mifos X). Base URL like `https://host/fineract-provider/api/v1`. */
export const fineractDefinition: LendingConnectorDefinition<FineractCredentials> = {
  kind: 'FINERACT',
  id: FINERACT_CONNECTOR_ID,
  parseCredentials: parseFineractCredentials,
  create: (config, runtime) => new FineractConnector(config, runtime),
};
