import http from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { ConnectorError } from '../../../src/connectors/errors';
import {
  decodeMambuCursor,
  encodeMambuCursor,
  mambuDefinition,
  mambuRepaymentJson,
  mapMambuError,
  parseMambuCredentials,
  type MambuCredentials,
} from '../../../src/connectors/lending/mambu';
import { mambuDateTime } from '../../../src/connectors/lending/mambu/client';
import {
  mambuInstallmentToLender,
  mambuLoanStatus,
  mambuLoanToLender,
  MambuInstallmentSchema,
  MambuLoanAccountSchema,
} from '../../../src/connectors/lending/mambu/transformers';
import type { ConnectorRuntime, LendingSystemConnector } from '../../../src/connectors/types';
import { money } from '../../../src/domain/money';
import { testRuntime } from '../../helpers/nock';
import { jsonFixture, textFixture } from './fixtures';
import {
  replySteps,
  runLendingContract,
  type LendingHarness,
  type ProviderReply,
  type SeenRequest,
} from './lending-contract';

const HOST = 'https://mambu.test';
const BASE = '/api';
const CREDENTIALS: MambuCredentials = {
  apiKey: 'test-api-key-0001',
  transactionChannelIds: { MTN_MOMO: 'MTN_MOMO' },
};
/** Every call selects API v2 and carries the API-consumer key. */
const REQHEADERS = { apikey: 'test-api-key-0001', accept: 'application/vnd.mambu.v2+json' };
const UGX = (n: bigint) => money(n, 'UGX');
const LOAN_KEY = '8a19c1f58f2b4e2a018f2b6d0e6b0021';
const TX_KEY = '8a19c1f58f2b4e2a018f6e3d4c7a0101';
const CLIENT_KEY = '8a19c1f58f2b4e2a018f2b6c9a1e0011';

const api = () => nock(HOST, { reqheaders: REQHEADERS });
const reply = (status: number, body: unknown, headers?: Record<string, string>): ProviderReply => ({
  status,
  body,
  headers,
});
const json = <T = Record<string, any>>(name: string): T => jsonFixture<T>('mambu', name);
const pageHeaders = (offset: number, limit: number, total: number) => ({
  'Items-Offset': String(offset),
  'Items-Limit': String(limit),
  'Items-Total': String(total),
});

function build(runtime: ConnectorRuntime, credentials: unknown = CREDENTIALS): LendingSystemConnector {
  return mambuDefinition.create(
    { baseUrl: `${HOST}${BASE}`, credentials: parseMambuCredentials(credentials) },
    runtime,
  );
}

const pages = ['loans-page-1.json', 'loans-page-2.json', 'loans-page-3.json'];
const searchBody = (externalId: string) => (body: { filterCriteria?: Array<Record<string, unknown>> }) =>
  JSON.stringify(body.filterCriteria) ===
  JSON.stringify([{ field: 'externalId', operator: 'EQUALS', value: externalId }]);

