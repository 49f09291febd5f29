import type { Money } from '../domain/money';
import type { Logger } from '../logger';
import type { HttpRetryOptions } from './http';
import type { TokenCache } from './token-cache';

/**
 * Connector contracts. Connectors are stateless translators between Lipa's types and a provider's wire format:
 * they never touch the database, queues or GraphQL. Every method throws {@link ConnectorError} (never returns an
 * error union). Amounts are always {@link Money} (integer ISO minor units); dates are `Date` or `YYYY-MM-DD`.
 */

export type LendingSystemKind = 'FINERACT' | 'MAMBU';
export type RailKind = 'MPESA' | 'MTN_MOMO' | 'AIRTEL_MONEY' | 'STRIPE' | 'GOCARDLESS';

/** What every connector is given when it is built. */
export interface ConnectorRuntime {
  logger: Logger;
  /** Timeouts and retries for outbound calls; tests pass `{ baseDelayMs: 0 }`. */
  http?: HttpRetryOptions;
  /** Shared OAuth token cache (one refresh at a time). */
  tokenCache?: TokenCache;
  /** Clock, injectable for tests. */
  now?: () => Date;
}

// ---------------------------------------------------------------------------------------------------------------
// Lending systems
// ---------------------------------------------------------------------------------------------------------------

/** Lipa's reading of a lender's loan status. Anything unrecognised is `UNKNOWN` (kept, shown, never guessed). */
export type LenderLoanStatus =
  | 'PENDING'
  | 'APPROVED'
  | 'ACTIVE'
  | 'CLOSED'
  | 'WRITTEN_OFF'
  | 'OVERPAID'
  | 'REJECTED'
  | 'WITHDRAWN'
  | 'UNKNOWN';

export interface LenderInstallment {
  /** 1-based installment number as the lender numbers it. */
  number: number;
  /** `YYYY-MM-DD`. */
  dueDate: string;
  /** Total due for the period (principal + interest + fees + penalties), minor units. */
  totalDue: Money;
  totalPaid: Money;
  totalOutstanding: Money;
  principalDue: Money;
  interestDue: Money;
  complete: boolean;
}

export interface LenderBorrower {
  /** The lender's client id (Fineract client id, Mambu encodedKey). */
  externalId: string;
  displayName: string | null;
  /** As the lender stores it (free text); services normalise to E.164 digits. */
  phoneNumber: string | null;
  email: string | null;
}

export interface LenderLoan {
  /** The lender's primary id for the loan (Fineract numeric id as string, Mambu encodedKey). Used for every call. */
  externalId: string;
  /** Human account number (Fineract accountNo, Mambu id). What borrowers type as a payment reference. */
  accountNumber: string;
  /** The lender's own external reference for the loan, if any (Fineract externalId). */
  externalReference: string | null;
  borrowerExternalId: string;
  /** Borrower name/phone when the list call includes them (Fineract clientName); null otherwise. */
  borrowerDisplayName: string | null;
  currency: string;
  status: LenderLoanStatus;
  /** The provider's own status text ("300", "ACTIVE_IN_ARREARS"). */
  rawStatus: string;
  principal: Money;
  /** Total outstanding (principal + interest + fees + penalties) as the lender reports it. */
  outstanding: Money;
  /** Amount past due. */
  overdue: Money;
  /** Raw days past due (Fineract pastDueDays, Mambu daysLate); 0 when current or unknown. */
  daysPastDue: number;
  /** Days in arrears after grace/pauses (Fineract delinquentDays, Mambu daysInArrears). */
  daysInArrears: number;
  /** Lender's delinquency classification, when it has one ("DPD 31-60"). */
  delinquencyClass: string | null;
  /** `YYYY-MM-DD` of the next installment due, or null. */
  nextDueDate: string | null;
  /** When the lender last changed the loan, if it says. */
  lastModifiedAt: Date | null;
  /** Present on {@link LendingSystemConnector.getLoan}; absent from list pages. */
  installments?: LenderInstallment[];
}

/** One loan in a page that could not be read. The sync records it and continues with the others. */
export interface LoanReadFailure {
  externalId: string | null;
  message: string;
}

export interface ListLoansInput {
  /** Opaque cursor from the previous page; null for the first page. Resumable across process restarts. */
  cursor: string | null;
  /** Page size hint (connector may cap it). */
  pageSize?: number;
  /** Incremental sync: only loans changed at or after this instant (connectors without a native filter scan). */
  modifiedSince?: Date | null;
}

export interface LoanPage {
  loans: LenderLoan[];
  failures: LoanReadFailure[];
  /** Cursor for the next page; null when this was the last. */
  nextCursor: string | null;
  /** Total loans matching, when the provider says. */
  total: number | null;
}

