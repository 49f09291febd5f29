/**
 * Configuration types for the MTN Mobile Money Open API connector (Collections, with refunds through the
 * Disbursement product). Wire types live in `transformers.ts`.
 *
 * @see https://momodeveloper.mtn.com/api-documentation
 */

/** Lower-case connector id used in logs and {@link ConnectorError.connector}. */
export const MTN_MOMO_CONNECTOR_ID = 'mtn-momo';

/** MTN's sandbox host; production is `https://proxy.momoapi.mtn.com` (rails.md section 2), set per source. */
export const MTN_MOMO_DEFAULT_BASE_URL = 'https://sandbox.momodeveloper.mtn.com';

/**
 * `X-Target-Environment` values: `sandbox` plus the production markets of MTN's official JavaScript SDK
 * (`MTN-Group/MoMoAPIs_Javascript_sdk`), each with the currency its wallets hold. The sandbox accepts only EUR
 * ("Other currencies fail with INVALID_CURRENCY", rails.md 2.3). Currencies Lipa does not know yet
 * (SZL, GNF, LRD) are listed as null: such a source can be registered but cannot collect until Lipa knows them.
 */
export const MTN_MOMO_TARGET_ENVIRONMENTS = {
  sandbox: 'EUR',
  mtnuganda: 'UGX',
  mtnghana: 'GHS',
  mtnivorycoast: 'XOF',
  mtnzambia: 'ZMW',
  mtncameroon: 'XAF',
  mtnbenin: 'XOF',
  mtncongo: 'XAF',
  mtnswaziland: null,
  mtnguineaconakry: null,
  mtnsouthafrica: 'ZAR',
  mtnliberia: null,
} as const satisfies Record<string, string | null>;

export type MtnMomoTargetEnvironment = keyof typeof MTN_MOMO_TARGET_ENVIRONMENTS;

/** One MoMo product's API user. Collection and Disbursement have different users, keys and tokens. */
export interface MtnMomoProductCredentials {
  /** API user id (a UUID: the `X-Reference-Id` it was created with, or the one the partner portal issued). */
  apiUser: string;
  /** API key of that user (secret). */
  apiKey: string;
  /** The product's `Ocp-Apim-Subscription-Key` (primary or secondary). */
  subscriptionKey: string;
}

/** What a `MTN_MOMO` payment source stores (encrypted at rest by the service). */
export interface MtnMomoCredentials extends MtnMomoProductCredentials {
  /** `sandbox` or a production market such as `mtnuganda`. */
  targetEnvironment: MtnMomoTargetEnvironment;
  /**
   * Disbursement product credentials. Refunds are Disbursement calls (`POST /disbursement/v1_0/refund`) paid from
   * the disbursement account, so without them {@link MobileMoneyConnector.reverseCollection} is FLOW_NOT_SUPPORTED.
   */
  disbursement?: MtnMomoProductCredentials;
}

/** The two MoMo products this connector calls; each has its own token endpoint and subscription key. */
export type MtnMomoProduct = 'collection' | 'disbursement';