const harness: LendingHarness = {
  name: 'Mambu v2',
  incrementalSync: 'native',
  now: new Date('2024-08-21T12:00:00Z'),
  build: (runtime) => build(runtime),

  pageSize: 2,
  pageIds: [
    ['8a19c1f58f2b4e2a018f2b6d0e6b0021', '8a19c1f58f2b4e2a018f2b6d0e6b0022'],
    ['8a19c1f58f2b4e2a018f2b6d0e6b0023', '8a19c1f58f2b4e2a018f2b6d0e6b0024'],
    ['8a19c1f58f2b4e2a018f2b6d0e6b0025'],
  ],
  total: 5,
  mockListPage: (index) =>
    api()
      .get(`${BASE}/loans`)
      .query({ offset: String(index * 2), limit: '2', paginationDetails: 'ON', detailsLevel: 'FULL' })
      .reply(200, json(pages[index]), pageHeaders(index * 2, 2, 5)),
  mockListReply: (r) => replySteps(() => api().get(`${BASE}/loans`).query(true), [r]),
  listPageOf: (items) => reply(200, items, pageHeaders(0, items.length, items.length)),
  brokenListPage: reply(200, { loans: [] }),
  rawLoan: () => json<Array<Record<string, unknown>>>(pages[0])[0],
  setRawLoanId: (item, n) => {
    item.encodedKey = `8a19c1f58f2b4e2a018f2b6d0e6b${String(n).padStart(4, '0')}`;
    item.id = `LN${n}`;
    return item.encodedKey as string;
  },
  breakRawLoan: (item) => {
    delete item.accountState;
  },
  setRawLoanCurrency: (item, code) => {
    item.currencyCode = code;
  },

  mockIncremental: (since) =>
    api()
      .post(`${BASE}/loans:search`, (body: { filterCriteria: unknown; sortingCriteria: unknown }) => {
        // The native filter: lastModifiedDate at or after the watermark, stable order by key.
        expect(body.filterCriteria).toEqual([
          { field: 'lastModifiedDate', operator: 'AFTER_INCLUSIVE', value: '2024-08-19T00:00:00+00:00' },
        ]);
        expect(body.sortingCriteria).toEqual({ field: 'encodedKey', order: 'ASC' });
        return mambuDateTime(since) === '2024-08-19T00:00:00+00:00';
      })
      .query({ offset: '0', limit: '2', paginationDetails: 'ON', detailsLevel: 'FULL' })
      .reply(200, json('loans-modified-since.json'), pageHeaders(0, 2, 2)),
  incrementalIds: [LOAN_KEY, '8a19c1f58f2b4e2a018f2b6d0e6b0023'],

  loanExternalId: LOAN_KEY,
  mockGetLoan: (r) => {
    const scope = replySteps(
      () => api().get(`${BASE}/loans/${LOAN_KEY}`).query({ detailsLevel: 'FULL' }),
      [r ?? reply(200, json('loan-ABC123.json'))],
    );
    return scope.get(`${BASE}/loans/${LOAN_KEY}/schedule`).reply(200, json('schedule-ABC123.json'));
  },
  loanReply: () => ({ status: 200, body: json('loan-ABC123.json') }),
  breakLoanBody: (body) => {
    delete body.encodedKey;
  },
  expectedLoan: {
    externalId: LOAN_KEY,
    accountNumber: 'ABC123',
    externalReference: null,
    borrowerExternalId: CLIENT_KEY,
    borrowerDisplayName: null,
    currency: 'UGX',
    status: 'ACTIVE',
    rawStatus: 'ACTIVE_IN_ARREARS',
    principal: UGX(1_200_000n),
    // principalBalance 864,000 + interestBalance 192,000
    outstanding: UGX(1_056_000n),
    // principalDue 164,000 + interestDue 24,000
    overdue: UGX(188_000n),
    daysPastDue: 50,
    daysInArrears: 50,
    delinquencyClass: null,
    nextDueDate: '2024-09-01',
    lastModifiedAt: new Date('2024-08-19T21:05:00Z'),
  },
  expectedInstallmentCount: 12,
  expectedInstallment: {
    number: 4,
    dueDate: '2024-07-01',
    totalDue: UGX(124_000n),
    totalPaid: UGX(60_000n),
    totalOutstanding: UGX(64_000n),
    principalDue: UGX(100_000n),
    interestDue: UGX(24_000n),
    complete: false,
  },
  borrowerExternalId: CLIENT_KEY,
  mockGetBorrower: () =>
    api()
      .get(`${BASE}/clients/${CLIENT_KEY}`)
      .query({ detailsLevel: 'FULL' })
      .reply(200, json(`client-${CLIENT_KEY}.json`)),
  expectedBorrower: {
    externalId: CLIENT_KEY,
    displayName: 'Aisha Namuli',
    phoneNumber: '+256 772 123456',
    email: 'aisha.namuli@example.com',
  },

  repayment: {
    loanExternalId: LOAN_KEY,
    amount: UGX(50_000n),
    valueDate: new Date('2024-08-20T09:30:00+03:00'),
    externalId: 'MTNUG-8431201173',
    idempotencyKey: '5f0c6a1e-4f6b-4c1e-9d7e-2b1d9b3f0a11',
    channel: 'MTN_MOMO',
    receiptNumber: '8431201173',
    note: 'MTN MoMo 8431201173',
  },
  mockRepayment: (steps, onRequest) =>
    replySteps(() => api().post(`${BASE}/loans/${LOAN_KEY}/repayment-transactions`), steps, onRequest),
  assertRepaymentBody: (body) => {
    const documented = json('repayment-request.json');
    expect(body).toEqual({
      amount: documented.amount,
      valueDate: '2024-08-20T06:30:00+00:00',
      externalId: documented.externalId,
      notes: 'MTN MoMo 8431201173 | receipt 8431201173',
      transactionDetails: documented.transactionDetails,
    });
    expect(typeof (body as { amount: unknown }).amount).toBe('number');
  },
  postedTransactionId: TX_KEY,
  mockLookup: (kind) =>
    api()
      .post(`${BASE}/loans/transactions:search`, searchBody('MTNUG-8431201173'))
      .query({ offset: '0', limit: '10', detailsLevel: 'FULL' })
      .reply(
        200,
        kind === 'posted'
          ? json('transactions-search-1042.json')
          : kind === 'reversed'
            ? [json('transaction-1042-adjusted.json')]
            : [],
      ),
  expectedPostedTransaction: {
    transactionId: TX_KEY,
    externalId: 'MTNUG-8431201173',
    type: 'REPAYMENT',
    amount: UGX(50_000n),
    date: '2024-08-20',
    reversed: false,
  },
  reversal: {
    loanExternalId: LOAN_KEY,
    transactionId: null,
    externalId: 'MTNUG-8431201173',
    reversalExternalId: 'REV-MTNUG-8431201173',
    idempotencyKey: '0b8f3c9a-7a55-4a4e-9d2b-5e1f7c3a9d10',
    date: new Date('2024-08-21T10:00:00+03:00'),
    note: 'Reversed by MTN MoMo (ref 8431201173)',
  },
  mockReverse: (steps, onRequest) =>
    replySteps(() => api().post(`${BASE}/loans/transactions/${TX_KEY}:adjust`), steps, onRequest),
  assertReverseBody: (body) =>
    expect(body).toEqual({ notes: `${json('adjust-request.json').notes} [REV-MTNUG-8431201173]` }),
  reversedTransactionId: TX_KEY,
  mockListTransactions: () =>
    api()
      .get(`${BASE}/loans/${LOAN_KEY}/transactions`)
      .query({ offset: '0', limit: '1000', paginationDetails: 'ON', detailsLevel: 'FULL' })
      .reply(200, json('loan-transactions-ABC123.json'), pageHeaders(0, 1000, 2)),
  expectedTransactions: [
    {
      transactionId: '8a19c1f58f2b4e2a018f6e3d4c7a0001',
      externalId: null,
      type: 'DISBURSEMENT',
      amount: UGX(1_200_000n),
      date: '2024-03-01',
      reversed: false,
    },
    {
      transactionId: '8a19c1f58f2b4e2a018f6e3d4c7a0055',
      externalId: 'MTNUG-8430077125',
      type: 'REPAYMENT',
      amount: UGX(60_000n),
      date: '2024-07-15',
      reversed: false,
    },
  ],

  replies: {
    accepted: reply(201, json('repayment-response.json')),
    reverseAccepted: reply(200, json('adjust-response.json')),
    duplicate: reply(400, json('error-duplicate-external-id.json')),
    validation: reply(400, json('error-invalid-parameters.json')),
    serverError: reply(500, json('error-server.json')),
    locked: reply(409, json('error-conflict.json')),
    unauthorized: reply(401, json('error-invalid-credentials.json')),
    html502: reply(502, textFixture('mambu', 'gateway-502.html'), { 'Content-Type': 'text/html' }),
  },
};

