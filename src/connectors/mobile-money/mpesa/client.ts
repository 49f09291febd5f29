/**
 * The M-Pesa Daraja connector: OAuth token handling, STK push and query, reversal, Transaction Status and C2B URL
 * registration over one {@link ConnectorHttpClient}. Wire shapes and mappings are in `transformers.ts`; callbacks
 * in `webhook.ts`. Docs: https://developer.safaricom.co.ke/apis (summary: shared/reference/rails.md section 1).
 */
import { ConnectorError } from '../../errors';
import { ConnectorHttpClient, type ConnectorRequest, type ProviderResponse } from '../../http';
import { sharedTokenCache, type CachedToken, type TokenCache } from '../../token-cache';
import type {
  CollectionStatus,
  CollectionStatusInput,
  ConnectorRuntime,
  InitiateCollectionInput,
  InitiateCollectionOutput,
  MobileMoneyCapabilities,
  MobileMoneyConnector,
  RailEvent,
  RailKind,
  RailStatus,
  ReverseCollectionInput,
  ReverseCollectionOutput,
  VerifiedCallback,
  VerifyCallbackInput,
} from '../../types';
import type { Logger } from '../../../logger';
import {
  DARAJA_ERROR,
  MPESA,
  MPESA_CURRENCY,
  buildReversalRequest,
  buildStkPushRequest,
  buildStkQueryRequest,
  buildTransactionStatusRequest,
  darajaMsisdn,
  darajaTimestamp,
  isStkStillProcessing,
  mapDarajaError,
  mapStkQueryResponse,
  readAsyncAcknowledgement,
  readRegisterUrlResponse,
  readStkPushResponse,
  readTokenResponse,
  toDarajaAmount,
  type MpesaRegisterUrlRequest,
} from './transformers';
import type {
  MpesaCredentials,
  QueryTransactionStatusInput,
  QueryTransactionStatusOutput,
  RegisterC2bUrlsInput,
  RegisterC2bUrlsOutput,
} from './types';
import { parseMpesaCallback, verifyMpesaCallback, withResultKind } from './webhook';

/** Daraja sandbox; production is https://api.safaricom.co.ke (set `baseUrl` on the source). */
export const MPESA_SANDBOX_URL = 'https://sandbox.safaricom.co.ke';

const PATHS = Object.freeze({
  oauth: '/oauth/v1/generate',
  stkPush: '/mpesa/stkpush/v1/processrequest',
  stkQuery: '/mpesa/stkpushquery/v1/query',
  reversal: '/mpesa/reversal/v1/request',
  transactionStatus: '/mpesa/transactionstatus/v1/query',
  registerUrl: (version: 'v1' | 'v2') => `/mpesa/c2b/${version}/registerurl`,
});

const sleep = (ms: number) =>
  ms <= 0 ? Promise.resolve() : new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * True when Daraja provably refused a write before M-Pesa processed it, so sending it again cannot double it:
 * the gateway's rate limits (429, spike arrest 500.003.02) and a 503 without a Daraja error body (the gateway had no
 * backend). Quota violations (500.003.03) are not retried here: seconds will not help; the caller retries later.
 */
function refusedBeforeProcessing(err: ConnectorError): boolean {
  if (err.code === 'RATE_LIMITED') return err.providerCode !== DARAJA_ERROR.quotaViolation;
  return err.code === 'PROVIDER_UNAVAILABLE' && err.httpStatus === 503 && err.providerCode === undefined;
}

/**
 * A 500/502/504 without a Daraja error body can come after M-Pesa acted on the request (the gateway lost the
 * backend's answer): for a write that is "outcome unknown", not "try again".
 */
function mayHaveBeenProcessed(err: ConnectorError): boolean {
  return (
    err.code === 'PROVIDER_UNAVAILABLE' &&
    err.providerCode === undefined &&
    (err.httpStatus === 500 || err.httpStatus === 502 || err.httpStatus === 504)
  );
}

/**
 * One connector per payment source. Stateless apart from the shared token cache; safe to build per call.
 */
export class MpesaConnector implements MobileMoneyConnector {
  readonly kind: RailKind = 'MPESA';

  readonly capabilities: MobileMoneyCapabilities = Object.freeze({
    currencies: Object.freeze([MPESA_CURRENCY]),
    push: true,
    payerInitiated: true,
    statusQuery: true,
    reversal: true,
    // Daraja reverses a transaction, not part of it.
    partialReversal: false,
    signedCallbacks: false,
  });

