/**
 * The shared contract every lending-system connector passes. Each connector's test file supplies a harness that
 * knows the provider's wire format (nock interceptors and replies built from the documented payloads in
 * shared/reference/lending.md, stored under test/fixtures/<provider>/); the scenarios below are the same for every
 * lending system.
 */
import nock from 'nock';
import { ConnectorError } from '../../../src/connectors/errors';
import type {
  ConnectorRuntime,
  LenderBorrower,
  LenderInstallment,
  LenderLoan,
  LenderTransaction,
  LendingSystemConnector,
  PostRepaymentInput,
  ReverseRepaymentInput,
} from '../../../src/connectors/types';
import { testRuntime } from '../../helpers/nock';

/** One HTTP answer from the provider. A string body is sent as is (HTML, broken JSON). */
export interface ProviderReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** One attempt in a sequence: an answer, or an answer delayed past the client's timeout. */
export type Step = ProviderReply | { delayMs: number; reply: ProviderReply };

/** What an interceptor saw (headers lower-cased). */
export interface SeenRequest {
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

export interface LendingHarness {
  /** Display name ("Apache Fineract"). */
  name: string;
  /** Expected `capabilities.incrementalSync`. */
  incrementalSync: 'native' | 'scan';
  /** The clock the scenarios run at (repayment and reversal dates are before it). */
  now: Date;
  /** Builds the connector pointed at the nock host. */
  build(runtime: ConnectorRuntime): LendingSystemConnector;

  // Listing ----------------------------------------------------------------------------------------------------
  /** Page size the paging scenario asks for. */
  pageSize: number;
  /** Expected loan external ids on each of the (at least three) fixture pages. */
  pageIds: string[][];
  /** Expected `total` on every page. */
  total: number;
  /** Intercepts the list call for fixture page `index` (0-based) at {@link pageSize}, asserting paging params. */
  mockListPage(index: number): nock.Scope;
  /** Intercepts one first-page list call (any page size) answering `reply`. */
  mockListReply(reply: ProviderReply): nock.Scope;
  /** A list-page reply holding these raw provider items. */
  listPageOf(items: unknown[]): ProviderReply;
  /** A list-page reply whose envelope itself is unreadable (not just one item). */
  brokenListPage: ProviderReply;
  /** A fresh, valid raw loan as the list returns it. */
  rawLoan(): Record<string, unknown>;
  /** Gives a raw loan another identity (mutates) and returns the external id the connector should report. */
  setRawLoanId(item: Record<string, unknown>, n: number): string;
  /** Removes a required field from a raw loan (mutates). */
  breakRawLoan(item: Record<string, unknown>): void;
  /** Sets the raw loan's currency code (mutates). */
  setRawLoanCurrency(item: Record<string, unknown>, code: string): void;

  // Incremental sync -------------------------------------------------------------------------------------------
  /** Intercepts the first page of an incremental listing from `since`, asserting the provider-specific request. */
  mockIncremental(since: Date): nock.Scope;
  /** External ids the incremental page returns. */
  incrementalIds: string[];

  // Loans and borrowers ----------------------------------------------------------------------------------------
  loanExternalId: string;
  /** Intercepts everything `getLoan` calls, with the fixture loan or `loanReply` in place of it. */
  mockGetLoan(loanReply?: ProviderReply): nock.Scope;
  /** A fresh copy of the fixture loan reply (mutable, for decoding scenarios). */
  loanReply(): ProviderReply & { body: Record<string, unknown> };
  /** Removes a field the connector needs from a single-loan body (mutates). */
  breakLoanBody(body: Record<string, unknown>): void;
  expectedLoan: Omit<LenderLoan, 'installments'>;
  expectedInstallmentCount: number;
  /** One installment, compared exactly. */
  expectedInstallment: LenderInstallment;
  borrowerExternalId: string;
  mockGetBorrower(): nock.Scope;
  expectedBorrower: LenderBorrower;

