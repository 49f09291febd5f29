import nock from 'nock';
import { ConnectorError } from '../../../src/connectors/errors';
import {
  decodeFineractCursor,
  encodeFineractCursor,
  fineractDefinition,
  mapFineractError,
  parseFineractCredentials,
  type FineractCredentials,
} from '../../../src/connectors/lending/fineract';
import {
  fineractDateToIso,
  fineractLoanStatus,
  fineractLoanToLender,
  fineractTransactionType,
  FineractLoanSchema,
} from '../../../src/connectors/lending/fineract/transformers';
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
  type Step,
} from './lending-contract';

const HOST = 'https://fineract.test';
const BASE = '/fineract-provider/api/v1';
const CREDENTIALS: FineractCredentials = {
  username: 'mifos',
  password: 'password',
  tenantId: 'default',
  paymentTypeIds: { MTN_MOMO: 3 },
};
/** Every call carries Basic auth and the tenant header; an interceptor without them would not match. */
const REQHEADERS = {
  authorization: `Basic ${Buffer.from('mifos:password').toString('base64')}`,
  'fineract-platform-tenantid': 'default',
};
const UGX = (n: bigint) => money(n, 'UGX');

const api = () => nock(HOST, { reqheaders: REQHEADERS });
const reply = (status: number, body: unknown, headers?: Record<string, string>): ProviderReply => ({
  status,
  body,
  headers,
});
const json = <T = Record<string, any>>(name: string): T => jsonFixture<T>('fineract', name);

function build(
  runtime: ConnectorRuntime,
  credentials: FineractCredentials = CREDENTIALS,
): LendingSystemConnector {
  return fineractDefinition.create(
    { baseUrl: `${HOST}${BASE}/`, credentials: parseFineractCredentials(credentials) },
    runtime,
  );
}

const pages = ['loans-page-1.json', 'loans-page-2.json', 'loans-page-3.json'];
const LOAN_PATH = `${BASE}/loans/42`;
const LOOKUP_PATH = `${BASE}/loans/42/transactions/external-id/MTNUG-8431201173`;

