import { ConnectorError } from '../../errors';
import { ConnectorHttpClient, parseRetryAfter, type ProviderResponse } from '../../http';
import { toProviderAmount } from '../../money';
import type {
  ConnectorConfig,
  ConnectorRuntime,
  LenderBorrower,
  LenderLoan,
  LenderTransaction,
  LendingCapabilities,
  LendingSystemConnector,
  ListLoansInput,
  LoanPage,
  LoanReadFailure,
  PostedRepayment,
  PostRepaymentInput,
  ReversedRepayment,
  ReverseRepaymentInput,
} from '../../types';
import { localDate } from '../../../domain/calendar';
import { currencyExponent, isKnownCurrency } from '../../../domain/money';
import type { Logger } from '../../../logger';
import {
  decodeFineract,
  FineractClientSchema,
  FineractCommandResultSchema,
  FineractGroupSchema,
  FineractLoanPageSchema,
  FineractLoanSchema,
  FineractTransactionSchema,
  fineractClientToBorrower,
  fineractCurrency,
  fineractGroupToBorrower,
  fineractLoanToLender,
  fineractRawLoanId,
  fineractTransactionToLender,
  isFineractDuplicateExternalId,
  readFineractError,
  type FineractRepaymentRequest,
  type FineractUndoRequest,
} from './transformers';
import {
  FINERACT_CONNECTOR_ID as ID,
  FINERACT_DEFAULT_PAGE_SIZE,
  FINERACT_EXTERNAL_ID_MAX,
  FINERACT_MAX_PAGE_SIZE,
  FINERACT_NOTE_MAX,
  FINERACT_PAYMENT_DETAIL_MAX,
  type FineractCredentials,
} from './types';

const DATE_FORMAT = 'yyyy-MM-dd' as const;
const LOCALE = 'en' as const;

/** Fineract ids are Longs; anything else would be a path-injection risk or a guaranteed 404. */
const NUMERIC_ID = /^\d{1,19}$/;

/**
 * Turns a non-2xx Fineract answer into a {@link ConnectorError}, reading the `ApiGlobalErrorResponse` envelope.
 * Fineract uses 403 for domain rules (not permissions) and 409 for the COB loan lock, so the default mapping does
 * not fit (shared/reference/lending.md A1.1).
 */
export function mapFineractError(response: ProviderResponse): ConnectorError {
  const { status } = response;
  const env = readFineractError(response.data);
  const base = {
    httpStatus: status,
    providerCode: env?.specificCode ?? undefined,
    providerMessage: env?.message ?? undefined,
    providerRequestId: response.headers['x-request-id'],
  };
  const code = env?.specificCode ?? '';
  if (status === 401) {
    // Bad credentials or unknown tenant (`error.msg.invalid.tenant.identifier`): configuration, never retried.
    return new ConnectorError(
      ID,
      'AUTH_CONFIG_INVALID',
      `Fineract rejected the credentials or tenant (${env?.code ?? status})`,
      { ...base, retryable: false },
    );
  }
  if (status === 403) {
    // `error.msg.not.authorized`: the API user lacks a permission. Everything else on 403 is a domain rule
    // (`validation.msg.domain.rule.violation`, e.g. a future-dated or closed-loan repayment).
    if (/not\.authorized/.test(code) || /not\.authorized/.test(env?.code ?? '')) {
      return new ConnectorError(
        ID,
        'AUTH_CONFIG_INVALID',
        'The Fineract user lacks a permission for this call',
        { ...base, retryable: false },
      );
    }
    return new ConnectorError(
      ID,
      'DECLINED',
      `Fineract refused the operation (${code || 'domain rule'})`,
      base,
    );
  }
  if (status === 404)
    return new ConnectorError(ID, 'NOT_FOUND', `Fineract resource not found (${code || 404})`, base);
  if (status === 409 || status === 425) {
    // 409 `error.msg.loan.locked`: Close-of-Business holds the loan. 425 (code) / 409 (doc): the same
    // Idempotency-Key is still being processed. Both mean "retry later with the same key".
    return new ConnectorError(
      ID,
      'PROVIDER_UNAVAILABLE',
      `Fineract is busy with this loan (${code || status}); retry later`,
      { ...base, retryable: true },
    );
  }
  if (status === 429) {
    return new ConnectorError(ID, 'RATE_LIMITED', 'Fineract rate limit reached', {
      ...base,
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    });
  }
  if (status === 503 && /not\.allowed/.test(code)) {
    // "update not allowed" rules are thrown as PlatformServiceUnavailableException (503) although they are
    // permanent refusals (e.g. undoing a transfer-linked transaction): retrying cannot help.
    return new ConnectorError(ID, 'DECLINED', `Fineract refused the operation (${code})`, {
      ...base,
      retryable: false,
    });
  }
  if (status === 408 || status >= 500) {
    return new ConnectorError(
      ID,
      'PROVIDER_UNAVAILABLE',
      `Fineract is temporarily unavailable (${status})`,
      base,
    );
  }
  return new ConnectorError(ID, 'DECLINED', `Fineract refused the request (${code || status})`, base);
}