  // Repayments -------------------------------------------------------------------------------------------------
  repayment: PostRepaymentInput;
  /** Intercepts one repayment POST per step, in order, reporting what each attempt sent. */
  mockRepayment(steps: Step[], onRequest?: (seen: SeenRequest) => void): nock.Scope;
  /** Asserts the provider-specific body of the repayment (exact keys, amount as the provider wants it). */
  assertRepaymentBody(body: unknown): void;
  postedTransactionId: string;
  /** Intercepts the external-id lookup of the fixture repayment: found, found reversed, or absent. */
  mockLookup(kind: 'posted' | 'reversed' | 'missing'): nock.Scope;
  /** The fixture repayment as {@link LendingSystemConnector.findTransactionByExternalId} returns it. */
  expectedPostedTransaction: LenderTransaction;
  reversal: ReverseRepaymentInput;
  /** Intercepts one reversal POST per step. */
  mockReverse(steps: Step[], onRequest?: (seen: SeenRequest) => void): nock.Scope;
  assertReverseBody(body: unknown): void;
  reversedTransactionId: string;
  /** Intercepts what `listTransactions` calls. */
  mockListTransactions(): nock.Scope;
  expectedTransactions: LenderTransaction[];

  // Provider answers -------------------------------------------------------------------------------------------
  replies: {
    accepted: ProviderReply;
    reverseAccepted: ProviderReply;
    duplicate: ProviderReply;
    /** A business validation refusal (4xx). */
    validation: ProviderReply;
    serverError: ProviderReply;
    /** 409: Fineract's COB lock, Mambu's concurrent modification. */
    locked: ProviderReply;
    unauthorized: ProviderReply;
    /** A gateway's HTML error page. */
    html502: ProviderReply;
  };
}

/** Adds one interceptor per step to `interceptorFor()`, recording each request. */
export function replySteps(
  interceptorFor: () => nock.Interceptor,
  steps: Step[],
  onRequest?: (seen: SeenRequest) => void,
): nock.Scope {
  let scope: nock.Scope | undefined;
  for (const step of steps) {
    const interceptor = interceptorFor();
    const reply = 'delayMs' in step ? step.reply : step;
    const chained = 'delayMs' in step ? interceptor.delay(step.delayMs) : interceptor;
    scope = chained.reply(function (this: nock.ReplyFnContext, _uri: string, body: nock.Body) {
      onRequest?.({ body, headers: this.req.headers as Record<string, string | string[] | undefined> });
      return [reply.status, reply.body as nock.Body, reply.headers ?? {}];
    });
  }
  if (!scope) throw new Error('replySteps needs at least one step');
  return scope;
}

async function caught(promise: Promise<unknown>): Promise<ConnectorError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectorError);
    return err as ConnectorError;
  }
  throw new Error('expected the call to fail');
}

