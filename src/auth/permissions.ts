import type { Role } from '../domain/enums';

/**
 * Who may do what, in one table (CONTRACT.md "Roles"). Resolvers reference these lists in `@Authorized(...)`;
 * the auth matrix test walks this table.
 */
export const PERMISSIONS = {
  me: ['ADMIN', 'FINANCE', 'SUPERVISOR', 'AGENT', 'PARTNER'],
  readSources: ['ADMIN', 'FINANCE', 'SUPERVISOR'],
  manageSources: ['ADMIN'],
  manageApiKeys: ['ADMIN'],
  syncLoans: ['ADMIN', 'SUPERVISOR'],
  readLoans: ['ADMIN', 'FINANCE', 'SUPERVISOR', 'AGENT'],
  readPayments: ['ADMIN', 'FINANCE', 'SUPERVISOR', 'AGENT', 'PARTNER'],
  requestPayment: ['ADMIN', 'SUPERVISOR', 'AGENT'],
  recordPromises: ['ADMIN', 'SUPERVISOR', 'AGENT'],
  reversePayment: ['ADMIN', 'FINANCE'],
  reconcile: ['ADMIN', 'FINANCE'],
  readDiscrepancies: ['ADMIN', 'FINANCE', 'SUPERVISOR', 'AGENT'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;