/** Opaque, resumable list cursor: the next offset, versioned and tagged with the connector. */
export function encodeFineractCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ c: ID, v: 1, o: offset })).toString('base64url');
}

/** @throws ConnectorError REQUEST_ENCODING_FAILED for a cursor this connector did not issue. */
export function decodeFineractCursor(cursor: string | null): number {
  if (cursor === null || cursor === '') return 0;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      c?: unknown;
      v?: unknown;
      o?: unknown;
    };
    if (
      parsed.c === ID &&
      parsed.v === 1 &&
      typeof parsed.o === 'number' &&
      Number.isSafeInteger(parsed.o) &&
      parsed.o >= 0
    )
      return parsed.o;
  } catch {
    // fall through
  }
  throw new ConnectorError(
    ID,
    'REQUEST_ENCODING_FAILED',
    'The list cursor was not issued by the Fineract connector',
  );
}

function truncate(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  return trimmed.length > max ? trimmed.slice(0, max) : trimmed;
}

/**
 * Apache Fineract connector (REST API v1, tested against the 1.9/1.10 line).
 *
 * Stateless: one instance per lending source; every call goes through {@link ConnectorHttpClient} with HTTP Basic
 * auth and the `Fineract-Platform-TenantId` header. See README.md for flows and quirks.
 */
export class FineractConnector implements LendingSystemConnector {
  readonly kind = 'FINERACT' as const;

  /**
   * Fineract has no "modified since" filter on `GET /loans` (and `sqlSearch` was removed in 1.9), so incremental
   * sync is a scan: every page carries each loan's summary and the sync service compares fingerprints, rewriting
   * and refreshing only loans that changed.
   */
  readonly capabilities: LendingCapabilities = Object.freeze({
    incrementalSync: 'scan',
    idempotencyKey: true,
    externalIdLookup: true,
    reversal: true,
  });

  private readonly http: ConnectorHttpClient;
  private readonly credentials: FineractCredentials;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private readonly timeZone: string;

  constructor(config: ConnectorConfig<FineractCredentials>, runtime: ConnectorRuntime) {
    if (!config.baseUrl) {
      throw new ConnectorError(
        ID,
        'AUTH_CONFIG_INVALID',
        'Fineract needs a base URL (https://host/fineract-provider/api/v1)',
      );
    }
    const { username, password, tenantId } = config.credentials;
    const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    this.credentials = config.credentials;
    this.logger = runtime.logger.child({ connector: ID });
    this.now = runtime.now ?? (() => new Date());
    this.timeZone = config.credentials.timeZone ?? 'UTC';
    this.http = new ConnectorHttpClient({
      ...runtime.http,
      connector: ID,
      baseUrl: config.baseUrl.replace(/\/+$/, ''),
      logger: runtime.logger,
      headers: () => ({ Authorization: authorization, 'Fineract-Platform-TenantId': tenantId }),
      mapError: mapFineractError,
    });
  }

  /** `GET /loans?offset&limit&orderBy=id&sortOrder=ASC`. `modifiedSince` is ignored (scan; see capabilities). */
  async listLoans(input: ListLoansInput): Promise<LoanPage> {
    const offset = decodeFineractCursor(input.cursor);
    const limit = Math.min(
      Math.max(1, Math.floor(input.pageSize ?? FINERACT_DEFAULT_PAGE_SIZE)),
      FINERACT_MAX_PAGE_SIZE,
    );
    // Ordered by id so offsets are stable while the sync pages: new loans get higher ids and land at the end.
    const res = await this.http.request({
      method: 'GET',
      path: '/loans',
      query: { offset, limit, orderBy: 'id', sortOrder: 'ASC' },
      operation: 'listLoans',
    });
    const page = decodeFineract(FineractLoanPageSchema, res.data, 'loan page');
    const today = localDate(this.now(), this.timeZone);
    const loans: LenderLoan[] = [];
    const failures: LoanReadFailure[] = [];
    for (const item of page.pageItems) {
      try {
        loans.push(fineractLoanToLender(decodeFineract(FineractLoanSchema, item, 'loan'), { today }));
      } catch (err) {
        if (!(err instanceof ConnectorError)) throw err;
        failures.push({ externalId: fineractRawLoanId(item), message: err.message });
      }
    }
    if (failures.length)
      this.logger.warn(
        { op: 'listLoans', offset, failed: failures.length },
        'some loans in the page could not be read',
      );
    const nextOffset = offset + page.pageItems.length;
    return {
      loans,
      failures,
      nextCursor:
        page.pageItems.length > 0 && nextOffset < page.totalFilteredRecords
          ? encodeFineractCursor(nextOffset)
          : null,
      total: page.totalFilteredRecords,
    };
  }

