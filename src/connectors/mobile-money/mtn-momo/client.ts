import { ConnectorError } from '../../errors';
import { ConnectorHttpClient, type ProviderResponse } from '../../http';
import { sharedTokenCache, type TokenCache } from '../../token-cache';
import type {
  CollectionStatus,
  CollectionStatusInput,
  ConnectorConfig,
  ConnectorRuntime,
  InitiateCollectionInput,
  InitiateCollectionOutput,
  MobileMoneyCapabilities,
  MobileMoneyConnector,
  RailEvent,
  RailStatus,
  ReverseCollectionInput,
  ReverseCollectionOutput,
  VerifiedCallback,
  VerifyCallbackInput,
} from '../../types';
import {
  fromMtnMomoRefundResult,
  fromMtnMomoRequestToPayResult,
  isUuidV4,
  mapMtnMomoError,
  mtnMomoCallbackUrl,
  readMtnMomoError,
  readMtnMomoToken,
  toMtnMomoRefund,
  toMtnMomoRequestToPay,
} from './transformers';
import {
  MTN_MOMO_CONNECTOR_ID as ID,
  MTN_MOMO_DEFAULT_BASE_URL,
  MTN_MOMO_TARGET_ENVIRONMENTS,
  type MtnMomoCredentials,
  type MtnMomoProduct,
  type MtnMomoProductCredentials,
} from './types';
import { parseMtnMomoCallback, verifyMtnMomoCallback } from './webhook';

/** 202 Accepted is MTN's success; 409 is read by the caller (a duplicate X-Reference-Id means "already accepted"). */
const ACCEPTED_OR_DUPLICATE = (status: number) => (status >= 200 && status < 300) || status === 409;

/**
 * MTN Mobile Money Open API connector: Collections request-to-pay, status query, unsigned callbacks, and refunds
 * through the Disbursement product. Stateless apart from the shared token cache.
 *
 * @see ./README.md for flows, status mapping and quirks.
 */
export class MtnMomoConnector implements MobileMoneyConnector {
  readonly kind = 'MTN_MOMO' as const;
  readonly capabilities: MobileMoneyCapabilities;

  private readonly baseUrl: string;
  private readonly credentials: MtnMomoCredentials;
  private readonly runtime: ConnectorRuntime;
  private readonly tokenCache: TokenCache;
  /** The currency of the target environment's wallets (EUR in the sandbox), or null when Lipa cannot handle it. */
  private readonly currency: string | null;
  /** Token calls: Basic auth, no bearer header. */
  private readonly tokenHttp: ConnectorHttpClient;
  private readonly collectionHttp: ConnectorHttpClient;
  private readonly disbursementHttp: ConnectorHttpClient | null;

