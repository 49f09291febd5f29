/**
 * Configuration types for the Mambu (API v2) lending connector. Wire types live in `transformers.ts`.
 *
 * @see https://docs.mambu.com/api/api-v2/
 * @see shared/reference/lending.md A2
 */

/** Lower-case connector id used in logs and {@link ConnectorError.connector}. */
export const MAMBU_CONNECTOR_ID = 'mambu';

/** Selects API v2 (without it Mambu answers v1 shapes). */
export const MAMBU_V2_ACCEPT = 'application/vnd.mambu.v2+json';

/** Mambu recommends batches of at most 100 records; the documented hard limit is 1,000. */
export const MAMBU_DEFAULT_PAGE_SIZE = 100;
export const MAMBU_MAX_PAGE_SIZE = 1000;

/** `notes` on repayments and adjustments is at most 255 characters. */
export const MAMBU_NOTES_MAX = 255;

interface MambuCommonCredentials {
  /**
   * Currency used when a loan account does not say its own (`currencyCode` is absent from older v2 schemas).
   * Without it such a loan is reported as a read failure.
   */
  defaultCurrency?: string;
  /**
   * Lipa rail name -> Mambu transaction channel id (`transactionDetails.transactionChannelId`), e.g.
   * `{ "MTN_MOMO": "MTN_MOMO" }`. Tenants that require a channel refuse repayments from an unmapped rail.
   */
  transactionChannelIds?: Record<string, string>;
}

/** API-consumer key (recommended by Mambu), sent as the `apiKey` header. */
export interface MambuApiKeyCredentials extends MambuCommonCredentials {
  apiKey: string;
}

/** A Mambu user with API rights (HTTP Basic). */
export interface MambuBasicCredentials extends MambuCommonCredentials {
  username: string;
  password: string;
}

/** What a `MAMBU` lending source stores (encrypted at rest by the service): an API key or user + password. */
export type MambuCredentials = MambuApiKeyCredentials | MambuBasicCredentials;