  /**
   * `GET /loans/{id}?associations=repaymentSchedule,transactions`. Associations must be explicit: without them
   * Fineract returns no schedule despite the Swagger default "all".
   */
  async getLoan(input: { loanExternalId: string }): Promise<LenderLoan> {
    const loan = await this.fetchLoan(input.loanExternalId, 'repaymentSchedule,transactions', 'getLoan');
    return fineractLoanToLender(loan, { today: localDate(this.now(), this.timeZone) });
  }

  /** `GET /clients/{id}` (or `GET /groups/{id}` for a group loan's `group:{id}` borrower). */
  async getBorrower(input: { borrowerExternalId: string }): Promise<LenderBorrower> {
    const group = /^group:(\d{1,19})$/.exec(input.borrowerExternalId);
    if (group) {
      const res = await this.http.request({
        method: 'GET',
        path: `/groups/${group[1]}`,
        operation: 'getBorrower',
      });
      return fineractGroupToBorrower(decodeFineract(FineractGroupSchema, res.data, 'group'));
    }
    const id = this.numericId(input.borrowerExternalId, 'client');
    const res = await this.http.request({ method: 'GET', path: `/clients/${id}`, operation: 'getBorrower' });
    return fineractClientToBorrower(decodeFineract(FineractClientSchema, res.data, 'client'));
  }

  /**
   * `POST /loans/{id}/transactions?command=repayment` with `Idempotency-Key`. A duplicate `externalId` (400
   * `...externalId.value.must.be.unique`) means an earlier attempt was applied: the existing transaction is looked
   * up and returned with `alreadyPosted: true`. A replay served from Fineract's idempotency cache is also
   * `alreadyPosted`.
   */
  async postRepayment(input: PostRepaymentInput): Promise<PostedRepayment> {
    const loanId = this.numericId(input.loanExternalId, 'loan');
    if (input.amount.amountMinor <= 0n)
      throw new ConnectorError(ID, 'REQUEST_ENCODING_FAILED', 'Repayment amount must be positive');
    if (!isKnownCurrency(input.amount.currency))
      throw new ConnectorError(
        ID,
        'CURRENCY_UNSUPPORTED',
        `Currency ${input.amount.currency} is not supported`,
      );
    this.checkExternalId(input.externalId, 'externalId');
    const transactionAmount = toProviderAmount(ID, input.amount, { kind: 'major' });
    await this.checkTenantPrecision(loanId, input.amount);

    const body: FineractRepaymentRequest = {
      transactionDate: this.clampedDate(input.valueDate),
      dateFormat: DATE_FORMAT,
      locale: LOCALE,
      transactionAmount,
      externalId: input.externalId,
    };
    const paymentTypeId = input.channel ? this.credentials.paymentTypeIds?.[input.channel] : undefined;
    if (paymentTypeId !== undefined) body.paymentTypeId = paymentTypeId;
    const receiptNumber = truncate(input.receiptNumber, FINERACT_PAYMENT_DETAIL_MAX);
    if (receiptNumber) body.receiptNumber = receiptNumber;
    const note = truncate(input.note, FINERACT_NOTE_MAX);
    if (note) body.note = note;

    let res: ProviderResponse;
    try {
      res = await this.http.request({
        method: 'POST',
        path: `/loans/${loanId}/transactions`,
        query: { command: 'repayment' },
        body,
        idempotencyKey: input.idempotencyKey,
        operation: 'postRepayment',
      });
    } catch (err) {
      if (
        err instanceof ConnectorError &&
        err.httpStatus === 400 &&
        isFineractDuplicateExternalId(err.providerCode)
      ) {
        return this.existingRepayment(input, err);
      }
      if (err instanceof ConnectorError && err.code === 'OUTCOME_UNKNOWN') {
        // The write may have landed: one lookup by external id settles it when it did.
        const found = await this.findTransactionByExternalId({
          loanExternalId: loanId,
          externalId: input.externalId,
        }).catch(() => null);
        if (found && !found.reversed)
          return { transactionId: found.transactionId, externalId: input.externalId, alreadyPosted: true };
      }
      throw err;
    }
    const result = decodeFineract(FineractCommandResultSchema, res.data, 'repayment result');
    return {
      transactionId: String(result.resourceId),
      externalId: input.externalId,
      alreadyPosted: res.headers['x-served-from-cache'] === 'true',
    };
  }