  constructor(config: ConnectorConfig<MtnMomoCredentials>, runtime: ConnectorRuntime) {
    this.baseUrl = (config.baseUrl ?? MTN_MOMO_DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.credentials = config.credentials;
    this.runtime = runtime;
    this.tokenCache = runtime.tokenCache ?? sharedTokenCache;
    this.currency = MTN_MOMO_TARGET_ENVIRONMENTS[config.credentials.targetEnvironment] ?? null;
    this.capabilities = Object.freeze({
      currencies: Object.freeze(this.currency ? [this.currency] : []),
      push: true,
      payerInitiated: false,
      statusQuery: true,
      reversal: config.credentials.disbursement !== undefined,
      // The refund body carries an amount; MTN documents no rule against refunding part of a payment.
      partialReversal: config.credentials.disbursement !== undefined,
      signedCallbacks: false,
    });
    const common = { connector: ID, baseUrl: this.baseUrl, logger: runtime.logger, ...runtime.http };
    this.tokenHttp = new ConnectorHttpClient({ ...common, mapError: (r) => this.mapTokenError(r) });
    this.collectionHttp = this.productHttp('collection', config.credentials);
    this.disbursementHttp = config.credentials.disbursement
      ? this.productHttp('disbursement', config.credentials.disbursement)
      : null;
  }

  private productHttp(product: MtnMomoProduct, creds: MtnMomoProductCredentials): ConnectorHttpClient {
    return new ConnectorHttpClient({
      connector: ID,
      baseUrl: this.baseUrl,
      logger: this.runtime.logger,
      ...this.runtime.http,
      headers: async () => ({
        Authorization: `Bearer ${await this.accessToken(product, creds)}`,
        'Ocp-Apim-Subscription-Key': creds.subscriptionKey,
        'X-Target-Environment': this.credentials.targetEnvironment,
      }),
      // A 401 usually means the cached token was revoked or expired early: drop it and retry once.
      onUnauthorized: () => {
        this.tokenCache.invalidate(this.tokenKey(product, creds));
        return true;
      },
      mapError: mapMtnMomoError,
    });
  }

  private tokenKey(product: MtnMomoProduct, creds: MtnMomoProductCredentials): string {
    return `${ID}:${product}:${this.baseUrl}:${creds.apiUser}`;
  }

  private nowMs(): number {
    return (this.runtime.now?.() ?? new Date()).getTime();
  }

  /** One token per product and API user, cached until shortly before `expires_in` (MTN: do not mint per call). */
  private accessToken(product: MtnMomoProduct, creds: MtnMomoProductCredentials): Promise<string> {
    return this.tokenCache.get(this.tokenKey(product, creds), async () => {
      const response = await this.tokenHttp.request({
        method: 'POST',
        // Trailing slash as documented: `POST /collection/token/`.
        path: `/${product}/token/`,
        headers: {
          Authorization: `Basic ${Buffer.from(`${creds.apiUser}:${creds.apiKey}`, 'utf8').toString('base64')}`,
          'Ocp-Apim-Subscription-Key': creds.subscriptionKey,
        },
        // Minting a token changes nothing at MTN, so it is safe to retry.
        retryable: true,
        operation: `${product}Token`,
      });
      return readMtnMomoToken(response.data, this.nowMs());
    });
  }

  /** Token endpoint failures: 401/403 are bad credentials, never a reason to retry. */
  private mapTokenError(response: ProviderResponse): ConnectorError {
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      return new ConnectorError(
        ID,
        'AUTH_CONFIG_INVALID',
        `MTN MoMo rejected the API user or subscription key (${response.status})`,
        {
          httpStatus: response.status,
        },
      );
    }
    return mapMtnMomoError(response);
  }

  /**
   * Request-to-pay. `X-Reference-Id` is `input.idempotencyKey` (UUIDv4), reused on every retry; it becomes the
   * request's id, so it is returned as `providerRequestId`. A 409 RESOURCE_ALREADY_EXIST means an earlier attempt
   * with this key (a retry after a lost answer) was accepted: the result is PENDING like a 202, and the status
   * query tells the outcome.
   * @throws ConnectorError REQUEST_ENCODING_FAILED (key not a UUIDv4, bad amount or phone), CURRENCY_UNSUPPORTED,
   *   DECLINED, AUTH_CONFIG_INVALID, PROVIDER_UNAVAILABLE, OUTCOME_UNKNOWN (timeout: query the status).
   */
  async initiateCollection(input: InitiateCollectionInput): Promise<InitiateCollectionOutput> {
    const referenceId = input.idempotencyKey;
    if (!isUuidV4(referenceId)) {
      throw new ConnectorError(
        ID,
        'REQUEST_ENCODING_FAILED',
        'MTN MoMo needs a UUIDv4 idempotencyKey as X-Reference-Id',
      );
    }
    const body = toMtnMomoRequestToPay(input, this.currency);
    const response = await this.collectionHttp.request({
      method: 'POST',
      path: '/collection/v1_0/requesttopay',
      headers: { 'X-Callback-Url': mtnMomoCallbackUrl(input.callbackUrl, referenceId) },
      body,
      idempotencyKey: referenceId,
      idempotencyHeader: 'X-Reference-Id',
      acceptStatus: ACCEPTED_OR_DUPLICATE,
      operation: 'requestToPay',
    });
    this.requireAcceptedOrDuplicate(response, 'requestToPay', referenceId);
    return { providerRequestId: referenceId, status: 'PENDING' };
  }

