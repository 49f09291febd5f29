/**
 * Configuration types for the Airtel Money Africa connector (collections by USSD push, enquiry, refund).
 * Wire types live in `transformers.ts`.
 *
 * @see https://developers.airtel.africa/documentation
 */

/** Lower-case connector id used in logs and {@link ConnectorError.connector}. */
export const AIRTEL_MONEY_CONNECTOR_ID = 'airtel-money';

/** Airtel's UAT host; production is `https://openapi.airtel.africa` (rails.md section 3), set per source. */
export const AIRTEL_MONEY_DEFAULT_BASE_URL = 'https://openapiuat.airtel.africa';

/**
 * Airtel Africa markets (`X-Country`) with their international calling code. Airtel wants the MSISDN *without*
 * the country code ("Do not send country code in msisdn"), so the connector strips it from Lipa's E.164 digits.
 */
export const AIRTEL_MONEY_COUNTRIES = {
  UG: '256',
  KE: '254',
  TZ: '255',
  RW: '250',
  ZM: '260',
  MW: '265',
  CD: '243',
  CG: '242',
  GA: '241',
  TD: '235',
  NE: '227',
  MG: '261',
  SC: '248',
  NG: '234',
} as const satisfies Record<string, string>;

export type AirtelMoneyCountry = keyof typeof AIRTEL_MONEY_COUNTRIES;

/** What an `AIRTEL_MONEY` payment source stores (encrypted at rest by the service). */
export interface AirtelMoneyCredentials {
  /** OAuth2 client id of the Airtel app. */
  clientId: string;
  /** OAuth2 client secret (secret). */
  clientSecret: string;
  /** `X-Country` of every call and the subscriber's country ("UG"). */
  country: AirtelMoneyCountry;
  /** `X-Currency` of every call ("UGX"); the only currency this source collects. */
  currency: string;
  /**
   * The app's "Callback Authentication" private key, when enabled. Which bytes Airtel signs is not publicly
   * specified, so the `hash` it adds is checked for information only; the URL token stays the authority.
   */
  callbackHashKey?: string;
}