/** Declares the lending contract for one connector. */
export function runLendingContract(h: LendingHarness): void {
  describe(`${h.name}: lending contract`, () => {
    let connector: LendingSystemConnector;
    const runtimeWith = (http: ConnectorRuntime['http'] = {}) =>
      testRuntime({
        now: () => new Date(h.now),
        http: { baseDelayMs: 0, maxRetries: 2, timeoutMs: 2000, ...http },
      });

    beforeEach(() => {
      connector = h.build(runtimeWith());
    });

    describe('listing', () => {
      it(`declares ${h.incrementalSync} incremental sync and the write capabilities`, () => {
        expect(connector.capabilities).toEqual({
          incrementalSync: h.incrementalSync,
          idempotencyKey: true,
          externalIdLookup: true,
          reversal: true,
        });
      });

      it('pages through every loan with an opaque cursor that resumes in a fresh connector', async () => {
        expect(h.pageIds.length).toBeGreaterThanOrEqual(3);
        const seen: string[] = [];
        let cursor: string | null = null;
        for (let i = 0; i < h.pageIds.length; i++) {
          // A new connector per page: the cursor alone must carry the position (a crashed sync resumes from it).
          const fresh = h.build(runtimeWith());
          const scope = h.mockListPage(i);
          const page = await fresh.listLoans({ cursor, pageSize: h.pageSize });
          scope.done();
          expect(page.failures).toEqual([]);
          expect(page.loans.map((l) => l.externalId)).toEqual(h.pageIds[i]);
          expect(page.total).toBe(h.total);
          seen.push(...page.loans.map((l) => l.externalId));
          if (i < h.pageIds.length - 1) {
            expect(typeof page.nextCursor).toBe('string');
            cursor = JSON.parse(JSON.stringify(page.nextCursor)) as string;
          } else {
            expect(page.nextCursor).toBeNull();
          }
        }
        expect(new Set(seen).size).toBe(h.total);
      });

      it('refuses a cursor it did not issue', async () => {
        const err = await caught(connector.listLoans({ cursor: 'bm90LWEtY3Vyc29y', pageSize: h.pageSize }));
        expect(err.code).toBe('REQUEST_ENCODING_FAILED');
      });

      it('lists changed loans for an incremental sync', async () => {
        const since = new Date('2024-08-19T00:00:00Z');
        const scope = h.mockIncremental(since);
        const page = await connector.listLoans({ cursor: null, pageSize: h.pageSize, modifiedSince: since });
        scope.done();
        expect(page.loans.map((l) => l.externalId)).toEqual(h.incrementalIds);
        // A scan returns every loan with the figures the service fingerprints, so unchanged loans cost no write.
        for (const loan of page.loans) {
          expect(loan.outstanding.currency).toBe(loan.currency);
          expect(typeof loan.outstanding.amountMinor).toBe('bigint');
        }
      });

      it('returns one unreadable loan as a failure and keeps the others', async () => {
        const good1 = h.rawLoan();
        const id1 = h.setRawLoanId(good1, 901);
        const bad = h.rawLoan();
        const badId = h.setRawLoanId(bad, 902);
        h.breakRawLoan(bad);
        const good2 = h.rawLoan();
        const id2 = h.setRawLoanId(good2, 903);
        const scope = h.mockListReply(h.listPageOf([good1, bad, good2]));
        const page = await connector.listLoans({ cursor: null, pageSize: h.pageSize });
        scope.done();
        expect(page.loans.map((l) => l.externalId)).toEqual([id1, id2]);
        expect(page.failures).toHaveLength(1);
        expect(page.failures[0].externalId).toBe(badId);
        expect(page.failures[0].message).toMatch(/unexpected shape|missing/);
      });

      it('reports a loan in a currency Lipa does not know as a failure entry', async () => {
        const good = h.rawLoan();
        const goodId = h.setRawLoanId(good, 911);
        const foreign = h.rawLoan();
        const foreignId = h.setRawLoanId(foreign, 912);
        h.setRawLoanCurrency(foreign, 'XYZ');
        const scope = h.mockListReply(h.listPageOf([foreign, good]));
        const page = await connector.listLoans({ cursor: null, pageSize: h.pageSize });
        scope.done();
        expect(page.loans.map((l) => l.externalId)).toEqual([goodId]);
        expect(page.failures).toEqual([{ externalId: foreignId, message: expect.stringContaining('XYZ') }]);
      });

      it('fails the page with RESPONSE_DECODING_FAILED when the page itself is unreadable', async () => {
        const scope = h.mockListReply(h.brokenListPage);
        const err = await caught(connector.listLoans({ cursor: null, pageSize: h.pageSize }));
        scope.done();
        expect(err.code).toBe('RESPONSE_DECODING_FAILED');
      });

      it('honours Retry-After on 429 and then succeeds', async () => {
        const limited = h.mockListReply({ status: 429, body: '', headers: { 'Retry-After': '1' } });
        const ok = h.mockListReply(h.listPageOf([h.rawLoan()]));
        const started = Date.now();
        const page = await connector.listLoans({ cursor: null, pageSize: h.pageSize });
        const elapsed = Date.now() - started;
        limited.done();
        ok.done();
        expect(page.loans).toHaveLength(1);
        // Backoff is 0 in tests, so only Retry-After can explain the wait.
        expect(elapsed).toBeGreaterThanOrEqual(900);
      });

      it('surfaces RATE_LIMITED with the provider wait once retries are spent', async () => {
        const limited = h.build(runtimeWith({ maxRetries: 0 }));
        const scope = h.mockListReply({ status: 429, body: '', headers: { 'Retry-After': '7' } });
        const err = await caught(limited.listLoans({ cursor: null, pageSize: h.pageSize }));
        scope.done();
        expect(err.code).toBe('RATE_LIMITED');
        expect(err.retryable).toBe(true);
        expect(err.retryAfterMs).toBe(7000);
      });

      it('maps 401 to AUTH_CONFIG_INVALID and does not retry', async () => {
        const first = h.mockListReply(h.replies.unauthorized);
        const second = h.mockListReply(h.listPageOf([h.rawLoan()]));
        const err = await caught(connector.listLoans({ cursor: null, pageSize: h.pageSize }));
        first.done();
        expect(second.pendingMocks()).toHaveLength(1);
        expect(err.code).toBe('AUTH_CONFIG_INVALID');
        expect(err.retryable).toBe(false);
      });

      it('retries a gateway HTML 502 and reads the next answer', async () => {
        const gateway = h.mockListReply(h.replies.html502);
        const ok = h.mockListReply(h.listPageOf([h.rawLoan()]));
        const page = await connector.listLoans({ cursor: null, pageSize: h.pageSize });
        gateway.done();
        ok.done();
        expect(page.loans).toHaveLength(1);
      });

      it('treats an HTML page served with 200 as RESPONSE_DECODING_FAILED', async () => {
        const scope = h.mockListReply({ ...h.replies.html502, status: 200 });
        const err = await caught(connector.listLoans({ cursor: null, pageSize: h.pageSize }));
        scope.done();
        expect(err.code).toBe('RESPONSE_DECODING_FAILED');
      });
    });

    describe('loans and borrowers', () => {
      it('reads a loan with its schedule and delinquency as exact money', async () => {
        const scope = h.mockGetLoan();
        const loan = await connector.getLoan({ loanExternalId: h.loanExternalId });
        scope.done();
        const { installments, ...rest } = loan;
        expect(rest).toEqual(h.expectedLoan);
        expect(installments).toHaveLength(h.expectedInstallmentCount);
        expect(installments).toContainEqual(h.expectedInstallment);
        for (const i of installments!) {
          expect(i.totalDue.currency).toBe(h.expectedLoan.currency);
          expect(i.totalDue.amountMinor).toBe(i.totalPaid.amountMinor + i.totalOutstanding.amountMinor);
        }
      });

      it('rejects malformed JSON with RESPONSE_DECODING_FAILED', async () => {
        const scope = h.mockGetLoan({
          status: 200,
          body: '{"id": 42, "accountNo": ',
          headers: { 'Content-Type': 'application/json' },
        });
        const err = await caught(connector.getLoan({ loanExternalId: h.loanExternalId }));
        scope.done();
        expect(err.code).toBe('RESPONSE_DECODING_FAILED');
      });

      it('rejects a loan missing required fields with RESPONSE_DECODING_FAILED', async () => {
        const reply = h.loanReply();
        h.breakLoanBody(reply.body);
        const scope = h.mockGetLoan(reply);
        const err = await caught(connector.getLoan({ loanExternalId: h.loanExternalId }));
        scope.done();
        expect(err.code).toBe('RESPONSE_DECODING_FAILED');
      });

      it('rejects a loan with wrongly typed amounts with RESPONSE_DECODING_FAILED', async () => {
        const reply = h.loanReply();
        const scope = h.mockGetLoan({
          ...reply,
          body: JSON.parse(JSON.stringify(reply.body).replace(/1200000/g, 'true')) as unknown,
        });
        const err = await caught(connector.getLoan({ loanExternalId: h.loanExternalId }));
        scope.done();
        expect(err.code).toBe('RESPONSE_DECODING_FAILED');
      });

      it('refuses a single loan in an unknown currency with CURRENCY_UNSUPPORTED', async () => {
        const reply = h.loanReply();
        h.setRawLoanCurrency(reply.body, 'XYZ');
        const scope = h.mockGetLoan(reply);
        const err = await caught(connector.getLoan({ loanExternalId: h.loanExternalId }));
        scope.done();
        expect(err.code).toBe('CURRENCY_UNSUPPORTED');
      });

      it('maps 404 to NOT_FOUND without retrying', async () => {
        const scope = h.mockGetLoan({ status: 404, body: { errors: [] } });
        const err = await caught(connector.getLoan({ loanExternalId: h.loanExternalId }));
        scope.done();
        expect(err.code).toBe('NOT_FOUND');
        expect(err.retryable).toBe(false);
      });

      it('reads the borrower', async () => {
        const scope = h.mockGetBorrower();
        const borrower = await connector.getBorrower({ borrowerExternalId: h.borrowerExternalId });
        scope.done();
        expect(borrower).toEqual(h.expectedBorrower);
      });
    });

    describe('posting repayments', () => {
      it('posts the documented body with the idempotency key and returns the lender transaction', async () => {
        const seen: SeenRequest[] = [];
        const scope = h.mockRepayment([h.replies.accepted], (s) => seen.push(s));
        const out = await connector.postRepayment(h.repayment);
        scope.done();
        expect(out).toEqual({
          transactionId: h.postedTransactionId,
          externalId: h.repayment.externalId,
          alreadyPosted: false,
        });
        expect(seen).toHaveLength(1);
        expect(seen[0].headers['idempotency-key']).toBe(h.repayment.idempotencyKey);
        expect(String(seen[0].headers['content-type'])).toContain('application/json');
        h.assertRepaymentBody(seen[0].body);
      });

      it('recognises a duplicate external id as already posted and returns the existing transaction', async () => {
        const post = h.mockRepayment([h.replies.duplicate]);
        const lookup = h.mockLookup('posted');
        const out = await connector.postRepayment(h.repayment);
        post.done();
        lookup.done();
        expect(out).toEqual({
          transactionId: h.postedTransactionId,
          externalId: h.repayment.externalId,
          alreadyPosted: true,
        });
      });

      it('does not retry a business refusal (exactly one call)', async () => {
        const scope = h.mockRepayment([h.replies.validation, h.replies.accepted]);
        const err = await caught(connector.postRepayment(h.repayment));
        expect(err.code).toBe('DECLINED');
        expect(err.retryable).toBe(false);
        expect(scope.pendingMocks()).toHaveLength(1);
      });

      it('does not retry 401 and reports AUTH_CONFIG_INVALID', async () => {
        const scope = h.mockRepayment([h.replies.unauthorized, h.replies.accepted]);
        const err = await caught(connector.postRepayment(h.repayment));
        expect(err.code).toBe('AUTH_CONFIG_INVALID');
        expect(err.retryable).toBe(false);
        expect(scope.pendingMocks()).toHaveLength(1);
      });

      it('retries a 5xx with the same Idempotency-Key, then succeeds', async () => {
        const keys: unknown[] = [];
        const scope = h.mockRepayment(
          [h.replies.serverError, h.replies.serverError, h.replies.accepted],
          (s) => keys.push(s.headers['idempotency-key']),
        );
        const out = await connector.postRepayment(h.repayment);
        scope.done();
        expect(out.transactionId).toBe(h.postedTransactionId);
        expect(keys).toEqual([
          h.repayment.idempotencyKey,
          h.repayment.idempotencyKey,
          h.repayment.idempotencyKey,
        ]);
      });

      it('retries a timeout with the same Idempotency-Key, then succeeds', async () => {
        const quick = h.build(runtimeWith({ timeoutMs: 150 }));
        const keys: unknown[] = [];
        const scope = h.mockRepayment(
          [{ delayMs: 600, reply: h.replies.accepted }, h.replies.accepted],
          (s) => keys.push(s.headers['idempotency-key']),
        );
        const out = await quick.postRepayment(h.repayment);
        scope.done();
        expect(out.transactionId).toBe(h.postedTransactionId);
        expect(keys).toHaveLength(2);
        expect(keys[0]).toBe(h.repayment.idempotencyKey);
        expect(keys[1]).toBe(keys[0]);
      });

      it('reports OUTCOME_UNKNOWN when every attempt times out and the lender has no such transaction', async () => {
        const quick = h.build(runtimeWith({ timeoutMs: 100, maxRetries: 1 }));
        const post = h.mockRepayment([
          { delayMs: 400, reply: h.replies.accepted },
          { delayMs: 400, reply: h.replies.accepted },
        ]);
        const lookup = h.mockLookup('missing');
        const err = await caught(quick.postRepayment(h.repayment));
        post.done();
        lookup.done();
        expect(err.code).toBe('OUTCOME_UNKNOWN');
        expect(err.retryable).toBe(true);
      });

      it('settles a timed-out posting by external id when the lender did apply it', async () => {
        const quick = h.build(runtimeWith({ timeoutMs: 100, maxRetries: 0 }));
        const post = h.mockRepayment([{ delayMs: 400, reply: h.replies.accepted }]);
        const lookup = h.mockLookup('posted');
        const out = await quick.postRepayment(h.repayment);
        post.done();
        lookup.done();
        expect(out).toEqual({
          transactionId: h.postedTransactionId,
          externalId: h.repayment.externalId,
          alreadyPosted: true,
        });
      });

      it('retries a 409 (locked loan) with the same key, then succeeds', async () => {
        const keys: unknown[] = [];
        const scope = h.mockRepayment([h.replies.locked, h.replies.accepted], (s) =>
          keys.push(s.headers['idempotency-key']),
        );
        const out = await connector.postRepayment(h.repayment);
        scope.done();
        expect(out.alreadyPosted).toBe(false);
        expect(keys).toEqual([h.repayment.idempotencyKey, h.repayment.idempotencyKey]);
      });

      it('gives up on a lock that outlasts the retries as retryable PROVIDER_UNAVAILABLE', async () => {
        const scope = h.mockRepayment([h.replies.locked, h.replies.locked, h.replies.locked]);
        const err = await caught(connector.postRepayment(h.repayment));
        scope.done();
        expect(err.code).toBe('PROVIDER_UNAVAILABLE');
        expect(err.retryable).toBe(true);
      });
    });

    describe('reversals and transactions', () => {
      it('undoes a repayment found by its external id', async () => {
        const seen: SeenRequest[] = [];
        const lookup = h.mockLookup('posted');
        const undo = h.mockReverse([h.replies.reverseAccepted], (s) => seen.push(s));
        const out = await connector.reverseRepayment(h.reversal);
        lookup.done();
        undo.done();
        expect(out).toEqual({ transactionId: h.reversedTransactionId, alreadyReversed: false });
        expect(seen[0].headers['idempotency-key']).toBe(h.reversal.idempotencyKey);
        h.assertReverseBody(seen[0].body);
      });

      it('reports an already reversed repayment without calling the lender again', async () => {
        const lookup = h.mockLookup('reversed');
        const out = await connector.reverseRepayment(h.reversal);
        lookup.done();
        expect(out).toEqual({ transactionId: h.reversedTransactionId, alreadyReversed: true });
      });

      it('reports NOT_FOUND when there is nothing to reverse', async () => {
        const lookup = h.mockLookup('missing');
        const err = await caught(connector.reverseRepayment(h.reversal));
        lookup.done();
        expect(err.code).toBe('NOT_FOUND');
      });

      it('finds a repayment by external id, and null when there is none', async () => {
        const found = h.mockLookup('posted');
        expect(
          await connector.findTransactionByExternalId({
            loanExternalId: h.loanExternalId,
            externalId: h.repayment.externalId,
          }),
        ).toEqual(h.expectedPostedTransaction);
        found.done();
        const missing = h.mockLookup('missing');
        expect(
          await connector.findTransactionByExternalId({
            loanExternalId: h.loanExternalId,
            externalId: h.repayment.externalId,
          }),
        ).toBeNull();
        missing.done();
      });

      it('lists the loan transactions oldest first with exact amounts', async () => {
        const scope = h.mockListTransactions();
        const txs = await connector.listTransactions({ loanExternalId: h.loanExternalId });
        scope.done();
        expect(txs).toEqual(h.expectedTransactions);
      });
    });
  });
}