export interface PostRepaymentInput {
  loanExternalId: string;
  amount: Money;
  /** Value date of the repayment (the rail's transaction time). Connectors clamp future dates to today. */
  valueDate: Date;
  /**
   * Lipa's payment id, sent as the lender transaction's external id (unique at the lender), so a retry can
   * never post twice.
   */
  externalId: string;
  /** Sent as `Idempotency-Key`; the same on every retry of this posting. */
  idempotencyKey: string;
  /** Rail name shown in the lender ("MPESA"), mapped to a payment type/channel where configured. */
  channel?: string;
  /** The rail's receipt (M-Pesa TransID) for the lender's payment details. */
  receiptNumber?: string;
  note?: string;
}

export interface PostedRepayment {
  /** The lender's transaction id. */
  transactionId: string;
  externalId: string;
  /** True when the lender already had a transaction with this external id (a retry after a lost response). */
  alreadyPosted: boolean;
}

export interface ReverseRepaymentInput {
  loanExternalId: string;
  /** Lender transaction id if known; connectors look it up by `externalId` otherwise (ids change on replay). */
  transactionId: string | null;
  /** External id the repayment was posted with (Lipa's payment id). */
  externalId: string;
  /** Lipa's reversal id, recorded at the lender where it has a field for it. */
  reversalExternalId: string;
  idempotencyKey: string;
  date: Date;
  note: string;
}

export interface ReversedRepayment {
  transactionId: string;
  /** True when the transaction was already reversed at the lender. */
  alreadyReversed: boolean;
}

export type LenderTransactionType = 'REPAYMENT' | 'DISBURSEMENT' | 'CHARGEBACK' | 'ADJUSTMENT' | 'OTHER';

export interface LenderTransaction {
  transactionId: string;
  externalId: string | null;
  type: LenderTransactionType;
  amount: Money;
  /** `YYYY-MM-DD` value date. */
  date: string;
  reversed: boolean;
}

export interface LendingCapabilities {
  /** `native`: the lender filters by modification time; `scan`: the connector pages through and compares. */
  incrementalSync: 'native' | 'scan';
  /** Lender honours an `Idempotency-Key` header on writes. */
  idempotencyKey: boolean;
  /** Repayments can be found by their external id. */
  externalIdLookup: boolean;
  /** Repayments can be undone/adjusted through the API. */
  reversal: boolean;
}

export interface LendingSystemConnector {
  readonly kind: LendingSystemKind;
  readonly capabilities: LendingCapabilities;

  /**
   * One page of loans. Bad items are returned in `failures`, never thrown, so one bad loan cannot stop a sync.
   * @throws ConnectorError AUTH_CONFIG_INVALID (401/403, not retryable), RATE_LIMITED, PROVIDER_UNAVAILABLE,
   *   RESPONSE_DECODING_FAILED (the page itself is unreadable).
   * @example const page = await c.listLoans({ cursor: null, pageSize: 200 });
   */
  listLoans(input: ListLoansInput): Promise<LoanPage>;

  /**
   * One loan with its installments and delinquency.
   * @throws ConnectorError NOT_FOUND, RESPONSE_DECODING_FAILED, CURRENCY_UNSUPPORTED, ...
   */
  getLoan(input: { loanExternalId: string }): Promise<LenderLoan>;

  /** The borrower (client) of a loan. @throws ConnectorError NOT_FOUND */
  getBorrower(input: { borrowerExternalId: string }): Promise<LenderBorrower>;

  /**
   * Posts a repayment exactly once: a duplicate external id is recognised as "already posted" and the existing
   * transaction is returned (not an error).
   * @throws ConnectorError DECLINED (domain rule, e.g. closed loan), PROVIDER_UNAVAILABLE (COB lock 409 / 425
   *   in flight, retryable), OUTCOME_UNKNOWN (timeout: look up by external id before retrying).
   */
  postRepayment(input: PostRepaymentInput): Promise<PostedRepayment>;

  /** Undoes a repayment (Fineract undo with amount 0; Mambu `:adjust`). Idempotent: already reversed is success. */
  reverseRepayment(input: ReverseRepaymentInput): Promise<ReversedRepayment>;

  /** The loan's transactions, newest last. */
  listTransactions(input: { loanExternalId: string }): Promise<LenderTransaction[]>;

  /** The repayment with this external id, or null when the lender has none. */
  findTransactionByExternalId(input: {
    loanExternalId: string;
    externalId: string;
  }): Promise<LenderTransaction | null>;
}