  /**
   * Undoes a repayment: finds it by external id (numeric ids change when later transactions are replayed), then
   * `POST /loans/{id}/transactions/{txId}?command=undo` with `transactionAmount: 0` and `reversalExternalId`.
   * Already reversed (`manuallyReversed`) is success without a call.
   */
  async reverseRepayment(input: ReverseRepaymentInput): Promise<ReversedRepayment> {
    const loanId = this.numericId(input.loanExternalId, 'loan');
    this.checkExternalId(input.reversalExternalId, 'reversalExternalId');
    const tx = await this.findTransactionByExternalId({
      loanExternalId: loanId,
      externalId: input.externalId,
    });
    if (!tx)
      throw new ConnectorError(
        ID,
        'NOT_FOUND',
        'Fineract has no repayment with this external id on the loan',
      );
    if (tx.reversed) return { transactionId: tx.transactionId, alreadyReversed: true };

    const body: FineractUndoRequest = {
      transactionDate: this.clampedDate(input.date),
      dateFormat: DATE_FORMAT,
      locale: LOCALE,
      transactionAmount: 0,
      reversalExternalId: input.reversalExternalId,
    };
    const note = truncate(input.note, FINERACT_NOTE_MAX);
    if (note) body.note = note;
    try {
      const res = await this.http.request({
        method: 'POST',
        path: `/loans/${loanId}/transactions/${tx.transactionId}`,
        query: { command: 'undo' },
        body,
        idempotencyKey: input.idempotencyKey,
        operation: 'reverseRepayment',
      });
      const result = decodeFineract(FineractCommandResultSchema, res.data, 'undo result');
      return { transactionId: String(result.resourceId), alreadyReversed: false };
    } catch (err) {
      // A concurrent undo (another worker, a back-office user) makes ours fail: re-read before reporting.
      if (err instanceof ConnectorError && err.code === 'DECLINED') {
        const again = await this.findTransactionByExternalId({
          loanExternalId: loanId,
          externalId: input.externalId,
        }).catch(() => null);
        if (again?.reversed) return { transactionId: again.transactionId, alreadyReversed: true };
      }
      throw err;
    }
  }

  /**
   * The loan's transactions from `associations=transactions` (this Fineract line has no paged transaction list),
   * oldest first. An unreadable transaction fails the call: a partial ledger would mislead reconciliation.
   */
  async listTransactions(input: { loanExternalId: string }): Promise<LenderTransaction[]> {
    const loan = await this.fetchLoan(input.loanExternalId, 'transactions', 'listTransactions');
    const currency = fineractCurrency(loan.currency);
    const txs = (loan.transactions ?? []).map((raw) =>
      fineractTransactionToLender(decodeFineract(FineractTransactionSchema, raw, 'transaction'), currency),
    );
    return txs
      .map((t, i) => ({ t, i }))
      .sort((a, b) => (a.t.date < b.t.date ? -1 : a.t.date > b.t.date ? 1 : a.i - b.i))
      .map(({ t }) => t);
  }

  /** `GET /loans/{id}/transactions/external-id/{externalId}`; 404 (or a transaction of another loan) is null. */
  async findTransactionByExternalId(input: {
    loanExternalId: string;
    externalId: string;
  }): Promise<LenderTransaction | null> {
    const loanId = this.numericId(input.loanExternalId, 'loan');
    let res: ProviderResponse;
    try {
      res = await this.http.request({
        method: 'GET',
        path: `/loans/${loanId}/transactions/external-id/${encodeURIComponent(input.externalId)}`,
        operation: 'findTransactionByExternalId',
      });
    } catch (err) {
      if (err instanceof ConnectorError && err.code === 'NOT_FOUND') return null;
      throw err;
    }
    const tx = decodeFineract(FineractTransactionSchema, res.data, 'transaction');
    if (tx.loanId != null && String(tx.loanId) !== loanId) return null;
    if (tx.externalId != null && tx.externalId !== input.externalId) {
      throw new ConnectorError(
        ID,
        'RESPONSE_DECODING_FAILED',
        'Fineract returned a transaction with another external id',
      );
    }
    // The lookup answer carries the transaction currency; without it the amount cannot be read exactly.
    return fineractTransactionToLender(tx, null);
  }

