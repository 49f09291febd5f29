import { z } from 'zod';
import { ConnectorError } from '../../errors';
import {
  ConnectorHttpClient,
  parseRetryAfter,
  type ConnectorRequest,
  type ProviderResponse,
} from '../../http';
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
import { isKnownCurrency } from '../../../domain/money';
import type { Logger } from '../../../logger';
import {
  decodeMambu,
  MambuClientSchema,
  MambuLoanAccountSchema,
  MambuScheduleSchema,
  MambuTransactionSchema,
  mambuClientToBorrower,
  mambuInstallmentToLender,
  mambuLoanCurrency,
  mambuLoanToLender,
  mambuNextDueDate,
  mambuRawLoanKey,
  mambuTransactionHasCurrency,
  mambuTransactionToLender,
  mightBeDuplicateExternalId,
  readMambuError,
  type MambuRepaymentRequest,
  type MambuTransaction,
} from './transformers';
import {
  MAMBU_CONNECTOR_ID as ID,
  MAMBU_DEFAULT_PAGE_SIZE,
  MAMBU_MAX_PAGE_SIZE,
  MAMBU_NOTES_MAX,
  MAMBU_V2_ACCEPT,
  type MambuCredentials,
} from './types';

const ArrayOfUnknown = z.array(z.unknown());

/**
 * Turns a non-2xx Mambu answer into a {@link ConnectorError}, keeping the first `errorReason` as `providerCode`.
 * 102 "already submitted and is currently being processed" (same Idempotency-Key in flight) is retryable.
 */
export function mapMambuError(response: ProviderResponse): ConnectorError {
  const { status } = response;
  const err = readMambuError(response.data);
  const base = {
    httpStatus: status,
    providerCode: err?.reason ?? undefined,
    // Mambu errors carry no prose; the field the error is about (`errorSource`) is the useful detail.
    providerMessage: err?.source ?? undefined,
    providerRequestId: response.headers['x-request-id'],
  };
  const reason = err?.reason ?? String(status);
  if (status === 102) {
    return new ConnectorError(
      ID,
      'PROVIDER_UNAVAILABLE',
      'Mambu is still processing a request with this Idempotency-Key',
      { ...base, retryable: true },
    );
  }
  if (status === 401 || status === 403) {
    return new ConnectorError(
      ID,
      'AUTH_CONFIG_INVALID',
      `Mambu rejected the credentials or permissions (${reason})`,
      { ...base, retryable: false },
    );
  }
  if (status === 404)
    return new ConnectorError(ID, 'NOT_FOUND', `Mambu resource not found (${reason})`, base);
  if (status === 429) {
    return new ConnectorError(ID, 'RATE_LIMITED', 'Mambu rate limit reached', {
      ...base,
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    });
  }
  if (status === 408 || status === 409 || status === 425 || status >= 500) {
    return new ConnectorError(ID, 'PROVIDER_UNAVAILABLE', `Mambu is temporarily unavailable (${status})`, {
      ...base,
      retryable: true,
    });
  }
  return new ConnectorError(ID, 'DECLINED', `Mambu refused the request (${reason})`, base);
}

type CursorMode = 'all' | 'modified';

/** Opaque, resumable list cursor: the next offset and which listing it belongs to. */
export function encodeMambuCursor(offset: number, mode: CursorMode): string {
  return Buffer.from(JSON.stringify({ c: ID, v: 1, o: offset, m: mode })).toString('base64url');
}

/** @throws ConnectorError REQUEST_ENCODING_FAILED for a cursor this connector did not issue for this listing. */
export function decodeMambuCursor(cursor: string | null, mode: CursorMode): number {
  if (cursor === null || cursor === '') return 0;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      c?: unknown;
      v?: unknown;
      o?: unknown;
      m?: unknown;
    };
    if (
      parsed.c === ID &&
      parsed.v === 1 &&
      parsed.m === mode &&
      typeof parsed.o === 'number' &&
      Number.isSafeInteger(parsed.o) &&
      parsed.o >= 0
    ) {
      return parsed.o;
    }
  } catch {
    // fall through
  }
  throw new ConnectorError(
    ID,
    'REQUEST_ENCODING_FAILED',
    'The list cursor was not issued by the Mambu connector for this listing',
  );
}

/** Mambu date-time without milliseconds (`yyyy-MM-dd'T'HH:mm:ssXXX`), in UTC. */
export function mambuDateTime(instant: Date): string {
  return `${instant.toISOString().slice(0, 19)}+00:00`;
}