  private readonly http: ConnectorHttpClient;
  private readonly authHttp: ConnectorHttpClient;
  private readonly tokens: TokenCache;
  private readonly tokenKey: string;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly credentials: MpesaCredentials,
    baseUrl: string,
    runtime: ConnectorRuntime,
  ) {
    this.logger = runtime.logger;
    this.now = runtime.now ?? (() => new Date());
    this.tokens = runtime.tokenCache ?? sharedTokenCache;
    // One token per Daraja app and host: Daraja invalidates an app's previous token when it issues a new one.
    this.tokenKey = `mpesa|${baseUrl}|${credentials.consumerKey}`;
    this.maxRetries = runtime.http?.maxRetries ?? 3;
    this.baseDelayMs = runtime.http?.baseDelayMs ?? 250;
    this.maxDelayMs = runtime.http?.maxDelayMs ?? 5_000;
    const common = { connector: MPESA, baseUrl, logger: runtime.logger, ...runtime.http };
    this.authHttp = new ConnectorHttpClient({
      ...common,
      // A refused token request is a configuration problem (wrong key/secret), whatever status Daraja picks.
      mapError: (response) => {
        const mapped = mapDarajaError(response);
        return response.status >= 400 && response.status < 500 && mapped.code !== 'RATE_LIMITED'
          ? new ConnectorError(MPESA, 'AUTH_CONFIG_INVALID', 'M-Pesa rejected the consumer key or secret', {
              httpStatus: response.status,
              providerCode: mapped.providerCode,
              providerMessage: mapped.providerMessage,
              providerRequestId: mapped.providerRequestId,
            })
          : mapped;
      },
    });
    this.http = new ConnectorHttpClient({
      ...common,
      headers: async () => ({ Authorization: `Bearer ${await this.accessToken()}` }),
      mapError: mapDarajaError,
      // A 401 usually means the token was revoked early (a newer one was minted elsewhere): drop it, retry once.
      onUnauthorized: () => {
        this.tokens.invalidate(this.tokenKey);
        return true;
      },
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Flows
  // -------------------------------------------------------------------------------------------------------------

  /**
   * STK push (Lipa na M-Pesa Online): a PIN prompt on the payer's phone. Returns PENDING with the
   * CheckoutRequestID; the result arrives at `callbackUrl` (use `buildMpesaCallbackUrls(...).stkCallbackUrl`).
   *
   * Daraja has no idempotency key, and a second push is a second prompt (a possible double payment). So the push
   * is resent only when Daraja provably refused it before processing (503 without a Daraja body, 429, spike
   * arrest); a timeout, a network error or a 500/502/504 without a Daraja body is OUTCOME_UNKNOWN and is never
   * resent here. Callers must not resend after OUTCOME_UNKNOWN either: wait for the callback or let the request expire.
   * @throws ConnectorError CURRENCY_UNSUPPORTED (not KES), REQUEST_ENCODING_FAILED (cents, bad phone), DECLINED
   *   (400.002.02 etc.), RATE_LIMITED (500.003.02/03), PROVIDER_UNAVAILABLE ("Unable to lock subscriber": a prompt
   *   is already open on that phone), OUTCOME_UNKNOWN, AUTH_CONFIG_INVALID.
   * @example await mpesa.initiateCollection({ reference, idempotencyKey, amount: money(50000n, 'KES'),
   *   phoneNumber: '254708374149', accountReference: 'LN-2024-000187', description: 'Loan repayment', callbackUrl })
   */
  async initiateCollection(input: InitiateCollectionInput): Promise<InitiateCollectionOutput> {
    const amount = toDarajaAmount(input.amount);
    const msisdn = darajaMsisdn(input.phoneNumber);
    const till = this.credentials.transactionType === 'CustomerBuyGoodsOnline';
    const body = buildStkPushRequest({
      shortCode: this.credentials.shortCode,
      passkey: this.credentials.passkey,
      // For a till, BusinessShortCode is the store/head-office number and PartyB the till (MpesaExpressSimulate docs).
      partyB: till && this.credentials.tillNumber ? this.credentials.tillNumber : this.credentials.shortCode,
      transactionType: this.credentials.transactionType ?? 'CustomerPayBillOnline',
      timestamp: darajaTimestamp(this.now()),
      amount,
      msisdn,
      callbackUrl: input.callbackUrl,
      accountReference: input.accountReference,
      description: input.description,
    });
    const response = await this.sendWrite({
      method: 'POST',
      path: PATHS.stkPush,
      body,
      operation: 'stkPush',
    });
    const accepted = readStkPushResponse(response.data);
    return { providerRequestId: accepted.checkoutRequestId, status: 'PENDING' };
  }

  /**
   * STK query by CheckoutRequestID. `ResultCode` "0" is SUCCEEDED, known failure codes FAILED, and both the
   * "transaction is being processed" error and undocumented codes PENDING. The query carries no receipt, so
   * `providerTransactionId` is null: the receipt comes from the STK callback (or a Transaction Status/Pull lookup).
   * @throws ConnectorError NOT_FOUND (unknown CheckoutRequestID), RATE_LIMITED, PROVIDER_UNAVAILABLE, AUTH_CONFIG_INVALID
   */
  async getCollectionStatus(input: CollectionStatusInput): Promise<CollectionStatus> {
    const timestamp = darajaTimestamp(this.now());
    const body = buildStkQueryRequest(
      this.credentials.shortCode,
      this.credentials.passkey,
      timestamp,
      input.providerRequestId,
    );
    let response: ProviderResponse;
    try {
      // A query changes nothing, so it is retried on any transient failure.
      response = await this.send({
        method: 'POST',
        path: PATHS.stkQuery,
        body,
        operation: 'stkQuery',
        retryable: true,
        idempotencyHeader: null,
      });
    } catch (err) {
      if (err instanceof ConnectorError && isStkStillProcessing(err)) {
        return {
          status: 'PENDING',
          providerTransactionId: null,
          amount: null,
          failureCode: null,
          failureMessage: null,
        };
      }
      // The HTTP client calls a failed POST "outcome unknown"; for a read that is plain unavailability.
      if (err instanceof ConnectorError && err.code === 'OUTCOME_UNKNOWN') {
        throw new ConnectorError(MPESA, 'PROVIDER_UNAVAILABLE', 'M-Pesa did not answer the STK query', {
          cause: err,
        });
      }
      throw err;
    }
    return mapStkQueryResponse(response.data);
  }

  /**
   * Reversal of a C2B or STK payment by its M-Pesa receipt. Daraja acknowledges at once and posts the result to
   * `resultUrl` (also used as QueueTimeOutURL); this returns PENDING with the ConversationID as `providerReversalId`.
   * Sent once, like the STK push. Calling again after OUTCOME_UNKNOWN is safe: M-Pesa reverses a transaction only
   * once and answers a repeat with R000001 ("already reversed"), which the result parser reads as SUCCEEDED.
   * @throws ConnectorError CURRENCY_UNSUPPORTED, REQUEST_ENCODING_FAILED, DECLINED, RATE_LIMITED,
   *   PROVIDER_UNAVAILABLE, OUTCOME_UNKNOWN, AUTH_CONFIG_INVALID
   */
  async reverseCollection(input: ReverseCollectionInput): Promise<ReverseCollectionOutput> {
    const till = this.credentials.transactionType === 'CustomerBuyGoodsOnline';
    const body = buildReversalRequest({
      initiator: this.credentials.initiatorName,
      securityCredential: this.credentials.securityCredential,
      transactionId: input.providerTransactionId,
      amount: toDarajaAmount(input.amount),
      receiverParty:
        till && this.credentials.tillNumber ? this.credentials.tillNumber : this.credentials.shortCode,
      resultUrl: input.resultUrl,
      reason: input.reason,
    });
    const response = await this.sendWrite({
      method: 'POST',
      path: PATHS.reversal,
      body,
      operation: 'reversal',
    });
    const ack = readAsyncAcknowledgement(response.data, 'reversal');
    return { providerReversalId: ack.conversationId, status: 'PENDING' };
  }

  /**
   * Not available: Daraja reports a reversal's outcome only by posting a Result to the ResultURL (there is no
   * reversal status query; Transaction Status also answers by callback). Services wait for the REVERSAL event.
   * @throws ConnectorError FLOW_NOT_SUPPORTED, always.
   */
  async getReversalStatus(_input: {
    providerReversalId: string;
    reference: string;
  }): Promise<{ status: RailStatus; failureCode: string | null }> {
    throw new ConnectorError(
      MPESA,
      'FLOW_NOT_SUPPORTED',
      'M-Pesa reports reversal results by callback only; there is no reversal status query',
      {
        retryable: false,
      },
    );
  }

  /**
   * Transaction Status (`POST /mpesa/transactionstatus/v1/query`): asks M-Pesa about a transaction by its receipt,
   * to recover a payment whose C2B confirmation or STK callback never arrived but whose receipt is known (from the
   * org-portal statement or the payer's SMS). Daraja only acknowledges here; the answer is a `Result` posted to
   * `resultUrl` (with `kind=result`, added when missing; also the QueueTimeOutURL), which `parseCallback` turns
   * into a PAYMENT event with the receipt, amount and status. Daraja needs the receipt: it cannot find a payment by
   * CheckoutRequestID (use {@link getCollectionStatus} for that, which has no receipt).
   *
   * Sent like the other Daraja writes: resent only when Daraja provably refused it before processing; a timeout,
   * network error or bare 500/502/504 is OUTCOME_UNKNOWN after exactly one attempt. The query moves no money, so
   * asking again later is safe — it only yields another Result under another ConversationID — but it is not resent
   * blindly: each accepted query costs a callback and counts against Daraja's quota.
   * @param input.transactionId The M-Pesa receipt, e.g. `NEF61H8J60`.
   * @param input.reference Lipa's id for the query, sent as `Remarks` and `Occasion` (cut to 100 characters).
   * @param input.resultUrl Where Daraja posts the Result: `buildMpesaCallbackUrls(...).resultUrl`.
   * @returns Daraja's `ConversationID` (the Result's event id is `result:<ConversationID>`) and
   *   `OriginatorConversationID` (empty when Daraja omitted it).
   * @throws ConnectorError REQUEST_ENCODING_FAILED (malformed receipt or URL, before any call), DECLINED
   *   (non-zero ResponseCode, 400.x), AUTH_CONFIG_INVALID (wrong consumer key/secret, revoked token twice),
   *   RATE_LIMITED, PROVIDER_UNAVAILABLE, OUTCOME_UNKNOWN.
   * @example const urls = buildMpesaCallbackUrls(publicUrl, source.id, token);
   *   await mpesa.queryTransactionStatus({ transactionId: 'NEF61H8J60', reference: 'lookup-NEF61H8J60',
   *     resultUrl: urls.resultUrl });
   */
  async queryTransactionStatus(input: QueryTransactionStatusInput): Promise<QueryTransactionStatusOutput> {
    const body = buildTransactionStatusRequest({
      initiator: this.credentials.initiatorName,
      securityCredential: this.credentials.securityCredential,
      transactionId: input.transactionId.trim(),
      shortCode: this.credentials.shortCode,
      resultUrl: withResultKind(input.resultUrl),
      reference: input.reference,
    });
    const response = await this.sendWrite({
      method: 'POST',
      path: PATHS.transactionStatus,
      body,
      operation: 'transactionStatus',
    });
    const ack = readAsyncAcknowledgement(response.data, 'transaction status query');
    return {
      conversationId: ack.conversationId,
      originatorConversationId: ack.originatorConversationId ?? '',
    };
  }

  /**
   * {@link MobileMoneyConnector.lookUpTransaction} for M-Pesa: {@link queryTransactionStatus} by receipt;
   * `providerReference` is the ConversationID the Result will carry.
   * @throws ConnectorError as {@link queryTransactionStatus}.
   */
  async lookUpTransaction(input: {
    providerTransactionId: string;
    reference: string;
    resultUrl: string;
  }): Promise<{ providerReference: string }> {
    const ack = await this.queryTransactionStatus({
      transactionId: input.providerTransactionId,
      reference: input.reference,
      resultUrl: input.resultUrl,
    });
    return { providerReference: ack.conversationId };
  }

  /**
   * Registers the C2B confirmation and validation URLs (`POST /mpesa/c2b/{v1|v2}/registerurl`, version from the
   * credentials, default v1). In production Safaricom registers URLs once; changing them means deleting them in the
   * org portal first. Not retried: a repeat of a registration that did land is refused as a duplicate.
   * @throws ConnectorError DECLINED (ResponseCode not 0, refused URL), AUTH_CONFIG_INVALID, PROVIDER_UNAVAILABLE,
   *   OUTCOME_UNKNOWN
   * @example const urls = buildMpesaCallbackUrls(publicUrl, source.id, token);
   *   await mpesa.registerC2bUrls({ confirmationUrl: urls.confirmationUrl, validationUrl: urls.validationUrl });
   */
  async registerC2bUrls(input: RegisterC2bUrlsInput): Promise<RegisterC2bUrlsOutput> {
    const body: MpesaRegisterUrlRequest = {
      ShortCode: input.shortCode ?? this.credentials.shortCode,
      ResponseType: input.responseType ?? 'Completed',
      ConfirmationURL: input.confirmationUrl,
      ValidationURL: input.validationUrl,
    };
    const version = this.credentials.registerUrlVersion ?? 'v1';
    const response = await this.send({
      method: 'POST',
      path: PATHS.registerUrl(version),
      body,
      operation: 'registerC2bUrls',
      retryable: false,
      idempotencyHeader: null,
    });
    return readRegisterUrlResponse(response.data);
  }

  /** See {@link verifyMpesaCallback}. */
  verifyCallback(input: VerifyCallbackInput): VerifiedCallback {
    return verifyMpesaCallback(input);
  }

  /** See {@link parseMpesaCallback}. */
  parseCallback(input: {
    rawBody: Buffer;
    headers: Record<string, string | string[] | undefined>;
    query: Record<string, string>;
  }): RailEvent[] {
    return parseMpesaCallback(input);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Transport
  // -------------------------------------------------------------------------------------------------------------

  /** The cached access token, fetched once for all concurrent callers when missing or about to expire. */
  private accessToken(): Promise<string> {
    return this.tokens.get(this.tokenKey, () => this.fetchAccessToken());
  }

  private async fetchAccessToken(): Promise<CachedToken> {
    const basic = Buffer.from(
      `${this.credentials.consumerKey}:${this.credentials.consumerSecret}`,
      'utf8',
    ).toString('base64');
    const response = await this.authHttp.request({
      method: 'GET',
      path: PATHS.oauth,
      query: { grant_type: 'client_credentials' },
      headers: { Authorization: `Basic ${basic}` },
      operation: 'oauthToken',
    });
    const { accessToken, expiresInSeconds } = readTokenResponse(response.data);
    return { token: accessToken, expiresAt: this.now().getTime() + expiresInSeconds * 1000 };
  }

  /**
   * Sends with the bearer token. Daraja reports a revoked token as `404.001.03`, sometimes without HTTP 401 (which
   * the HTTP client already handles): drop the token and send once more.
   */
  private async send(req: ConnectorRequest): Promise<ProviderResponse> {
    try {
      return await this.http.request(req);
    } catch (err) {
      if (
        err instanceof ConnectorError &&
        err.providerCode === DARAJA_ERROR.invalidAccessToken &&
        err.httpStatus !== 401
      ) {
        this.tokens.invalidate(this.tokenKey);
        return this.http.request(req);
      }
      throw err;
    }
  }

  /**
   * A write (STK push, reversal, transaction status query): never retried by the HTTP client, resent here only when Daraja
   * refused it before processing (see {@link refusedBeforeProcessing}), with the same body byte for byte.
   */
  private async sendWrite(
    req: Omit<ConnectorRequest, 'retryable' | 'idempotencyHeader' | 'idempotencyKey'>,
  ): Promise<ProviderResponse> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.send({ ...req, retryable: false, idempotencyHeader: null });
      } catch (err) {
        if (!(err instanceof ConnectorError)) throw err;
        if (refusedBeforeProcessing(err) && attempt < this.maxRetries) {
          this.logger.warn(
            {
              connector: MPESA,
              op: req.operation,
              attempt,
              httpStatus: err.httpStatus,
              providerCode: err.providerCode,
            },
            'M-Pesa refused the write before processing it; sending it again',
          );
          await sleep(this.backoff(attempt, err.retryAfterMs));
          continue;
        }
        if (mayHaveBeenProcessed(err)) {
          throw new ConnectorError(
            MPESA,
            'OUTCOME_UNKNOWN',
            `M-Pesa failed during ${req.operation} (${err.httpStatus}); the outcome is unknown`,
            {
              httpStatus: err.httpStatus,
              providerRequestId: err.providerRequestId,
              cause: err,
            },
          );
        }
        throw err;
      }
    }
  }

  private backoff(attempt: number, retryAfterMs?: number): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, 60_000);
    if (this.baseDelayMs === 0) return 0;
    return Math.floor(Math.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** attempt));
  }
}