  // -------------------------------------------------------------------------------------------------------------

  private async fetchLoan(loanExternalId: string, associations: string | null, operation: string) {
    const loanId = this.numericId(loanExternalId, 'loan');
    const res = await this.http.request({
      method: 'GET',
      path: `/loans/${loanId}`,
      query: associations ? { associations } : undefined,
      operation,
    });
    return decodeFineract(FineractLoanSchema, res.data, 'loan');
  }

  /** Resolves a duplicate-externalId refusal into the transaction that already carries it. */
  private async existingRepayment(
    input: PostRepaymentInput,
    refusal: ConnectorError,
  ): Promise<PostedRepayment> {
    const existing = await this.findTransactionByExternalId({
      loanExternalId: input.loanExternalId,
      externalId: input.externalId,
    });
    if (!existing) {
      // Fineract's uniqueness spans all loans: the id is taken by a transaction of another loan.
      throw new ConnectorError(
        ID,
        'DECLINED',
        'The external id is already used by a Fineract transaction on another loan',
        {
          httpStatus: refusal.httpStatus,
          providerCode: refusal.providerCode,
        },
      );
    }
    if (
      existing.amount.currency !== input.amount.currency ||
      existing.amount.amountMinor !== input.amount.amountMinor
    ) {
      throw new ConnectorError(
        ID,
        'DECLINED',
        'Fineract already has a transaction with this external id but a different amount',
        {
          httpStatus: refusal.httpStatus,
          providerCode: 'EXTERNAL_ID_AMOUNT_MISMATCH',
        },
      );
    }
    if (existing.reversed)
      this.logger.warn(
        { op: 'postRepayment', transactionId: existing.transactionId },
        'the already-posted repayment has been reversed at the lender',
      );
    return { transactionId: existing.transactionId, externalId: input.externalId, alreadyPosted: true };
  }

  /**
   * Fineract rounds a transaction amount to the currency's configured `decimalPlaces`, silently. Whole-unit
   * amounts survive any configuration; for an amount with a fraction, read the loan's currency precision first and
   * refuse what would be rounded (KES configured with 0 places and KES 10.50 posted).
   */
  private async checkTenantPrecision(loanId: string, amount: PostRepaymentInput['amount']): Promise<void> {
    const exponent = currencyExponent(amount.currency);
    if (exponent === 0 || amount.amountMinor % 10n ** BigInt(exponent) === 0n) return;
    const loan = await this.fetchLoan(loanId, null, 'postRepayment');
    const loanCurrency = fineractCurrency(loan.currency);
    if (loanCurrency !== amount.currency) {
      throw new ConnectorError(
        ID,
        'REQUEST_ENCODING_FAILED',
        `The loan is in ${loanCurrency}, the repayment in ${amount.currency}`,
      );
    }
    const places = loan.currency.decimalPlaces ?? exponent;
    const granularity = 10n ** BigInt(Math.max(0, exponent - places));
    if (amount.amountMinor % granularity !== 0n) {
      throw new ConnectorError(
        ID,
        'REQUEST_ENCODING_FAILED',
        `Fineract keeps ${amount.currency} with ${places} decimal places; the amount would be rounded`,
      );
    }
  }

  /** Fineract refuses future transaction dates (403): the date is the tenant-local date, at most today. */
  private clampedDate(instant: Date): string {
    const now = this.now();
    return localDate(instant.getTime() > now.getTime() ? now : instant, this.timeZone);
  }

  private numericId(value: string, what: string): string {
    if (!NUMERIC_ID.test(value))
      throw new ConnectorError(ID, 'REQUEST_ENCODING_FAILED', `A Fineract ${what} id is numeric`);
    return value;
  }

  private checkExternalId(value: string, field: string): void {
    if (!value || value.length > FINERACT_EXTERNAL_ID_MAX) {
      throw new ConnectorError(
        ID,
        'REQUEST_ENCODING_FAILED',
        `Fineract ${field} must be 1-${FINERACT_EXTERNAL_ID_MAX} characters`,
      );
    }
  }
}
