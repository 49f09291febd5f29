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
import type { Money } from '../../../domain/money';
import {
  encodeAirtelMoneyPaymentRequest,
  fromAirtelMoneyEnquiry,
  isAirtelMoneyTransactionId,
  mapAirtelMoneyError,
  readAirtelMoneyPaymentResponse,
  readAirtelMoneyRefundResponse,
  readAirtelMoneyToken,
  type AirtelMoneyRefundRequest,
  type AirtelMoneyTokenRequest,
} from './transformers';
import {
  AIRTEL_MONEY_CONNECTOR_ID as ID,
  AIRTEL_MONEY_DEFAULT_BASE_URL,
  type AirtelMoneyCredentials,
} from './types';
import { parseAirtelMoneyCallback, verifyAirtelMoneyCallback } from './webhook';

/**
 * {@link ReverseCollectionInput} plus the original payment's amount. Airtel refunds whole transactions only, and
 * the connector cannot look the original amount up (the enquiry has none), so a caller that passes
 * `originalAmount` lets the connector refuse a partial refund instead of silently refunding everything.
 */
export type AirtelMoneyReverseCollectionInput = ReverseCollectionInput & { originalAmount?: Money | null };

/**
 * Airtel Money Africa connector: USSD-push collection, enquiry, unsigned (URL-token) callbacks, full refunds.
 * Stateless apart from the shared token cache.
 *
 * @see ./README.md for flows, status mapping and thin areas.
 */
export class AirtelMoneyConnector implements MobileMoneyConnector {
  readonly kind = 'AIRTEL_MONEY' as const;
  readonly capabilities: MobileMoneyCapabilities;

  private readonly baseUrl: string;
  private readonly credentials: AirtelMoneyCredentials;
  private readonly runtime: ConnectorRuntime;
  private readonly tokenCache: TokenCache;
  private readonly tokenHttp: ConnectorHttpClient;
  private readonly http: ConnectorHttpClient;

  constructor(config: ConnectorConfig<AirtelMoneyCredentials>, runtime: ConnectorRuntime) {
    this.baseUrl = (config.baseUrl ?? AIRTEL_MONEY_DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.credentials = config.credentials;
    this.runtime = runtime;
    this.tokenCache = runtime.tokenCache ?? sharedTokenCache;
    this.capabilities = Object.freeze({
      currencies: Object.freeze([config.credentials.currency]),
      push: true,
      payerInitiated: false,
      statusQuery: true,
      reversal: true,
      // "Full refund only; no partial refunds are documented" (rails.md 3.5).
      partialReversal: false,
      signedCallbacks: false,
    });
    const common = { connector: ID, baseUrl: this.baseUrl, logger: runtime.logger, ...runtime.http };
    this.tokenHttp = new ConnectorHttpClient({ ...common, mapError: (r) => this.mapTokenError(r) });
    this.http = new ConnectorHttpClient({
      ...common,
      headers: async () => ({
        Authorization: `Bearer ${await this.accessToken()}`,
        'X-Country': this.credentials.country,
        'X-Currency': this.credentials.currency,
      }),
      // Airtel tokens live 180 s in the docs sample; a 401 drops the cached token and retries once.
      onUnauthorized: () => {
        this.tokenCache.invalidate(this.tokenKey());
        return true;
      },
      mapError: mapAirtelMoneyError,
    });
  }

  private tokenKey(): string {
    return `${ID}:${this.baseUrl}:${this.credentials.clientId}`;
  }

  private nowMs(): number {
    return (this.runtime.now?.() ?? new Date()).getTime();
  }

  private accessToken(): Promise<string> {
    return this.tokenCache.get(this.tokenKey(), async () => {
      const body: AirtelMoneyTokenRequest = {
        client_id: this.credentials.clientId,
        client_secret: this.credentials.clientSecret,
        grant_type: 'client_credentials',
      };
      // JSON body, not form-encoded (rails.md 3.1). Minting a token is safe to retry.
      const response = await this.tokenHttp.request({
        method: 'POST',
        path: '/auth/oauth2/token',
        body,
        retryable: true,
        operation: 'token',
      });
      return readAirtelMoneyToken(response.data, this.nowMs());
    });
  }

  /** Token endpoint: 400/401/403 are bad client credentials, never a reason to retry. */
  private mapTokenError(response: ProviderResponse): ConnectorError {
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      return new ConnectorError(
        ID,
        'AUTH_CONFIG_INVALID',
        `Airtel rejected the client credentials (${response.status})`,
        { httpStatus: response.status },
      );
    }
    return mapAirtelMoneyError(response);
  }