  /** 409 is acceptance only when MTN says the reference already exists; any other 409 is an error. */
  private requireAcceptedOrDuplicate(
    response: ProviderResponse,
    operation: string,
    referenceId: string,
  ): void {
    if (response.status !== 409) return;
    const { code } = readMtnMomoError(response.data);
    if (code !== 'RESOURCE_ALREADY_EXIST') throw mapMtnMomoError(response);
    this.runtime.logger.info(
      { connector: ID, op: operation, referenceId },
      'MTN MoMo already has this X-Reference-Id; treating as accepted',
    );
  }

  /**
   * `GET /collection/v1_0/requesttopay/{X-Reference-Id}`. PENDING / SUCCESSFUL / FAILED; any other string is
   * PENDING. A FAILED answer is HTTP 200 too, so `status` decides.
   * @throws ConnectorError NOT_FOUND (404 RESOURCE_NOT_FOUND: the request-to-pay never produced a 202),
   *   RESPONSE_DECODING_FAILED, RATE_LIMITED (MTN caps status queries at 10 per second).
   */
  async getCollectionStatus(input: CollectionStatusInput): Promise<CollectionStatus> {
    const response = await this.collectionHttp.request({
      method: 'GET',
      path: `/collection/v1_0/requesttopay/${encodeURIComponent(input.providerRequestId)}`,
      operation: 'requestToPayStatus',
    });
    return fromMtnMomoRequestToPayResult(response.data);
  }

  /** @see verifyMtnMomoCallback */
  verifyCallback(input: VerifyCallbackInput): VerifiedCallback {
    return verifyMtnMomoCallback(input);
  }

  /** @see parseMtnMomoCallback */
  parseCallback(input: {
    rawBody: Buffer;
    headers: Record<string, string | string[] | undefined>;
    query: Record<string, string>;
  }): RailEvent[] {
    return parseMtnMomoCallback(input);
  }

  /**
   * Refund through the Disbursement product (`POST /disbursement/v1_0/refund`, its own token and subscription key),
   * with `X-Reference-Id` = `input.idempotencyKey`, which is the refund's id (`providerReversalId`). v1 takes no
   * callback URL, so the result comes from {@link getReversalStatus}.
   * @throws ConnectorError FLOW_NOT_SUPPORTED (no disbursement credentials), REQUEST_ENCODING_FAILED, DECLINED, ...
   */
  async reverseCollection(input: ReverseCollectionInput): Promise<ReverseCollectionOutput> {
    const http = this.requireDisbursement();
    const referenceId = input.idempotencyKey;
    if (!isUuidV4(referenceId)) {
      throw new ConnectorError(
        ID,
        'REQUEST_ENCODING_FAILED',
        'MTN MoMo needs a UUIDv4 idempotencyKey as X-Reference-Id',
      );
    }
    const body = toMtnMomoRefund(input, this.currency);
    const response = await http.request({
      method: 'POST',
      path: '/disbursement/v1_0/refund',
      body,
      idempotencyKey: referenceId,
      idempotencyHeader: 'X-Reference-Id',
      acceptStatus: ACCEPTED_OR_DUPLICATE,
      operation: 'refund',
    });
    this.requireAcceptedOrDuplicate(response, 'refund', referenceId);
    return { providerReversalId: referenceId, status: 'PENDING' };
  }

  /**
   * `GET /disbursement/v1_0/refund/{X-Reference-Id}` (covers v1 and v2 refunds).
   * @throws ConnectorError FLOW_NOT_SUPPORTED (no disbursement credentials), NOT_FOUND.
   */
  async getReversalStatus(input: {
    providerReversalId: string;
    reference: string;
  }): Promise<{ status: RailStatus; failureCode: string | null }> {
    const http = this.requireDisbursement();
    const response = await http.request({
      method: 'GET',
      path: `/disbursement/v1_0/refund/${encodeURIComponent(input.providerReversalId)}`,
      operation: 'refundStatus',
    });
    return fromMtnMomoRefundResult(response.data);
  }

  private requireDisbursement(): ConnectorHttpClient {
    if (!this.disbursementHttp) {
      throw new ConnectorError(
        ID,
        'FLOW_NOT_SUPPORTED',
        'MTN MoMo refunds need Disbursement credentials on this source',
      );
    }
    return this.disbursementHttp;
  }
}