const harness: LendingHarness = {
  name: 'Apache Fineract',
  incrementalSync: 'scan',
  now: new Date('2024-08-21T12:00:00Z'),
  build: (runtime) => build(runtime),

  pageSize: 2,
  pageIds: [['42', '43'], ['44', '45'], ['46']],
  total: 5,
  mockListPage: (index) =>
    api()
      .get(`${BASE}/loans`)
      .query({ offset: String(index * 2), limit: '2', orderBy: 'id', sortOrder: 'ASC' })
      .reply(200, json(pages[index])),
  mockListReply: (r) => replySteps(() => api().get(`${BASE}/loans`).query(true), [r]),
  listPageOf: (items) => reply(200, { totalFilteredRecords: items.length, pageItems: items }),
  brokenListPage: reply(200, { pageItems: [] }),
  rawLoan: () => json<{ pageItems: Array<Record<string, unknown>> }>(pages[0]).pageItems[0],
  setRawLoanId: (item, n) => {
    item.id = n;
    item.accountNo = String(n).padStart(9, '0');
    return String(n);
  },
  breakRawLoan: (item) => {
    delete item.accountNo;
  },
  setRawLoanCurrency: (item, code) => {
    (item.currency as Record<string, unknown>).code = code;
  },

  // Fineract has no modified-since filter: an incremental sync is the same scan (the service compares).
  mockIncremental: () =>
    api()
      .get(`${BASE}/loans`)
      .query({ offset: '0', limit: '2', orderBy: 'id', sortOrder: 'ASC' })
      .reply(200, json(pages[0])),
  incrementalIds: ['42', '43'],

  loanExternalId: '42',
  mockGetLoan: (r) =>
    replySteps(
      () => api().get(LOAN_PATH).query({ associations: 'repaymentSchedule,transactions' }),
      [r ?? reply(200, json('loan-42.json'))],
    ),
  loanReply: () => ({ status: 200, body: json('loan-42.json') }),
  breakLoanBody: (body) => {
    delete body.status;
  },
  expectedLoan: {
    externalId: '42',
    accountNumber: '000000042',
    externalReference: 'LN-UG-2024-0042',
    borrowerExternalId: '7',
    borrowerDisplayName: 'Aisha Namuli',
    currency: 'UGX',
    status: 'ACTIVE',
    rawStatus: '300',
    principal: UGX(1_200_000n),
    outstanding: UGX(1_056_000n),
    overdue: UGX(188_000n),
    daysPastDue: 50,
    daysInArrears: 50,
    delinquencyClass: 'DPD 31-60',
    nextDueDate: '2024-09-01',
    lastModifiedAt: null,
  },
  // The documented example trims the schedule to periods 0, 4 and 5; period 0 (disbursement) is not an installment.
  expectedInstallmentCount: 2,
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
  borrowerExternalId: '7',
  mockGetBorrower: () => api().get(`${BASE}/clients/7`).reply(200, json('client-7.json')),
  expectedBorrower: {
    externalId: '7',
    displayName: 'Aisha Namuli',
    phoneNumber: '256772123456',
    email: null,
  },

  repayment: {
    loanExternalId: '42',
    amount: UGX(50_000n),
    valueDate: new Date('2024-08-20T09:30:00+03:00'),
    externalId: 'MTNUG-8431201173',
    idempotencyKey: '5f0c6a1e-4f6b-4c1e-9d7e-2b1d9b3f0a11',
    channel: 'MTN_MOMO',
    receiptNumber: '8431201173',
    note: 'MTN MoMo collection, hub payment pay_01J5Z8K3',
  },
  mockRepayment: (steps: Step[], onRequest?: (s: SeenRequest) => void) =>
    replySteps(
      () => api().post(`${BASE}/loans/42/transactions`).query({ command: 'repayment' }),
      steps,
      onRequest,
    ),
  assertRepaymentBody: (body) => {
    // Exactly the keys Fineract allows (anything else is a 400), amount as a decimal string.
    const documented = json('repayment-request.json');
    expect(body).toEqual({
      transactionDate: documented.transactionDate,
      dateFormat: 'yyyy-MM-dd',
      locale: 'en',
      transactionAmount: '50000',
      externalId: documented.externalId,
      paymentTypeId: documented.paymentTypeId,
      receiptNumber: documented.receiptNumber,
      note: documented.note,
    });
  },
  postedTransactionId: '106',
  mockLookup: (kind) =>
    api()
      .get(LOOKUP_PATH)
      .reply(
        ...((kind === 'posted'
          ? [200, json('transaction-106.json')]
          : kind === 'reversed'
            ? [200, json('transaction-106-reversed.json')]
            : [404, json('error-transaction-not-found.json')]) as [number, Record<string, unknown>]),
      ),
  expectedPostedTransaction: {
    transactionId: '106',
    externalId: 'MTNUG-8431201173',
    type: 'REPAYMENT',
    amount: UGX(50_000n),
    date: '2024-08-20',
    reversed: false,
  },
  reversal: {
    loanExternalId: '42',
    transactionId: null,
    externalId: 'MTNUG-8431201173',
    reversalExternalId: 'REV-MTNUG-8431201173',
    idempotencyKey: '0b8f3c9a-7a55-4a4e-9d2b-5e1f7c3a9d10',
    date: new Date('2024-08-21T10:00:00+03:00'),
    note: 'Reversed: MTN MoMo reversal notification 8431201173',
  },
  mockReverse: (steps, onRequest) =>
    replySteps(
      () => api().post(`${BASE}/loans/42/transactions/106`).query({ command: 'undo' }),
      steps,
      onRequest,
    ),
  assertReverseBody: (body) => expect(body).toEqual(json('undo-request.json')),
  reversedTransactionId: '106',
  mockListTransactions: () =>
    api().get(LOAN_PATH).query({ associations: 'transactions' }).reply(200, json('loan-42.json')),
  expectedTransactions: [
    {
      transactionId: '105',
      externalId: 'MTNUG-8430077125',
      type: 'REPAYMENT',
      amount: UGX(60_000n),
      date: '2024-07-15',
      reversed: false,
    },
  ],

  replies: {
    accepted: reply(200, json('repayment-response.json')),
    reverseAccepted: reply(200, json('undo-response.json')),
    duplicate: reply(400, json('error-duplicate-external-id.json')),
    validation: reply(400, json('error-validation.json')),
    serverError: reply(500, json('error-server.json')),
    locked: reply(409, json('error-loan-locked.json')),
    unauthorized: reply(401, json('error-unauthenticated.json')),
    html502: reply(502, textFixture('fineract', 'gateway-502.html'), { 'Content-Type': 'text/html' }),
  },
};