  /**
   * USSD push: `POST /merchant/v1/payments/` with `transaction.id` = `input.reference` (Airtel's dedupe key, reused
   * on retries; the enquiry and the callback name the payment by it), the amount as a JSON number in major units
   * and the MSISDN without country code. Accepted means PENDING; the final state comes by callback or enquiry.
   * @throws ConnectorError DECLINED (Airtel's code in `providerCode`), CURRENCY_UNSUPPORTED, REQUEST_ENCODING_FAILED,
   *   AUTH_CONFIG_INVALID, PROVIDER_UNAVAILABLE, OUTCOME_UNKNOWN (timeout or unreadable answer: query the status).
   */
  async initiateCollection(input: InitiateCollectionInput): Promise<InitiateCollectionOutput> {
    const { json, transactionId } = encodeAirtelMoneyPaymentRequest(input, this.credentials);
    const response = await this.http.request({
      method: 'POST',
      path: '/merchant/v1/payments/',
      body: json,
      // Airtel has no idempotency header; the key only makes the call retryable. A retry resends the same
      // transaction.id, so Airtel sees the same transaction, not a new one.
      idempotencyKey: input.idempotencyKey,
      idempotencyHeader: null,
      operation: 'collect',
    });
    return { providerRequestId: transactionId, status: readAirtelMoneyPaymentResponse(response.data) };
  }

  /**
   * `GET /standard/v1/payments/{transaction.id}`: TS succeeded; TF, TE failed; TA, TIP and anything unknown pending.
   * `amount` is always null (the enquiry carries none).
   * @throws ConnectorError NOT_FOUND (DP00800001025 or 404), RESPONSE_DECODING_FAILED.
   */
  async getCollectionStatus(input: CollectionStatusInput): Promise<CollectionStatus> {
    const response = await this.http.request({
      method: 'GET',
      path: `/standard/v1/payments/${encodeURIComponent(input.providerRequestId)}`,
      operation: 'enquiry',
    });
    return fromAirtelMoneyEnquiry(response.data);
  }

  /** @see verifyAirtelMoneyCallback */
  verifyCallback(input: VerifyCallbackInput): VerifiedCallback {
    return verifyAirtelMoneyCallback(input, {
      callbackHashKey: this.credentials.callbackHashKey,
      logger: this.runtime.logger,
    });
  }

  /** @see parseAirtelMoneyCallback */
  parseCallback(input: {
    rawBody: Buffer;
    headers: Record<string, string | string[] | undefined>;
    query: Record<string, string>;
  }): RailEvent[] {
    return parseAirtelMoneyCallback(input);
  }

  /**
   * Full refund by Airtel transaction id: `POST /standard/v1/payments/refund` `{transaction:{airtel_money_id}}`.
   * Airtel takes no amount, so a partial refund cannot be expressed: when `originalAmount` is given and differs
   * from `amount`, the call is refused. The result stays PENDING (see {@link getReversalStatus}).
   * @throws ConnectorError FLOW_NOT_SUPPORTED (partial amount), CURRENCY_UNSUPPORTED, REQUEST_ENCODING_FAILED,
   *   DECLINED, OUTCOME_UNKNOWN.
   */
  async reverseCollection(input: AirtelMoneyReverseCollectionInput): Promise<ReverseCollectionOutput> {
    if (input.amount.currency !== this.credentials.currency) {
      throw new ConnectorError(
        ID,
        'CURRENCY_UNSUPPORTED',
        `This Airtel Money source refunds ${this.credentials.currency}, not ${input.amount.currency}`,
      );
    }
    const original = input.originalAmount ?? null;
    if (
      input.amount.amountMinor <= 0n ||
      (original !== null &&
        (original.currency !== input.amount.currency || original.amountMinor !== input.amount.amountMinor))
    ) {
      throw new ConnectorError(
        ID,
        'FLOW_NOT_SUPPORTED',
        'Airtel Money refunds whole transactions only; partial refunds are not supported',
      );
    }
    if (!isAirtelMoneyTransactionId(input.providerTransactionId)) {
      throw new ConnectorError(
        ID,
        'REQUEST_ENCODING_FAILED',
        'An Airtel refund needs the airtel_money_id of the original payment',
      );
    }
    const body: AirtelMoneyRefundRequest = { transaction: { airtel_money_id: input.providerTransactionId } };
    const response = await this.http.request({
      method: 'POST',
      path: '/standard/v1/payments/refund',
      body,
      // No idempotency header exists; a retry names the same airtel_money_id, which can be refunded only once.
      idempotencyKey: input.idempotencyKey,
      idempotencyHeader: null,
      operation: 'refund',
    });
    const { providerReversalId } = readAirtelMoneyRefundResponse(response.data, input.providerTransactionId);
    return { providerReversalId, status: 'PENDING' };
  }

  /**
   * Airtel documents no refund status query (the payment enquiry does not say whether a payment was refunded), so
   * refunds are settled from the merchant portal's statement.
   * @throws ConnectorError FLOW_NOT_SUPPORTED always.
   */
  async getReversalStatus(_input: {
    providerReversalId: string;
    reference: string;
  }): Promise<{ status: RailStatus; failureCode: string | null }> {
    throw new ConnectorError(ID, 'FLOW_NOT_SUPPORTED', 'Airtel Money has no documented refund status query');
  }
}