// ---------------------------------------------------------------------------------------------------------------
// Mobile money
// ---------------------------------------------------------------------------------------------------------------

/** Canonical status of a rail transaction. Unknown provider states map to PENDING (re-queried, never guessed). */
export type RailStatus = 'PENDING' | 'SUCCEEDED' | 'FAILED';

export interface InitiateCollectionInput {
  /**
   * Lipa's payment-request id; also the idempotency key. Connectors that need a UUIDv4 (MTN `X-Reference-Id`)
   * use `idempotencyKey`, which the service generates as a UUIDv4 and stores on the request row.
   */
  reference: string;
  idempotencyKey: string;
  amount: Money;
  /** Payer phone, E.164 digits without '+' ("256772123456"). */
  phoneNumber: string;
  /** What the borrower sees as the account (loan account number). Connectors truncate to the rail's limit. */
  accountReference: string;
  /** Short description ("Loan repayment"). */
  description: string;
  /** Where the rail should send the result (already carries the per-source token). */
  callbackUrl: string;
}

export interface InitiateCollectionOutput {
  /** The id the rail gave this request (Daraja CheckoutRequestID, MTN X-Reference-Id, Airtel transaction.id). */
  providerRequestId: string;
  /** PENDING when accepted for processing; FAILED when refused outright. */
  status: RailStatus;
  failureCode?: string;
  failureMessage?: string;
}

export interface CollectionStatusInput {
  providerRequestId: string;
  reference: string;
}

export interface CollectionStatus {
  status: RailStatus;
  /** The rail's transaction id (M-Pesa receipt, MTN financialTransactionId, Airtel airtel_money_id) once known. */
  providerTransactionId: string | null;
  amount: Money | null;
  failureCode: string | null;
  failureMessage: string | null;
}

export interface ReverseCollectionInput {
  /** The original rail transaction id (M-Pesa receipt, MTN X-Reference-Id of the request, Airtel airtel_money_id). */
  providerTransactionId: string;
  /** The original request id where the rail refunds by it (MTN `referenceIdToRefund`). */
  providerRequestId: string | null;
  amount: Money;
  /** The original payment's full amount: rails that refund whole transactions only compare against it. */
  originalAmount?: Money;
  /** Lipa's reversal id. */
  reference: string;
  /** UUIDv4 reused on retries. */
  idempotencyKey: string;
  reason: string;
  /** Result URL for rails that answer asynchronously (Daraja). */
  resultUrl: string;
}

export interface ReverseCollectionOutput {
  /** The rail's id for the reversal/refund (Daraja ConversationID, MTN refund reference). */
  providerReversalId: string;
  /** PENDING until the rail confirms; SUCCEEDED only on the rail's confirmation. */
  status: RailStatus;
  failureCode?: string;
}

/** What the HTTP ingest path needs to know about a callback before it stores it (cheap: no parsing beyond ids). */
export interface VerifiedCallback {
  /** One entry per provider event in the body (GoCardless batches several). Unique per source. */
  events: Array<{ providerEventId: string; eventType: string }>;
  /** The HTTP reply the rail expects. */
  ack: { status: number; body: unknown };
}

export interface VerifyCallbackInput {
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  method: string;
  /** The token segment of `/hooks/:sourceId/:token`, or null. */
  pathToken: string | null;
  /** Query string parameters of the callback URL (e.g. `ref` that Lipa put in an MTN callback URL). */
  query: Record<string, string>;
  /** The per-source secret token expected in the URL for rails that do not sign (compare in constant time). */
  expectedToken: string;
}

/** A callback normalised into rail events. */
export type RailEvent =
  | {
      kind: 'PAYMENT';
      providerEventId: string;
      /** Rail transaction id (unique per source); null when the rail has not assigned one (failed STK push). */
      providerTransactionId: string | null;
      /** Id of the request Lipa initiated, when this answers one. */
      providerRequestId: string | null;
      status: RailStatus;
      amount: Money | null;
      /** What the payer typed or the request carried as account (BillRefNumber), normalised (trim, upper-case). */
      accountReference: string | null;
      /** Payer identifier as the rail gave it (may be masked or hashed); personal data. */
      payerReference: string | null;
      occurredAt: Date | null;
      failureCode: string | null;
      failureMessage: string | null;
      /** True when the callback is unsigned and must be confirmed by a status query before it is trusted. */
      needsConfirmation: boolean;
    }
  | {
      kind: 'REVERSAL';
      providerEventId: string;
      /** The reversal/refund id at the rail. */
      providerReversalId: string;
      /** The original payment's rail transaction id, when the callback says it. */
      originalProviderTransactionId: string | null;
      status: RailStatus;
      amount: Money | null;
      occurredAt: Date | null;
      failureCode: string | null;
    }
  | {
      /** Authentic but nothing to apply (C2B validation request, an event type Lipa ignores). Kept for audit. */
      kind: 'IGNORED';
      providerEventId: string;
      reason: string;
    };