/**
 * Serialises a repayment body with `amount` as a raw JSON number written from the exact decimal string, so the
 * amount never passes through a JS float on its way out.
 */
export function mambuRepaymentJson(body: MambuRepaymentRequest): string {
  if (!/^\d+(\.\d+)?$/.test(body.amount))
    throw new ConnectorError(ID, 'REQUEST_ENCODING_FAILED', 'Repayment amount is not a decimal');
  const marker = '__lipa_amount__';
  return JSON.stringify({ ...body, amount: marker }).replace(JSON.stringify(marker), body.amount);
}

function headerInt(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value.trim())) return null;
  return Number(value.trim());
}

function pathSegment(value: string, what: string): string {
  if (!value || value.length > 64 || /[/?#\s]/.test(value))
    throw new ConnectorError(ID, 'REQUEST_ENCODING_FAILED', `Invalid Mambu ${what} id`);
  return encodeURIComponent(value);
}

function clampText(value: string, max: number): string {
  const t = value.trim();
  return t.length > max ? t.slice(0, max) : t;
}

/**
 * Mambu API v2 connector. Stateless; every call goes through {@link ConnectorHttpClient} with
 * `Accept: application/vnd.mambu.v2+json` and either the `apiKey` header or HTTP Basic. See README.md.
 */
export class MambuConnector implements LendingSystemConnector {
  readonly kind = 'MAMBU' as const;

  /** Mambu filters loans by `lastModifiedDate` (`POST /loans:search`), so incremental sync is native. */
  readonly capabilities: LendingCapabilities = Object.freeze({
    incrementalSync: 'native',
    idempotencyKey: true,
    externalIdLookup: true,
    reversal: true,
  });

  private readonly http: ConnectorHttpClient;
  private readonly credentials: MambuCredentials;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private readonly defaultCurrency: string | null;

  constructor(config: ConnectorConfig<MambuCredentials>, runtime: ConnectorRuntime) {
    if (!config.baseUrl)
      throw new ConnectorError(
        ID,
        'AUTH_CONFIG_INVALID',
        'Mambu needs a base URL (https://{tenant}.mambu.com/api)',
      );
    this.credentials = config.credentials;
    this.logger = runtime.logger.child({ connector: ID });
    this.now = runtime.now ?? (() => new Date());
    this.defaultCurrency = config.credentials.defaultCurrency?.toUpperCase() ?? null;
    const auth: Record<string, string> =
      'apiKey' in config.credentials
        ? { apiKey: config.credentials.apiKey }
        : {
            Authorization: `Basic ${Buffer.from(`${config.credentials.username}:${config.credentials.password}`).toString('base64')}`,
          };
    this.http = new ConnectorHttpClient({
      ...runtime.http,
      connector: ID,
      baseUrl: config.baseUrl.replace(/\/+$/, ''),
      logger: runtime.logger,
      headers: () => ({ Accept: MAMBU_V2_ACCEPT, ...auth }),
      mapError: mapMambuError,
    });
  }

  /**
   * Full listing: `GET /loans?offset&limit&paginationDetails=ON&detailsLevel=FULL`. Incremental: `POST
   * /loans:search` with `lastModifiedDate AFTER_INCLUSIVE modifiedSince`, sorted by `encodedKey` so a loan modified
   * while the sync pages cannot shift unmodified loans out of view (it can only appear twice, which is harmless).
   */
  async listLoans(input: ListLoansInput): Promise<LoanPage> {
    const mode: CursorMode = input.modifiedSince ? 'modified' : 'all';
    const offset = decodeMambuCursor(input.cursor, mode);
    const limit = Math.min(
      Math.max(1, Math.floor(input.pageSize ?? MAMBU_DEFAULT_PAGE_SIZE)),
      MAMBU_MAX_PAGE_SIZE,
    );
    const query = { offset, limit, paginationDetails: 'ON', detailsLevel: 'FULL' };
    const res = input.modifiedSince
      ? await this.search({
          path: '/loans:search',
          query,
          body: {
            filterCriteria: [
              {
                field: 'lastModifiedDate',
                operator: 'AFTER_INCLUSIVE',
                value: mambuDateTime(input.modifiedSince),
              },
            ],
            sortingCriteria: { field: 'encodedKey', order: 'ASC' },
          },
          operation: 'listLoans',
        })
      : await this.http.request({ method: 'GET', path: '/loans', query, operation: 'listLoans' });
    const items = decodeMambu(ArrayOfUnknown, res.data, 'loan page');
    const loans: LenderLoan[] = [];
    const failures: LoanReadFailure[] = [];
    for (const item of items) {
      try {
        loans.push(
          mambuLoanToLender(decodeMambu(MambuLoanAccountSchema, item, 'loan'), this.defaultCurrency),
        );
      } catch (err) {
        if (!(err instanceof ConnectorError)) throw err;
        failures.push({ externalId: mambuRawLoanKey(item), message: err.message });
      }
    }
    if (failures.length)
      this.logger.warn(
        { op: 'listLoans', offset, failed: failures.length },
        'some loans in the page could not be read',
      );
    const total = headerInt(res.headers['items-total']);
    const servedOffset = headerInt(res.headers['items-offset']);
    if (servedOffset !== null && servedOffset !== offset) {
      // A page that does not start where asked would silently skip or repeat loans: stop instead.
      throw new ConnectorError(
        ID,
        'RESPONSE_DECODING_FAILED',
        `Mambu served offset ${servedOffset} for offset ${offset}`,
      );
    }
    // Mambu may serve fewer than asked (its own cap); Items-Limit says what a full page is.
    const pageLimit = headerInt(res.headers['items-limit']) ?? limit;
    const next = offset + items.length;
    // Without Items-Total (paginationDetails ignored) a full page means "maybe more".
    const more = items.length > 0 && (total !== null ? next < total : items.length >= pageLimit);
    return { loans, failures, nextCursor: more ? encodeMambuCursor(next, mode) : null, total };
  }

  /** `GET /loans/{id}?detailsLevel=FULL` and `GET /loans/{id}/schedule`, in parallel. */
  async getLoan(input: { loanExternalId: string }): Promise<LenderLoan> {
    const key = pathSegment(input.loanExternalId, 'loan');
    // Settled, not raced: no request is left in flight when this call returns or throws.
    const [loanRes, scheduleRes] = await Promise.allSettled([
      this.http.request({
        method: 'GET',
        path: `/loans/${key}`,
        query: { detailsLevel: 'FULL' },
        operation: 'getLoan',
      }),
      this.http.request({ method: 'GET', path: `/loans/${key}/schedule`, operation: 'getLoanSchedule' }),
    ]);
    if (loanRes.status === 'rejected') throw loanRes.reason;
    if (scheduleRes.status === 'rejected') throw scheduleRes.reason;
    const loan = mambuLoanToLender(
      decodeMambu(MambuLoanAccountSchema, loanRes.value.data, 'loan'),
      this.defaultCurrency,
    );
    const schedule = decodeMambu(MambuScheduleSchema, scheduleRes.value.data, 'schedule');
    const installments = schedule.installments.map((inst, i) =>
      mambuInstallmentToLender(inst, i, loan.currency),
    );
    return {
      ...loan,
      installments,
      nextDueDate: mambuNextDueDate(installments, this.now().toISOString().slice(0, 10)),
    };
  }

  /** `GET /clients/{encodedKey}`. Group account holders are not read (no phone on a group). */
  async getBorrower(input: { borrowerExternalId: string }): Promise<LenderBorrower> {
    const key = pathSegment(input.borrowerExternalId, 'client');
    const res = await this.http.request({
      method: 'GET',
      path: `/clients/${key}`,
      query: { detailsLevel: 'FULL' },
      operation: 'getBorrower',
    });
    return mambuClientToBorrower(decodeMambu(MambuClientSchema, res.data, 'client'));
  }

  /**
   * `POST /loans/{id}/repayment-transactions` (201) with `Idempotency-Key` and `externalId`. A refusal that may be
   * a reused external id is resolved by searching for it: found means already posted.
   */
  async postRepayment(input: PostRepaymentInput): Promise<PostedRepayment> {
    const key = pathSegment(input.loanExternalId, 'loan');
    if (input.amount.amountMinor <= 0n)
      throw new ConnectorError(ID, 'REQUEST_ENCODING_FAILED', 'Repayment amount must be positive');
    if (!isKnownCurrency(input.amount.currency))
      throw new ConnectorError(
        ID,
        'CURRENCY_UNSUPPORTED',
        `Currency ${input.amount.currency} is not supported`,
      );
    if (!input.externalId)
      throw new ConnectorError(ID, 'REQUEST_ENCODING_FAILED', 'Repayment needs an external id');
    const now = this.now();
    const body: MambuRepaymentRequest = {
      amount: toProviderAmount(ID, input.amount, { kind: 'major' }),
      valueDate: mambuDateTime(input.valueDate.getTime() > now.getTime() ? now : input.valueDate),
      externalId: input.externalId,
    };
    const notes = [
      input.note?.trim(),
      input.receiptNumber ? `receipt ${input.receiptNumber.trim()}` : undefined,
    ]
      .filter(Boolean)
      .join(' | ');
    if (notes) body.notes = clampText(notes, MAMBU_NOTES_MAX);
    const channelId = input.channel ? this.credentials.transactionChannelIds?.[input.channel] : undefined;
    if (channelId) body.transactionDetails = { transactionChannelId: channelId };

    let res: ProviderResponse;
    try {
      res = await this.http.request({
        method: 'POST',
        path: `/loans/${key}/repayment-transactions`,
        body: mambuRepaymentJson(body),
        idempotencyKey: input.idempotencyKey,
        operation: 'postRepayment',
      });
    } catch (err) {
      if (
        err instanceof ConnectorError &&
        err.httpStatus === 400 &&
        mightBeDuplicateExternalId(err.providerCode, err.providerMessage)
      ) {
        const existing = await this.findTransactionByExternalId({
          loanExternalId: input.loanExternalId,
          externalId: input.externalId,
        });
        if (existing) return this.alreadyPosted(input, existing);
      }
      if (err instanceof ConnectorError && err.code === 'OUTCOME_UNKNOWN') {
        const found = await this.findTransactionByExternalId({
          loanExternalId: input.loanExternalId,
          externalId: input.externalId,
        }).catch(() => null);
        if (found && !found.reversed)
          return { transactionId: found.transactionId, externalId: input.externalId, alreadyPosted: true };
      }
      throw err;
    }
    const tx = decodeMambu(MambuTransactionSchema, res.data, 'repayment result');
    return { transactionId: tx.encodedKey, externalId: input.externalId, alreadyPosted: false };
  }

  /**
   * `POST /loans/transactions/{key}:adjust` with `notes` (Mambu has no field for a reversal id, so Lipa's goes into
   * the notes). An original that already has `adjustmentTransactionKey` is reported as already reversed.
   * Mambu books the adjustment at the current date; `input.date` is not sent.
   */
  async reverseRepayment(input: ReverseRepaymentInput): Promise<ReversedRepayment> {
    const tx = input.transactionId
      ? await this.transactionByKey(input.transactionId)
      : await this.searchByExternalId(input.loanExternalId, input.externalId);
    if (!tx) throw new ConnectorError(ID, 'NOT_FOUND', 'Mambu has no repayment with this id on the loan');
    if (tx.externalId && tx.externalId !== input.externalId) {
      throw new ConnectorError(ID, 'DECLINED', 'The Mambu transaction carries another external id', {
        providerCode: 'EXTERNAL_ID_MISMATCH',
      });
    }
    if (tx.adjustmentTransactionKey) return { transactionId: tx.encodedKey, alreadyReversed: true };
    const base = input.note.trim() || 'Reversed by Lipa';
    const notes = clampText(`${base} [${input.reversalExternalId}]`, MAMBU_NOTES_MAX);
    try {
      await this.http.request({
        method: 'POST',
        path: `/loans/transactions/${pathSegment(tx.encodedKey, 'transaction')}:adjust`,
        body: { notes },
        idempotencyKey: input.idempotencyKey,
        operation: 'reverseRepayment',
      });
    } catch (err) {
      if (err instanceof ConnectorError && err.code === 'DECLINED') {
        const again = await this.transactionByKey(tx.encodedKey).catch(() => null);
        if (again?.adjustmentTransactionKey) return { transactionId: tx.encodedKey, alreadyReversed: true };
      }
      throw err;
    }
    return { transactionId: tx.encodedKey, alreadyReversed: false };
  }

  /** All pages of `GET /loans/{id}/transactions`, oldest first. */
  async listTransactions(input: { loanExternalId: string }): Promise<LenderTransaction[]> {
    const key = pathSegment(input.loanExternalId, 'loan');
    const all: MambuTransaction[] = [];
    for (let offset = 0, page = 0; page < 100; page++) {
      const res = await this.http.request({
        method: 'GET',
        path: `/loans/${key}/transactions`,
        query: { offset, limit: MAMBU_MAX_PAGE_SIZE, paginationDetails: 'ON', detailsLevel: 'FULL' },
        operation: 'listTransactions',
      });
      const items = decodeMambu(ArrayOfUnknown, res.data, 'transaction page');
      for (const item of items) all.push(decodeMambu(MambuTransactionSchema, item, 'transaction'));
      offset += items.length;
      const total = headerInt(res.headers['items-total']);
      if (items.length === 0 || (total !== null ? offset >= total : items.length < MAMBU_MAX_PAGE_SIZE))
        break;
    }
    const fallback = all.some((t) => !mambuTransactionHasCurrency(t))
      ? await this.loanCurrency(input.loanExternalId)
      : null;
    return all
      .map((t, i) => ({ t, i, lt: mambuTransactionToLender(t, fallback) }))
      .sort(
        (a, b) =>
          a.lt.date.localeCompare(b.lt.date) ||
          (a.t.creationDate ?? '').localeCompare(b.t.creationDate ?? '') ||
          a.i - b.i,
      )
      .map(({ lt }) => lt);
  }

  /** `POST /loans/transactions:search` on `externalId`, restricted to this loan; null when none. */
  async findTransactionByExternalId(input: {
    loanExternalId: string;
    externalId: string;
  }): Promise<LenderTransaction | null> {
    const tx = await this.searchByExternalId(input.loanExternalId, input.externalId);
    if (!tx) return null;
    const fallback = mambuTransactionHasCurrency(tx) ? null : await this.loanCurrency(input.loanExternalId);
    return mambuTransactionToLender(tx, fallback);
  }

  // -------------------------------------------------------------------------------------------------------------

  /** A read-only POST (`:search`): retried like a GET, and never "outcome unknown". */
  private async search(req: Omit<ConnectorRequest, 'method' | 'retryable'>): Promise<ProviderResponse> {
    try {
      return await this.http.request({ ...req, method: 'POST', retryable: true });
    } catch (err) {
      if (err instanceof ConnectorError && err.code === 'OUTCOME_UNKNOWN') {
        throw new ConnectorError(ID, 'PROVIDER_UNAVAILABLE', 'Mambu did not answer a search', { cause: err });
      }
      throw err;
    }
  }

  private async searchByExternalId(
    loanExternalId: string,
    externalId: string,
  ): Promise<MambuTransaction | null> {
    const res = await this.search({
      path: '/loans/transactions:search',
      query: { offset: 0, limit: 10, detailsLevel: 'FULL' },
      body: { filterCriteria: [{ field: 'externalId', operator: 'EQUALS', value: externalId }] },
      operation: 'findTransactionByExternalId',
    });
    const txs = decodeMambu(ArrayOfUnknown, res.data, 'transaction search').map((raw) =>
      decodeMambu(MambuTransactionSchema, raw, 'transaction'),
    );
    // Mambu keeps external ids unique tenant-wide; a match on another loan is not this loan's repayment.
    const mine = txs.filter(
      (t) =>
        t.externalId === externalId && (t.parentAccountKey == null || t.parentAccountKey === loanExternalId),
    );
    return mine.find((t) => t.type === 'REPAYMENT') ?? mine[0] ?? null;
  }

  private async transactionByKey(transactionId: string): Promise<MambuTransaction | null> {
    try {
      const res = await this.http.request({
        method: 'GET',
        path: `/loans/transactions/${pathSegment(transactionId, 'transaction')}`,
        query: { detailsLevel: 'FULL' },
        operation: 'getTransaction',
      });
      return decodeMambu(MambuTransactionSchema, res.data, 'transaction');
    } catch (err) {
      if (err instanceof ConnectorError && err.code === 'NOT_FOUND') return null;
      throw err;
    }
  }

  /** The loan's own currency (one extra call, only when transactions omit theirs); `defaultCurrency` as fallback. */
  private async loanCurrency(loanExternalId: string): Promise<string> {
    const res = await this.http.request({
      method: 'GET',
      path: `/loans/${pathSegment(loanExternalId, 'loan')}`,
      query: { detailsLevel: 'BASIC' },
      operation: 'getLoanCurrency',
    });
    return mambuLoanCurrency(
      decodeMambu(MambuLoanAccountSchema.pick({ currencyCode: true, currency: true }), res.data, 'loan'),
      this.defaultCurrency,
    );
  }

  private alreadyPosted(input: PostRepaymentInput, existing: LenderTransaction): PostedRepayment {
    if (
      existing.amount.currency !== input.amount.currency ||
      existing.amount.amountMinor !== input.amount.amountMinor
    ) {
      throw new ConnectorError(
        ID,
        'DECLINED',
        'Mambu already has a transaction with this external id but a different amount',
        {
          providerCode: 'EXTERNAL_ID_AMOUNT_MISMATCH',
        },
      );
    }
    if (existing.reversed)
      this.logger.warn(
        { op: 'postRepayment', transactionId: existing.transactionId },
        'the already-posted repayment has been adjusted at the lender',
      );
    return { transactionId: existing.transactionId, externalId: input.externalId, alreadyPosted: true };
  }
}
