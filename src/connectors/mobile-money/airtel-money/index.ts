import { z } from 'zod';
import { isKnownCurrency } from '../../../domain/money';
import { ConnectorError } from '../../errors';
import type { MobileMoneyConnectorDefinition } from '../../types';
import { AirtelMoneyConnector } from './client';
import {
  AIRTEL_MONEY_CONNECTOR_ID,
  AIRTEL_MONEY_COUNTRIES,
  type AirtelMoneyCountry,
  type AirtelMoneyCredentials,
} from './types';

export { AirtelMoneyConnector, type AirtelMoneyReverseCollectionInput } from './client';
export {
  airtelMoneyCallbackTokenMatches,
  checkAirtelMoneyCallbackHash,
  parseAirtelMoneyCallback,
  verifyAirtelMoneyCallback,
  type AirtelMoneyHashCheck,
} from './webhook';
export * from './types';

/** "is required" for a missing field, "must be a string" for a wrong type; never the value itself. */
const requiredString = (what: string) =>
  z
    .string({
      error: (issue) => (issue.input === undefined ? `is required (${what})` : `must be a string (${what})`),
    })
    .trim();

const countries = Object.keys(AIRTEL_MONEY_COUNTRIES) as [AirtelMoneyCountry, ...AirtelMoneyCountry[]];

const credentialsSchema = z.object({
  clientId: requiredString('OAuth2 client id').min(1, { error: 'must not be empty' }),
  clientSecret: requiredString('OAuth2 client secret').min(1, { error: 'must not be empty' }),
  country: requiredString('X-Country')
    .toUpperCase()
    .pipe(z.enum(countries, { error: `must be one of ${countries.join(', ')}` })),
  currency: requiredString('X-Currency')
    .toUpperCase()
    .refine(isKnownCurrency, { error: 'must be an ISO 4217 code Lipa supports' }),
  callbackHashKey: requiredString('Callback Authentication key')
    .min(1, { error: 'must not be empty when given' })
    .optional(),
});

/**
 * Validates an `AIRTEL_MONEY` source's credentials: `{ clientId, clientSecret, country, currency }` plus optional
 * `callbackHashKey`.
 * @throws ConnectorError AUTH_CONFIG_INVALID naming every bad field (values are never echoed).
 */
export function parseAirtelMoneyCredentials(raw: unknown): AirtelMoneyCredentials {
  const result = credentialsSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) =>
      issue.path.length === 0
        ? 'credentials: must be an object'
        : `${issue.path.map(String).join('.')}: ${issue.message}`,
    );
    throw new ConnectorError(
      AIRTEL_MONEY_CONNECTOR_ID,
      'AUTH_CONFIG_INVALID',
      `Invalid Airtel Money credentials: ${problems.join('; ')}`,
    );
  }
  const { callbackHashKey, ...required } = result.data;
  return callbackHashKey === undefined ? required : { ...required, callbackHashKey };
}

/** Registry entry for Airtel Money Africa (UG, KE, TZ and the other Airtel markets). */
export const airtelMoneyDefinition: MobileMoneyConnectorDefinition<AirtelMoneyCredentials> = {
  kind: 'AIRTEL_MONEY',
  id: AIRTEL_MONEY_CONNECTOR_ID,
  parseCredentials: parseAirtelMoneyCredentials,
  create: (config, runtime) => new AirtelMoneyConnector(config, runtime),
};
