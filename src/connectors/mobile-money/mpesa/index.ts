/**
 * M-Pesa Daraja (Kenya) connector: STK push collections, C2B paybill/till confirmations, reversals, Transaction
 * Status lookups by receipt.
 * See README.md in this folder for flows, callback URLs and quirks.
 */
import { z } from 'zod';
import { ConnectorError } from '../../errors';
import type { MobileMoneyConnectorDefinition } from '../../types';
import { MPESA_SANDBOX_URL, MpesaConnector } from './client';
import { MPESA } from './transformers';
import type { MpesaCredentials } from './types';

export { MPESA_SANDBOX_URL, MpesaConnector } from './client';
export {
  buildMpesaCallbackUrls,
  callbackTokenMatches,
  decodeMpesaCallback,
  parseMpesaCallback,
  verifyMpesaCallback,
  withResultKind,
} from './webhook';
export { classifyResult as classifyMpesaResult, darajaTimestamp, stkPassword } from './transformers';
export type * from './types';

const required = (what: string) =>
  z
    .string({ error: `${what} is required` })
    .trim()
    .min(1, `${what} is required`);
const digits = (what: string, min: number, max: number) =>
  z
    .string({ error: `${what} is required` })
    .trim()
    .regex(new RegExp(`^\\d{${min},${max}}$`), `${what} must be ${min} to ${max} digits`);

const credentialsSchema = z.object({
  consumerKey: required('consumerKey'),
  consumerSecret: required('consumerSecret'),
  shortCode: digits('shortCode', 5, 7),
  passkey: required('passkey'),
  initiatorName: required('initiatorName'),
  securityCredential: required('securityCredential'),
  tillNumber: digits('tillNumber', 5, 8).optional(),
  transactionType: z
    .enum(['CustomerPayBillOnline', 'CustomerBuyGoodsOnline'], {
      error: 'transactionType must be CustomerPayBillOnline or CustomerBuyGoodsOnline',
    })
    .optional(),
  registerUrlVersion: z.enum(['v1', 'v2'], { error: 'registerUrlVersion must be v1 or v2' }).optional(),
});

/** Cross-field rule, checked alongside the field rules so one error lists every problem. */
function tillProblem(raw: Record<string, unknown>): string | null {
  const tillMissing = raw.tillNumber === undefined || raw.tillNumber === null || raw.tillNumber === '';
  return raw.transactionType === 'CustomerBuyGoodsOnline' && tillMissing
    ? 'tillNumber is required when transactionType is CustomerBuyGoodsOnline'
    : null;
}

/**
 * Validates MPESA credentials.
 * @throws ConnectorError AUTH_CONFIG_INVALID naming every missing or malformed field (values are never echoed).
 * @example parseMpesaCredentials({ consumerKey, consumerSecret, shortCode: '174379', passkey, initiatorName, securityCredential })
 */
export function parseMpesaCredentials(raw: unknown): MpesaCredentials {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConnectorError(MPESA, 'AUTH_CONFIG_INVALID', 'M-Pesa credentials must be a JSON object', {
      retryable: false,
    });
  }
  const parsed = credentialsSchema.safeParse(raw);
  const till = tillProblem(raw as Record<string, unknown>);
  if (parsed.success && till === null) {
    const v = parsed.data;
    return Object.freeze({
      consumerKey: v.consumerKey,
      consumerSecret: v.consumerSecret,
      shortCode: v.shortCode,
      passkey: v.passkey,
      initiatorName: v.initiatorName,
      securityCredential: v.securityCredential,
      ...(v.tillNumber !== undefined ? { tillNumber: v.tillNumber } : {}),
      ...(v.transactionType !== undefined ? { transactionType: v.transactionType } : {}),
      ...(v.registerUrlVersion !== undefined ? { registerUrlVersion: v.registerUrlVersion } : {}),
    });
  }
  // Our own messages only (they name fields, never values); one per field.
  const problems = new Map<string, string>();
  for (const issue of parsed.error?.issues ?? []) {
    const field = issue.path.map(String).join('.') || 'credentials';
    if (!problems.has(field)) problems.set(field, issue.message);
  }
  if (till !== null && !problems.has('tillNumber')) problems.set('tillNumber', till);
  throw new ConnectorError(
    MPESA,
    'AUTH_CONFIG_INVALID',
    `M-Pesa credentials are invalid: ${[...problems.values()].join('; ')}`,
    {
      retryable: false,
    },
  );
}

/** Registry entry for `RailKind` MPESA. `baseUrl` null means the Daraja sandbox. */
export const mpesaDefinition: MobileMoneyConnectorDefinition<MpesaCredentials> = {
  kind: 'MPESA',
  id: MPESA,
  parseCredentials: parseMpesaCredentials,
  create: (config, runtime) =>
    new MpesaConnector(
      config.credentials,
      (config.baseUrl ?? MPESA_SANDBOX_URL).replace(/\/+$/, ''),
      runtime,
    ),
};