export interface MobileMoneyCapabilities {
  currencies: readonly string[];
  /** Push prompt to the payer's phone (STK push, request-to-pay, USSD push). */
  push: boolean;
  /** Payer-initiated payments arrive by callback (M-Pesa C2B paybill). */
  payerInitiated: boolean;
  statusQuery: boolean;
  reversal: boolean;
  partialReversal: boolean;
  /** Callbacks carry a verifiable signature; otherwise Lipa relies on the URL token and a status query. */
  signedCallbacks: boolean;
}

export interface MobileMoneyConnector {
  readonly kind: RailKind;
  readonly capabilities: MobileMoneyCapabilities;

  /**
   * Sends a payment prompt to the payer's phone.
   * @throws ConnectorError DECLINED (invalid number, limits), OUTCOME_UNKNOWN (timeout: query status, never
   *   assume failure), CURRENCY_UNSUPPORTED, REQUEST_ENCODING_FAILED (amount not whole units where required).
   * @example await c.initiateCollection({ reference: 'preq_01..', idempotencyKey: uuid, amount: money(50000n,'UGX'),
   *   phoneNumber: '256772123456', accountReference: 'LN-0042', description: 'Loan repayment', callbackUrl })
   */
  initiateCollection(input: InitiateCollectionInput): Promise<InitiateCollectionOutput>;

  /** Current status of an initiated collection (for callbacks that never came). Unknown states are PENDING. */
  getCollectionStatus(input: CollectionStatusInput): Promise<CollectionStatus>;

  /**
   * Checks a callback's authenticity on its raw bytes (signature or URL token, constant-time) and extracts event ids.
   * @throws ConnectorError WEBHOOK_SIGNATURE_INVALID; RESPONSE_DECODING_FAILED when the body is not parseable.
   */
  verifyCallback(input: VerifyCallbackInput): VerifiedCallback;

  /** Parses a verified callback body into events (run in a job, not in the HTTP handler). */
  parseCallback(input: {
    rawBody: Buffer;
    headers: Record<string, string | string[] | undefined>;
    query: Record<string, string>;
  }): RailEvent[];

  /** Reverses/refunds a collection; the result is confirmed later by callback or {@link getReversalStatus}. */
  reverseCollection(input: ReverseCollectionInput): Promise<ReverseCollectionOutput>;

  /**
   * Asks the rail about a transaction Lipa never heard of by callback, by its rail id (e.g. an M-Pesa receipt read
   * from a statement). Rails that answer asynchronously deliver the result as a callback, parsed by
   * {@link parseCallback}. Optional: rails without such a query do not implement it.
   */
  lookUpTransaction?(input: {
    providerTransactionId: string;
    reference: string;
    resultUrl: string;
  }): Promise<{ providerReference: string }>;

  /** Status of a reversal/refund, for rails that can be queried. @throws ConnectorError FLOW_NOT_SUPPORTED */
  getReversalStatus(input: {
    providerReversalId: string;
    reference: string;
  }): Promise<{ status: RailStatus; failureCode: string | null }>;
}

// ---------------------------------------------------------------------------------------------------------------
// Definitions: how the registry builds a connector from a source row
// ---------------------------------------------------------------------------------------------------------------

export interface ConnectorConfig<C> {
  /** Provider base URL (sandbox, production or a simulator). Connectors may default it when absent. */
  baseUrl: string | null;
  credentials: C;
}

/**
 * One per connector folder, exported from its `index.ts`. `parseCredentials` validates the JSON a user gave to
 * `registerLendingSource`/`registerPaymentSource` and throws ConnectorError AUTH_CONFIG_INVALID naming every
 * missing or malformed field (never echoing secret values).
 */
export interface LendingConnectorDefinition<C = unknown> {
  kind: LendingSystemKind;
  /** Lower-case id used in logs and errors ("fineract"). */
  id: string;
  parseCredentials(raw: unknown): C;
  create(config: ConnectorConfig<C>, runtime: ConnectorRuntime): LendingSystemConnector;
}

export interface MobileMoneyConnectorDefinition<C = unknown> {
  kind: RailKind;
  id: string;
  parseCredentials(raw: unknown): C;
  create(config: ConnectorConfig<C>, runtime: ConnectorRuntime): MobileMoneyConnector;
}
