/**
 * Configuration types for the Apache Fineract (Mifos X) lending connector. Wire types live in `transformers.ts`.
 *
 * @see https://fineract.apache.org/docs/current/
 * @see https://github.com/apache/fineract (facts read at commit 4198b0bc, shared/reference/lending.md A1)
 */

/** Lower-case connector id used in logs and {@link ConnectorError.connector}. */
export const FINERACT_CONNECTOR_ID = 'fineract';

/** Fineract's own default page size (`SearchParameters.DEFAULT_MAX_LIMIT`). */
export const FINERACT_DEFAULT_PAGE_SIZE = 200;

/**
 * Lipa's cap on one list page. Fineract itself has no maximum (`limit<=0` means unlimited), but a page of 1,000
 * loans with summaries is already ~1.5 MB of JSON; larger pages only make a retry more expensive.
 */
export const FINERACT_MAX_PAGE_SIZE = 1000;

/** Payment-detail strings (`receiptNumber`, `accountNumber`, ...) are at most 50 characters (LoanTransactionValidator). */
export const FINERACT_PAYMENT_DETAIL_MAX = 50;
/** `note` is at most 1000 characters. */
export const FINERACT_NOTE_MAX = 1000;
/** `externalId` / `reversalExternalId` columns are varchar(100). */
export const FINERACT_EXTERNAL_ID_MAX = 100;

/** What a `FINERACT` lending source stores (encrypted at rest by the service). */
export interface FineractCredentials {
  /** Fineract user with API access (HTTP Basic). */
  username: string;
  /** That user's password (secret). */
  password: string;
  /** Tenant identifier sent as `Fineract-Platform-TenantId` ("default" on demo servers). */
  tenantId: string;
  /**
   * Lipa rail name -> Fineract payment type id (`GET /paymenttypes`), e.g. `{ "MTN_MOMO": 3, "MPESA": 4 }`.
   * Repayments from a channel without an entry are posted without `paymentTypeId` (Fineract then books them
   * without payment details).
   */
  paymentTypeIds?: Record<string, number>;
  /**
   * IANA time zone of the tenant (e.g. "Africa/Kampala"), used to turn a payment instant into Fineract's
   * `transactionDate` (a local date). Defaults to UTC.
   */
  timeZone?: string;
}