runLendingContract(harness);

describe('Mambu v2: connector specifics', () => {
  let runtime: ConnectorRuntime;
  let connector: LendingSystemConnector;
  beforeEach(() => {
    runtime = testRuntime({ now: () => new Date('2024-08-21T12:00:00Z') });
    connector = build(runtime);
  });

  describe('credentials', () => {
    it('accepts an API key or a user with password', () => {
      expect(parseMambuCredentials({ apiKey: 'k' })).toEqual({ apiKey: 'k' });
      expect(parseMambuCredentials({ username: 'u', password: 'p', defaultCurrency: 'kes' })).toEqual({
        username: 'u',
        password: 'p',
        defaultCurrency: 'KES',
      });
    });

    it('names every bad field without echoing secrets', () => {
      const attempt = (raw: unknown) => {
        try {
          parseMambuCredentials(raw);
        } catch (e) {
          return e as ConnectorError;
        }
        throw new Error('expected a refusal');
      };
      const missing = attempt({ username: 'collector' });
      expect(missing.code).toBe('AUTH_CONFIG_INVALID');
      expect(missing.message).toMatch(/password: is required/);
      const both = attempt({ apiKey: 'sekret-key-123', username: 'u', password: 'sekret-pw-456' });
      expect(both.message).toMatch(/apiKey: give either/);
      expect(both.message).not.toMatch(/sekret/);
      expect(attempt({ apiKey: 'k', defaultCurrency: 'XYZ' }).message).toMatch(/defaultCurrency/);
      expect(attempt('nope').message).toMatch(/credentials: must be an object/);
    });

    it('sends HTTP Basic when given a user', async () => {
      const basic = build(runtime, { username: 'collector', password: 'pw' });
      const scope = nock(HOST, {
        reqheaders: {
          authorization: `Basic ${Buffer.from('collector:pw').toString('base64')}`,
          accept: 'application/vnd.mambu.v2+json',
        },
        badheaders: ['apikey'],
      })
        .get(`${BASE}/clients/${CLIENT_KEY}`)
        .query(true)
        .reply(200, json(`client-${CLIENT_KEY}.json`));
      await basic.getBorrower({ borrowerExternalId: CLIENT_KEY });
      scope.done();
    });
  });

  describe('mapping', () => {
    it.each([
      ['PARTIAL_APPLICATION', null, 'PENDING'],
      ['PENDING_APPROVAL', null, 'PENDING'],
      ['APPROVED', null, 'APPROVED'],
      ['ACTIVE', null, 'ACTIVE'],
      ['ACTIVE_IN_ARREARS', null, 'ACTIVE'],
      ['ACTIVE', 'LOCKED', 'ACTIVE'],
      ['CLOSED', null, 'CLOSED'],
      ['CLOSED', 'REPAID', 'CLOSED'],
      ['CLOSED', 'REFINANCED', 'CLOSED'],
      ['CLOSED', 'RESCHEDULED', 'CLOSED'],
      ['CLOSED', 'WRITTEN_OFF', 'WRITTEN_OFF'],
      ['CLOSED', 'REJECTED', 'REJECTED'],
      ['CLOSED', 'WITHDRAWN', 'WITHDRAWN'],
      ['CLOSED', 'SOMETHING_NEW', 'UNKNOWN'],
      ['CLOSED_WRITTEN_OFF', null, 'WRITTEN_OFF'],
      ['FROZEN', null, 'UNKNOWN'],
    ])('maps %s/%s to %s', (state, sub, status) => {
      expect(mambuLoanStatus(state, sub)).toBe(status);
    });

    it('reads the list pages with status and closed sub-state', async () => {
      const scope = api()
        .get(`${BASE}/loans`)
        .query(true)
        .reply(200, json('loans-page-3.json'), pageHeaders(4, 2, 5));
      const page = await connector.listLoans({ cursor: encodeMambuCursor(4, 'all'), pageSize: 2 });
      scope.done();
      expect(page.loans[0]).toMatchObject({
        accountNumber: 'MNO345',
        status: 'WRITTEN_OFF',
        rawStatus: 'CLOSED/WRITTEN_OFF',
        outstanding: UGX(0n),
      });
      expect(page.nextCursor).toBeNull();
    });

    it('sums every balance component, interest from arrears, fees and penalties included', () => {
      const loan = json('loan-ABC123.json');
      Object.assign(loan.balances, {
        interestFromArrearsBalance: 1500,
        interestFromArrearsDue: 1500,
        feesBalance: 2000,
        feesDue: 1000,
        penaltyBalance: 700.5,
        penaltyDue: '0.5',
      });
      loan.currencyCode = 'KES';
      const mapped = mambuLoanToLender(MambuLoanAccountSchema.parse(loan), null);
      expect(mapped.outstanding).toEqual(money((864000n + 192000n + 1500n + 2000n) * 100n + 70050n, 'KES'));
      expect(mapped.overdue).toEqual(money((164000n + 24000n + 1500n + 1000n) * 100n + 50n, 'KES'));
    });

    it('falls back to the configured default currency when the loan has none, and fails the loan otherwise', async () => {
      const loan = json('loan-ABC123.json');
      delete loan.currencyCode;
      expect(mambuLoanToLender(MambuLoanAccountSchema.parse(loan), 'UGX').currency).toBe('UGX');
      expect(() => mambuLoanToLender(MambuLoanAccountSchema.parse(loan), null)).toThrow(
        expect.objectContaining({ code: 'CURRENCY_UNSUPPORTED' }),
      );
      const scope = api()
        .get(`${BASE}/loans`)
        .query(true)
        .reply(200, [loan], pageHeaders(0, 2, 1));
      const page = await connector.listLoans({ cursor: null, pageSize: 2 });
      scope.done();
      expect(page.loans).toEqual([]);
      expect(page.failures).toEqual([
        { externalId: LOAN_KEY, message: expect.stringContaining('defaultCurrency') },
      ]);
    });

    it('fails an active loan without balances rather than reading it as nothing owed', () => {
      const loan = json('loan-ABC123.json');
      delete loan.balances;
      expect(() => mambuLoanToLender(MambuLoanAccountSchema.parse(loan), null)).toThrow(
        expect.objectContaining({ code: 'RESPONSE_DECODING_FAILED' }),
      );
    });

    it('reads a thin installment tolerantly: numeric number, missing components, missing due', () => {
      const inst = MambuInstallmentSchema.parse({
        number: 3,
        dueDate: '2024-06-01T00:00:00+03:00',
        state: 'PARTIALLY_PAID',
        principal: { amount: { expected: 100000, paid: 40000 } },
        interest: { amount: { paid: 24000, due: 0 } },
      });
      expect(mambuInstallmentToLender(inst, 2, 'UGX')).toEqual({
        number: 3,
        dueDate: '2024-06-01',
        totalDue: UGX(124_000n),
        totalPaid: UGX(64_000n),
        totalOutstanding: UGX(60_000n),
        principalDue: UGX(100_000n),
        interestDue: UGX(24_000n),
        complete: false,
      });
    });

    it('takes the due date as the organisation wrote it, not its UTC date', () => {
      const inst = MambuInstallmentSchema.parse({
        dueDate: '2024-08-01T00:00:00+03:00',
        state: 'PAID',
        principal: { amount: { expected: 1, paid: 1, due: 0 } },
      });
      const mapped = mambuInstallmentToLender(inst, 0, 'UGX');
      expect(mapped.dueDate).toBe('2024-08-01');
      expect(mapped.number).toBe(1);
      expect(mapped.complete).toBe(true);
    });

    it('keeps cursors per listing: a full-list cursor cannot continue an incremental listing', () => {
      expect(decodeMambuCursor(encodeMambuCursor(200, 'modified'), 'modified')).toBe(200);
      expect(() => decodeMambuCursor(encodeMambuCursor(200, 'all'), 'modified')).toThrow(
        expect.objectContaining({ code: 'REQUEST_ENCODING_FAILED' }),
      );
    });

    it('stops on a page served from another offset rather than skip loans', async () => {
      const scope = api()
        .get(`${BASE}/loans`)
        .query(true)
        .reply(200, json('loans-page-2.json'), pageHeaders(0, 2, 5));
      const err = (await connector
        .listLoans({ cursor: encodeMambuCursor(2, 'all'), pageSize: 2 })
        .catch((e: unknown) => e)) as ConnectorError;
      scope.done();
      expect(err.code).toBe('RESPONSE_DECODING_FAILED');
    });

    it('pages by full pages when Mambu omits Items-Total', async () => {
      const scope = api().get(`${BASE}/loans`).query(true).reply(200, json('loans-page-1.json'));
      const page = await connector.listLoans({ cursor: null, pageSize: 2 });
      scope.done();
      expect(page.total).toBeNull();
      expect(decodeMambuCursor(page.nextCursor, 'all')).toBe(2);
    });
  });

  describe('writes', () => {
    it('writes the amount as an exact JSON number, never through a float', () => {
      const text = mambuRepaymentJson({
        amount: '1234567890123.45',
        valueDate: '2024-08-20T06:30:00+00:00',
        externalId: 'x',
      });
      expect(text).toContain('"amount":1234567890123.45');
      expect(() => mambuRepaymentJson({ amount: '1e3', valueDate: 'v', externalId: 'x' })).toThrow(
        expect.objectContaining({ code: 'REQUEST_ENCODING_FAILED' }),
      );
    });

    it('posts KES cents as a decimal number', async () => {
      let body: Record<string, unknown> = {};
      const scope = replySteps(
        () => api().post(`${BASE}/loans/${LOAN_KEY}/repayment-transactions`),
        [
          reply(201, {
            ...json<Record<string, unknown>>('repayment-response.json'),
            amount: 1050.5,
            currencyCode: 'KES',
          }),
        ],
        (s) => (body = s.body as Record<string, unknown>),
      );
      await connector.postRepayment({ ...harness.repayment, amount: money(105_050n, 'KES') });
      scope.done();
      expect(body.amount).toBe(1050.5);
    });

    it('clamps a future value date to now', async () => {
      let body: Record<string, unknown> = {};
      const scope = replySteps(
        () => api().post(`${BASE}/loans/${LOAN_KEY}/repayment-transactions`),
        [reply(201, json('repayment-response.json'))],
        (s) => (body = s.body as Record<string, unknown>),
      );
      await connector.postRepayment({ ...harness.repayment, valueDate: new Date('2025-01-01T00:00:00Z') });
      scope.done();
      expect(body.valueDate).toBe('2024-08-21T12:00:00+00:00');
    });

    it('maps a final 102 (same Idempotency-Key still processing) to a retryable error', () => {
      const err = mapMambuError({ status: 102, data: '', headers: {} });
      expect(err.code).toBe('PROVIDER_UNAVAILABLE');
      expect(err.retryable).toBe(true);
    });

    it('retries over a real 102 interim answer with the same Idempotency-Key', async () => {
      // Node treats 102 as informational and keeps waiting for the final answer, so an in-flight duplicate shows
      // up as a timeout: the retry must carry the same key and then gets the original result.
      const keys: Array<string | undefined> = [];
      const server = http.createServer((req, res) => {
        keys.push(req.headers['idempotency-key'] as string | undefined);
        req.resume();
        if (keys.length === 1) {
          res.writeProcessing();
          return; // never finishes: still "processing"
        }
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(json('repayment-response.json')));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const local = mambuDefinition.create(
          { baseUrl: `http://127.0.0.1:${port}/api`, credentials: CREDENTIALS },
          testRuntime({
            now: () => new Date('2024-08-21T12:00:00Z'),
            http: { baseDelayMs: 0, maxRetries: 2, timeoutMs: 200 },
          }),
        );
        const out = await local.postRepayment(harness.repayment);
        expect(out).toEqual({ transactionId: TX_KEY, externalId: 'MTNUG-8431201173', alreadyPosted: false });
        expect(keys).toEqual([harness.repayment.idempotencyKey, harness.repayment.idempotencyKey]);
      } finally {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });

    it('maps Mambu errors with their reason', () => {
      const declined = mapMambuError({
        status: 400,
        data: json('error-invalid-parameters.json'),
        headers: {},
      });
      expect(declined).toMatchObject({
        code: 'DECLINED',
        providerCode: 'INVALID_PARAMETERS',
        providerMessage: 'amount',
        retryable: false,
      });
      expect(
        mapMambuError({
          status: 403,
          data: { errors: [{ errorCode: 15, errorReason: 'INVALID_API_OPERATION' }] },
          headers: {},
        }).code,
      ).toBe('AUTH_CONFIG_INVALID');
      expect(mapMambuError({ status: 404, data: json('error-not-found.json'), headers: {} }).code).toBe(
        'NOT_FOUND',
      );
    });

    it('searches on an unexplained 400 and reports it as declined when nothing was posted', async () => {
      const post = replySteps(
        () => api().post(`${BASE}/loans/${LOAN_KEY}/repayment-transactions`),
        [reply(400, { errors: [{ errorCode: 4 }] })],
      );
      const lookup = harness.mockLookup('missing');
      const err = (await connector
        .postRepayment(harness.repayment)
        .catch((e: unknown) => e)) as ConnectorError;
      post.done();
      lookup.done();
      expect(err.code).toBe('DECLINED');
    });

    it('ignores a same-external-id transaction of another loan', async () => {
      const other = {
        ...json('repayment-response.json'),
        parentAccountKey: '8a19c1f58f2b4e2a018f2b6d0e6b9999',
      };
      const scope = api()
        .post(`${BASE}/loans/transactions:search`, searchBody('MTNUG-8431201173'))
        .query(true)
        .reply(200, [other]);
      expect(
        await connector.findTransactionByExternalId({
          loanExternalId: LOAN_KEY,
          externalId: 'MTNUG-8431201173',
        }),
      ).toBeNull();
      scope.done();
    });

    it('reverses by a known transaction id without searching', async () => {
      const get = api()
        .get(`${BASE}/loans/transactions/${TX_KEY}`)
        .query({ detailsLevel: 'FULL' })
        .reply(200, json('repayment-response.json'));
      const seen: SeenRequest[] = [];
      const adjust = harness.mockReverse([harness.replies.reverseAccepted], (s) => seen.push(s));
      const out = await connector.reverseRepayment({ ...harness.reversal, transactionId: TX_KEY });
      get.done();
      adjust.done();
      expect(out).toEqual({ transactionId: TX_KEY, alreadyReversed: false });
    });

    it('refuses to reverse a transaction that carries another external id', async () => {
      const get = api()
        .get(`${BASE}/loans/transactions/${TX_KEY}`)
        .query(true)
        .reply(200, {
          ...json<Record<string, unknown>>('repayment-response.json'),
          externalId: 'SOMEONE-ELSE',
        });
      const err = (await connector
        .reverseRepayment({ ...harness.reversal, transactionId: TX_KEY })
        .catch((e: unknown) => e)) as ConnectorError;
      get.done();
      expect(err.code).toBe('DECLINED');
    });

    it('reads the loan currency when transactions omit theirs', async () => {
      const txs = json<Array<Record<string, unknown>>>('loan-transactions-ABC123.json').map(
        ({ currencyCode: _c, ...t }) => t,
      );
      const list = api()
        .get(`${BASE}/loans/${LOAN_KEY}/transactions`)
        .query(true)
        .reply(200, txs, pageHeaders(0, 1000, 2));
      const loan = api()
        .get(`${BASE}/loans/${LOAN_KEY}`)
        .query({ detailsLevel: 'BASIC' })
        .reply(200, json('loan-ABC123.json'));
      const out = await connector.listTransactions({ loanExternalId: LOAN_KEY });
      list.done();
      loan.done();
      expect(out.map((t) => t.amount)).toEqual([UGX(1_200_000n), UGX(60_000n)]);
    });
  });
});