runLendingContract(harness);

describe('Apache Fineract: connector specifics', () => {
  let runtime: ConnectorRuntime;
  let connector: LendingSystemConnector;
  beforeEach(() => {
    runtime = testRuntime({ now: () => new Date('2024-08-21T12:00:00Z') });
    connector = build(runtime);
  });

  describe('credentials', () => {
    it('names every bad field without echoing secrets', () => {
      let err: unknown;
      try {
        parseFineractCredentials({
          username: 'mifos',
          password: 12345678,
          paymentTypeIds: { MPESA: 'four' },
        });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConnectorError);
      const e = err as ConnectorError;
      expect(e.code).toBe('AUTH_CONFIG_INVALID');
      expect(e.message).toMatch(/password/);
      expect(e.message).toMatch(/tenantId/);
      expect(e.message).toMatch(/paymentTypeIds\.MPESA/);
      expect(e.message).not.toContain('12345678');
      expect(e.message).not.toContain('four');
    });

    it('refuses a base URL that is missing', () => {
      expect(() => fineractDefinition.create({ baseUrl: null, credentials: CREDENTIALS }, runtime)).toThrow(
        expect.objectContaining({ code: 'AUTH_CONFIG_INVALID' }),
      );
    });

    it('rejects an unknown time zone', () => {
      expect(() => parseFineractCredentials({ ...CREDENTIALS, timeZone: 'Mars/Olympus' })).toThrow(
        /timeZone/,
      );
    });
  });

  describe('mapping', () => {
    it.each([
      [100, 'PENDING'],
      [200, 'APPROVED'],
      [300, 'ACTIVE'],
      [303, 'ACTIVE'],
      [304, 'ACTIVE'],
      [400, 'WITHDRAWN'],
      [500, 'REJECTED'],
      [600, 'CLOSED'],
      [601, 'WRITTEN_OFF'],
      [602, 'CLOSED'],
      [700, 'OVERPAID'],
      [800, 'UNKNOWN'],
      [0, 'UNKNOWN'],
    ])('maps status %i to %s', (id, status) => {
      expect(fineractLoanStatus(id)).toBe(status);
    });

    it('turns date arrays and ISO strings into YYYY-MM-DD and refuses impossible dates', () => {
      expect(fineractDateToIso([2024, 8, 1])).toBe('2024-08-01');
      expect(fineractDateToIso('2024-12-31')).toBe('2024-12-31');
      expect(() => fineractDateToIso([2024, 2, 30])).toThrow(
        expect.objectContaining({ code: 'RESPONSE_DECODING_FAILED' }),
      );
    });

    it('maps transaction types', () => {
      expect([1, 2, 8, 25, 26, 10].map(fineractTransactionType)).toEqual([
        'DISBURSEMENT',
        'REPAYMENT',
        'REPAYMENT',
        'CHARGEBACK',
        'ADJUSTMENT',
        'OTHER',
      ]);
    });

    it('reads list items without delinquency data and a pending loan without summary', async () => {
      const scope = api().get(`${BASE}/loans`).query(true).reply(200, json('loans-page-2.json'));
      const page = await connector.listLoans({ cursor: encodeFineractCursor(2), pageSize: 2 });
      scope.done();
      const [pending, active] = page.loans;
      expect(pending).toMatchObject({
        externalId: '44',
        status: 'PENDING',
        externalReference: null,
        outstanding: UGX(0n),
        overdue: UGX(0n),
        delinquencyClass: null,
      });
      expect(active).toMatchObject({
        externalId: '45',
        status: 'ACTIVE',
        outstanding: UGX(1_860_000n),
        overdue: UGX(0n),
        daysPastDue: 0,
      });
    });

    it('fails an active loan without summary rather than reading it as nothing owed', () => {
      const loan = json('loan-42.json');
      delete loan.summary;
      expect(() => fineractLoanToLender(FineractLoanSchema.parse(loan))).toThrow(
        expect.objectContaining({ code: 'RESPONSE_DECODING_FAILED' }),
      );
    });

    it('drops disbursement rows with and without a period number', () => {
      const loan = json<{ repaymentSchedule: { periods: Array<Record<string, unknown>> } }>('loan-42.json');
      delete loan.repaymentSchedule.periods[0].period;
      loan.repaymentSchedule.periods.push({
        dueDate: [2024, 4, 1],
        principalDisbursed: 100000,
        totalDueForPeriod: 0,
        totalOutstandingForPeriod: 0,
      });
      const mapped = fineractLoanToLender(FineractLoanSchema.parse(loan));
      expect(mapped.installments!.map((i) => i.number)).toEqual([4, 5]);
    });

    it('reads KES with cents exactly and refuses sub-cent precision', () => {
      const loan = json<Record<string, any>>('loan-42.json');
      loan.currency = { code: 'KES', decimalPlaces: 2, inMultiplesOf: 1 };
      loan.summary.totalOutstanding = 10560.55;
      loan.summary.totalOverdue = '1880.05';
      delete loan.repaymentSchedule;
      const mapped = fineractLoanToLender(FineractLoanSchema.parse(loan));
      expect(mapped.outstanding).toEqual(money(1_056_055n, 'KES'));
      expect(mapped.overdue).toEqual(money(188_005n, 'KES'));
      loan.summary.totalOutstanding = 10560.555;
      expect(() => fineractLoanToLender(FineractLoanSchema.parse(loan))).toThrow(
        expect.objectContaining({ code: 'RESPONSE_DECODING_FAILED' }),
      );
    });

    it('accepts UGX configured with 2 decimal places when the amounts are whole shillings', () => {
      const loan = json<Record<string, any>>('loan-42.json');
      loan.currency.decimalPlaces = 2;
      loan.summary.totalOutstanding = '1056000.00';
      expect(fineractLoanToLender(FineractLoanSchema.parse(loan)).outstanding).toEqual(UGX(1_056_000n));
      loan.summary.totalOutstanding = '1056000.50';
      expect(() => fineractLoanToLender(FineractLoanSchema.parse(loan))).toThrow(/decimalPlaces 2/);
    });

    it('keeps the cursor opaque and rejects foreign ones', () => {
      expect(decodeFineractCursor(encodeFineractCursor(400))).toBe(400);
      expect(decodeFineractCursor(null)).toBe(0);
      expect(() =>
        decodeFineractCursor(Buffer.from(JSON.stringify({ c: 'mambu', v: 1, o: 4 })).toString('base64url')),
      ).toThrow(expect.objectContaining({ code: 'REQUEST_ENCODING_FAILED' }));
    });

    it('caps the page size at 1000', async () => {
      const scope = api()
        .get(`${BASE}/loans`)
        .query({ offset: '0', limit: '1000', orderBy: 'id', sortOrder: 'ASC' })
        .reply(200, { totalFilteredRecords: 0, pageItems: [] });
      const page = await connector.listLoans({ cursor: null, pageSize: 50_000 });
      scope.done();
      expect(page).toEqual({ loans: [], failures: [], nextCursor: null, total: 0 });
    });
  });

  describe('errors', () => {
    const res = (status: number, name: string) => ({ status, data: json(name), headers: {} });

    it('maps a 403 domain rule to DECLINED with the specific code', () => {
      const err = mapFineractError(res(403, 'error-future-date.json'));
      expect(err.code).toBe('DECLINED');
      expect(err.providerCode).toBe('error.msg.loan.transaction.cannot.be.a.future.date');
      expect(err.retryable).toBe(false);
    });

    it('maps a 403 permission refusal to AUTH_CONFIG_INVALID', () => {
      expect(mapFineractError(res(403, 'error-not-authorized.json')).code).toBe('AUTH_CONFIG_INVALID');
    });

    it('maps an unknown tenant (401) to AUTH_CONFIG_INVALID', () => {
      const err = mapFineractError(res(401, 'error-invalid-tenant.json'));
      expect(err.code).toBe('AUTH_CONFIG_INVALID');
      expect(err.message).toContain('error.msg.invalid.tenant.identifier');
    });

    it('treats 425 (same key in flight) as retryable', () => {
      const err = mapFineractError({ status: 425, data: '', headers: {} });
      expect(err.code).toBe('PROVIDER_UNAVAILABLE');
      expect(err.retryable).toBe(true);
    });

    it('treats a 503 "update not allowed" rule as a permanent refusal', () => {
      const err = mapFineractError(res(503, 'error-update-not-allowed.json'));
      expect(err.code).toBe('DECLINED');
      expect(err.retryable).toBe(false);
      expect(mapFineractError({ status: 503, data: '', headers: {} }).code).toBe('PROVIDER_UNAVAILABLE');
    });

    it('does not retry a future-date refusal (exactly one call)', async () => {
      const calls: SeenRequest[] = [];
      const scope = replySteps(
        () => api().post(`${BASE}/loans/42/transactions`).query({ command: 'repayment' }),
        [reply(403, json('error-future-date.json'))],
        (s) => calls.push(s),
      );
      const err = (await connector
        .postRepayment(harness.repayment)
        .catch((e: unknown) => e)) as ConnectorError;
      scope.done();
      expect(calls).toHaveLength(1);
      expect(err.code).toBe('DECLINED');
    });
  });

  describe('posting', () => {
    const post = (
      onBody: (b: Record<string, unknown>) => void,
      r: ProviderReply = reply(200, json('repayment-response.json')),
    ) =>
      replySteps(
        () => api().post(`${BASE}/loans/42/transactions`).query({ command: 'repayment' }),
        [r],
        (s) => onBody(s.body as Record<string, unknown>),
      );

    it('clamps a future value date to today in the tenant time zone', async () => {
      const kampala = build(testRuntime({ now: () => new Date('2024-08-20T22:30:00Z') }), {
        ...CREDENTIALS,
        timeZone: 'Africa/Kampala',
      });
      let body: Record<string, unknown> = {};
      const scope = post((b) => (body = b));
      await kampala.postRepayment({ ...harness.repayment, valueDate: new Date('2024-09-30T00:00:00Z') });
      scope.done();
      // 22:30 UTC is already the 21st in Kampala (UTC+3).
      expect(body.transactionDate).toBe('2024-08-21');
    });

    it('omits paymentTypeId for an unmapped channel, truncates the receipt and leaves out empty notes', async () => {
      let body: Record<string, unknown> = {};
      const scope = post((b) => (body = b));
      await connector.postRepayment({
        ...harness.repayment,
        channel: 'AIRTEL_MONEY',
        receiptNumber: 'R'.repeat(80),
        note: '   ',
      });
      scope.done();
      expect(body).not.toHaveProperty('paymentTypeId');
      expect(body).not.toHaveProperty('note');
      expect(body.receiptNumber).toBe('R'.repeat(50));
    });

    it('reports a replay served from the idempotency cache as already posted', async () => {
      const scope = post(
        () => undefined,
        reply(200, json('repayment-response.json'), { 'x-served-from-cache': 'true' }),
      );
      const out = await connector.postRepayment(harness.repayment);
      scope.done();
      expect(out).toEqual({ transactionId: '106', externalId: 'MTNUG-8431201173', alreadyPosted: true });
    });

    it('refuses a duplicate external id whose existing transaction has another amount', async () => {
      const scope = post(() => undefined, reply(400, json('error-duplicate-external-id.json')));
      const lookup = harness.mockLookup('posted');
      const err = (await connector
        .postRepayment({ ...harness.repayment, amount: UGX(60_000n) })
        .catch((e: unknown) => e)) as ConnectorError;
      scope.done();
      lookup.done();
      expect(err.code).toBe('DECLINED');
      expect(err.providerCode).toBe('EXTERNAL_ID_AMOUNT_MISMATCH');
    });

    it('refuses a duplicate external id that belongs to another loan', async () => {
      const scope = post(() => undefined, reply(400, json('error-duplicate-external-id.json')));
      const lookup = harness.mockLookup('missing');
      const err = (await connector
        .postRepayment(harness.repayment)
        .catch((e: unknown) => e)) as ConnectorError;
      scope.done();
      lookup.done();
      expect(err.code).toBe('DECLINED');
      expect(err.message).toMatch(/another loan/);
    });

    it('posts KES cents as a decimal string after checking the tenant keeps cents', async () => {
      const loan = json<Record<string, any>>('loan-42.json');
      loan.currency = { code: 'KES', decimalPlaces: 2 };
      const check = api().get(LOAN_PATH).reply(200, loan);
      let body: Record<string, unknown> = {};
      const scope = post((b) => (body = b));
      await connector.postRepayment({ ...harness.repayment, amount: money(105_050n, 'KES') });
      check.done();
      scope.done();
      expect(body.transactionAmount).toBe('1050.50');
    });

    it('refuses KES cents when the tenant keeps KES without decimals (Fineract would round)', async () => {
      const loan = json<Record<string, any>>('loan-42.json');
      loan.currency = { code: 'KES', decimalPlaces: 0 };
      const check = api().get(LOAN_PATH).reply(200, loan);
      const err = (await connector
        .postRepayment({ ...harness.repayment, amount: money(105_050n, 'KES') })
        .catch((e: unknown) => e)) as ConnectorError;
      check.done();
      expect(err.code).toBe('REQUEST_ENCODING_FAILED');
    });

    it('refuses a non-numeric loan id before any call', async () => {
      const err = (await connector
        .postRepayment({ ...harness.repayment, loanExternalId: '42/../clients' })
        .catch((e: unknown) => e)) as ConnectorError;
      expect(err.code).toBe('REQUEST_ENCODING_FAILED');
    });
  });

  describe('reversal races', () => {
    it('reports already reversed when a concurrent undo wins', async () => {
      const first = harness.mockLookup('posted');
      const undo = api()
        .post(`${BASE}/loans/42/transactions/106`)
        .query({ command: 'undo' })
        .reply(403, {
          ...json('error-future-date.json'),
          errors: [
            {
              userMessageGlobalisationCode: 'error.msg.loan.transaction.is.already.reversed',
              defaultUserMessage: 'already reversed',
            },
          ],
        });
      const again = harness.mockLookup('reversed');
      const out = await connector.reverseRepayment(harness.reversal);
      first.done();
      undo.done();
      again.done();
      expect(out).toEqual({ transactionId: '106', alreadyReversed: true });
    });
  });

  describe('borrowers', () => {
    it('reads a group borrower of a group loan', async () => {
      const scope = api().get(`${BASE}/groups/5`).reply(200, { id: 5, name: 'Kireka Women Group' });
      expect(await connector.getBorrower({ borrowerExternalId: 'group:5' })).toEqual({
        externalId: 'group:5',
        displayName: 'Kireka Women Group',
        phoneNumber: null,
        email: null,
      });
      scope.done();
    });
  });
});
