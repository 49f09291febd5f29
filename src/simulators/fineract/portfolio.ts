/**
 * The simulator's loan book: deterministic, lazily derived, compact.
 *
 * Every loan's terms (status, principal, rate, term, disbursement date, arrears) are a pure function of
 * `(seed, index)`, recomputed on demand from a 32-bit hash; nothing per loan is stored except what the API can
 * change: the sum of repayments posted or undone through the API (one `BigInt64Array` slot per loan) and the
 * transactions posted (a map keyed by loan, only for loans that have any). 100,000 loans cost under 1 MB, and a
 * list page of 1,000 is built straight into a JSON string.
 *
 * Amounts are bigint minor units throughout and are written into JSON as exact decimal literals.
 */
import { currencyExponent, formatMinor } from '../../domain/money';

export type SimulatorCurrency = 'UGX' | 'KES';

/**
 * Days since 1970-01-01 of a proleptic Gregorian date, by integer arithmetic (H. Hinnant's `days_from_civil`):
 * the loan book computes tens of dates per loan per page, and `Date` objects would dominate the cost.
 */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Inverse of {@link daysFromCivil}: `[y, m, d]`. */
function civilFromDays(z: number): [number, number, number] {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/** Days since 1970-01-01 for a `YYYY-MM-DD` string. */
export function dayNumber(iso: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return NaN;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return NaN;
  const day = daysFromCivil(y, mo, d);
  const back = civilFromDays(day);
  return back[1] === mo && back[2] === d ? day : NaN;
}

/** `YYYY-MM-DD` of a day number. */
export function isoOfDay(day: number): string {
  const [y, m, d] = civilFromDays(day);
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Fineract's Gson date: `[yyyy,m,d]`. */
function jsonDate(day: number): string {
  const [y, m, d] = civilFromDays(day);
  return `[${y},${m},${d}]`;
}

/** The day `months` months after `day`; days past the 28th are clamped so every month has the date. */
function addMonths(day: number, months: number): number {
  const [y, m, d] = civilFromDays(day);
  const total = m - 1 + months;
  return daysFromCivil(y + Math.floor(total / 12), (total % 12) + 1, Math.min(d, 28));
}

/** A 32-bit integer hash (lowbias32) of seed and index: the loan book's only source of randomness. */
function hash32(seed: number, index: number): number {
  let x = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 0x632be5ab, 0xc2b2ae35)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

const FIRST_NAMES = [
  'Aisha',
  'Joseph',
  'Grace',
  'Moses',
  'Sarah',
  'Peter',
  'Esther',
  'David',
  'Ruth',
  'Samuel',
  'Mercy',
  'Brian',
  'Faith',
  'Isaac',
  'Juliet',
  'Allan',
];
const LAST_NAMES = [
  'Namuli',
  'Ssempala',
  'Atim',
  'Okot',
  'Nakato',
  'Okello',
  'Achieng',
  'Mwangi',
  'Wanjiru',
  'Otieno',
  'Kato',
  'Nansubuga',
  'Kiprop',
  'Auma',
  'Mugisha',
  'Njeri',
];

/** Loan terms derived from (seed, index). */
export interface LoanTerms {
  index: number;
  id: number;
  /** Status before API activity (100, 200, 300, 600, 601). */
  baseStatus: number;
  principal: bigint;
  /** Number of monthly installments. */
  installments: number;
  /** Principal of every installment but the last, which takes the remainder; minor units. */
  installmentPrincipal: bigint;
  lastInstallmentPrincipal: bigint;
  /** Flat interest per installment, minor units. */
  installmentInterest: bigint;
  disbursementDay: number;
  /** Repayments before any API activity (minor units). */
  basePaid: bigint;
  /** Number of installments paid in full before API activity, and the partial amount paid on the next one. */
  basePaidInstallments: number;
  basePartial: bigint;
  annualRate: number;
}

/** A transaction posted through the API (or by {@link Portfolio.mutate}). */
export interface PostedTransaction {
  id: number;
  /** `LoanTransactionType` id: 1 disbursement, 2 repayment. */
  type: 1 | 2;
  loanIndex: number;
  externalId: string | null;
  amount: bigint;
  day: number;
  reversed: boolean;
  reversalExternalId: string | null;
  reversedOnDay: number | null;
  paymentTypeId: number | null;
  receiptNumber: string | null;
  note: string | null;
}

/** Derived view of a loan at this moment. */
export interface LoanView {
  terms: LoanTerms;
  status: number;
  paid: bigint;
  totalExpected: bigint;
  totalInterest: bigint;
  outstanding: bigint;
  principalPaid: bigint;
  interestPaid: bigint;
  overdue: bigint;
  principalOverdue: bigint;
  interestOverdue: bigint;
  pastDueDays: number;
  overdueSinceDay: number | null;
  nextDueDay: number | null;
  writtenOff: bigint;
}

const STATUS_TEXT: Record<number, [string, string]> = {
  100: ['loanStatusType.submitted.and.pending.approval', 'Submitted and pending approval'],
  200: ['loanStatusType.approved', 'Approved'],
  300: ['loanStatusType.active', 'Active'],
  600: ['loanStatusType.closed.obligations.met', 'Closed (obligations met)'],
  601: ['loanStatusType.closed.written.off', 'Closed (written off)'],
  700: ['loanStatusType.overpaid', 'Overpaid'],
};

const RANGES: Array<[number, string, number, number | null]> = [
  [1, 'DPD 1-30', 1, 30],
  [2, 'DPD 31-60', 31, 60],
  [3, 'DPD 61-90', 61, 90],
  [4, 'DPD 90+', 91, null],
];

/** Transaction ids: `loanId * 100 + k` for the generated history, a counter above all of those for API postings. */
const HISTORY_SLOTS = 100;

export interface PortfolioOptions {
  loans: number;
  seed: number;
  currency: SimulatorCurrency;
  /** Fineract business date `YYYY-MM-DD`: repayments after it are "in the future". */
  businessDate: string;
}

/** The simulated loan book and everything the API changes. */
export class Portfolio {
  readonly loans: number;
  readonly seed: number;
  readonly currency: SimulatorCurrency;
  readonly exponent: number;
  readonly businessDate: string;
  readonly businessDay: number;
  /** Net amount posted through the API per loan (repayments minus undone ones). */
  private readonly apiPaid: BigInt64Array;
  private readonly posted = new Map<number, PostedTransaction[]>();
  private readonly byExternalId = new Map<string, PostedTransaction>();
  private readonly byId = new Map<number, PostedTransaction>();
  private nextTransactionId: number;
  private readonly currencyFull: string;
  private readonly currencyShort: string;
  private mutations = 0;

  constructor(options: PortfolioOptions) {
    this.loans = options.loans;
    this.seed = options.seed >>> 0;
    this.currency = options.currency;
    this.exponent = currencyExponent(options.currency);
    this.businessDate = options.businessDate;
    this.businessDay = dayNumber(options.businessDate);
    this.apiPaid = new BigInt64Array(options.loans);
    const name = this.currency === 'UGX' ? 'Uganda Shilling' : 'Kenyan Shilling';
    const symbol = this.currency === 'UGX' ? 'USh' : 'KSh';
    this.currencyFull = `{"code":"${this.currency}","name":"${name}","decimalPlaces":${this.exponent},"inMultiplesOf":1,"displaySymbol":"${symbol}","nameCode":"currency.${this.currency}","displayLabel":"${name} (${symbol})"}`;
    this.currencyShort = `{"code":"${this.currency}","decimalPlaces":${this.exponent},"inMultiplesOf":1}`;
    this.nextTransactionId = (options.loans + 1) * HISTORY_SLOTS;
  }

  /** Index of a loan id ("42" -> 41), or -1. */
  indexOf(id: string | number): number {
    const n = typeof id === 'number' ? id : /^\d{1,9}$/.test(id) ? Number(id) : NaN;
    return Number.isInteger(n) && n >= 1 && n <= this.loans ? n - 1 : -1;
  }

  /** The loan's terms, recomputed from the seed (pure; cheap). */
  terms(index: number): LoanTerms {
    const h = (k: number) => hash32(this.seed, index * 8 + k);
    const roll = h(0) % 100;
    const baseStatus = roll < 3 ? 100 : roll < 5 ? 200 : roll < 82 ? 300 : roll < 95 ? 600 : 601;
    const n = 3 + (h(1) % 22);
    const unit = 10n ** BigInt(this.exponent);
    // UGX 100,000-5,000,000 in thousands; KES 1,000-200,000 whole shillings.
    const principal =
      this.currency === 'UGX' ? BigInt(100 + (h(2) % 4901)) * 1000n : BigInt(1000 + (h(2) % 199_001)) * unit;
    const annualRate = 12 + (h(3) % 25);
    // Flat interest per period; in KES this leaves cents, which is the point (exact decimals on the wire).
    const interest = (principal * BigInt(annualRate)) / 1200n;
    const base = principal / BigInt(n);
    const last = principal - base * BigInt(n - 1);
    let ageDays: number;
    if (baseStatus === 100 || baseStatus === 200) ageDays = -(1 + (h(4) % 30));
    else if (baseStatus === 300) ageDays = 20 + (h(4) % (n * 30 + 60));
    else ageDays = n * 31 + (h(4) % 400);
    const disbursementDay = this.businessDay - ageDays;

    let paidInstallments = 0;
    let partial = 0n;
    if (baseStatus === 600) paidInstallments = n;
    else if (baseStatus === 300 || baseStatus === 601) {
      let due = 0;
      while (due < n && addMonths(disbursementDay, due + 1) <= this.businessDay) due++;
      const lateRoll = h(5) % 100;
      const late =
        baseStatus === 601
          ? Math.max(1, Math.ceil(due / 2))
          : lateRoll < 65
            ? 0
            : lateRoll < 80
              ? 1
              : lateRoll < 90
                ? 2
                : 3 + (h(6) % Math.max(1, n));
      paidInstallments = Math.max(0, due - late);
      if (paidInstallments < n && h(7) % 3 === 0) {
        const next = (paidInstallments === n - 1 ? last : base) + interest;
        partial = (next / 2n / unit) * unit;
      }
    }
    const basePaid =
      partial + BigInt(paidInstallments) * (base + interest) + (paidInstallments === n ? last - base : 0n);
    return {
      index,
      id: index + 1,
      baseStatus,
      principal,
      installments: n,
      installmentPrincipal: base,
      lastInstallmentPrincipal: last,
      installmentInterest: interest,
      disbursementDay,
      basePaid,
      basePaidInstallments: paidInstallments,
      basePartial: partial,
      annualRate,
    };
  }

  /** Principal of installment `k` (0-based). */
  principalOf(t: LoanTerms, k: number): bigint {
    return k === t.installments - 1 ? t.lastInstallmentPrincipal : t.installmentPrincipal;
  }

  /** Due day of installment `k` (0-based): `k + 1` months after disbursement. */
  dueDay(t: LoanTerms, k: number): number {
    return addMonths(t.disbursementDay, k + 1);
  }

  /** The loan as Fineract would report it now. */
  view(index: number): LoanView {
    const t = this.terms(index);
    const n = t.installments;
    const paid = t.basePaid + this.apiPaid[index];
    const totalInterest = t.installmentInterest * BigInt(n);
    const totalExpected = t.principal + totalInterest;
    let status = t.baseStatus;
    if (status === 300 || status === 600)
      status = paid < totalExpected ? 300 : paid === totalExpected ? 600 : 700;

    // mifos-standard allocation, installment by installment: interest, then principal.
    let left = paid > totalExpected ? totalExpected : paid;
    let principalPaid = 0n;
    let interestPaid = 0n;
    let overdue = 0n;
    let principalOverdue = 0n;
    let interestOverdue = 0n;
    let oldestUnpaidOverdue: number | null = null;
    let nextDueDay: number | null = null;
    for (let k = 0; k < n; k++) {
      const principalK = this.principalOf(t, k);
      const pi = left < t.installmentInterest ? left : t.installmentInterest;
      left -= pi;
      const pp = left < principalK ? left : principalK;
      left -= pp;
      principalPaid += pp;
      interestPaid += pi;
      if (pp === principalK && pi === t.installmentInterest) continue;
      const due = this.dueDay(t, k);
      if (due < this.businessDay) {
        overdue += principalK - pp + (t.installmentInterest - pi);
        principalOverdue += principalK - pp;
        interestOverdue += t.installmentInterest - pi;
        if (oldestUnpaidOverdue === null) oldestUnpaidOverdue = due;
      } else {
        nextDueDay ??= due;
        // Nothing left to allocate and the rest falls due later: no more paid or overdue amounts.
        if (left === 0n) break;
      }
    }
    const writtenOff = status === 601 ? totalExpected - paid : 0n;
    const active = status === 300;
    return {
      terms: t,
      status,
      paid,
      totalExpected,
      totalInterest,
      // Written-off and overpaid loans owe nothing; an overpayment shows as `totalOverpaid`.
      outstanding: status === 601 || status === 700 ? 0n : totalExpected - paid,
      principalPaid,
      interestPaid,
      overdue: active ? overdue : 0n,
      principalOverdue: active ? principalOverdue : 0n,
      interestOverdue: active ? interestOverdue : 0n,
      pastDueDays: active && oldestUnpaidOverdue !== null ? this.businessDay - oldestUnpaidOverdue : 0,
      overdueSinceDay: active ? oldestUnpaidOverdue : null,
      nextDueDay: active ? nextDueDay : null,
      writtenOff,
    };
  }

  /** Exact decimal literal of a minor-unit amount. */
  amount(minor: bigint): string {
    return formatMinor(minor, this.exponent);
  }

  private currencyJson(full: boolean): string {
    return full ? this.currencyFull : this.currencyShort;
  }

  clientName(index: number): string {
    const h = hash32(this.seed ^ 0x5bd1e995, index);
    return `${FIRST_NAMES[h % FIRST_NAMES.length]} ${LAST_NAMES[(h >>> 8) % LAST_NAMES.length]}`;
  }

  private mobileNo(index: number): string {
    const digits = String(10_000_000 + (hash32(this.seed ^ 0x1b873593, index) % 90_000_000));
    return `${this.currency === 'UGX' ? '2567' : '2547'}${digits}`;
  }

  /**
   * A loan as JSON. List items carry `summary` (status >= 300), `delinquencyRange` and `inArrears`; a single GET
   * adds `delinquent` (CollectionData) and the requested associations (shared/reference/lending.md A1.2-A1.3).
   */
  loanJson(index: number, options: { single: boolean; schedule: boolean; transactions: boolean }): string {
    const v = this.view(index);
    const t = v.terms;
    const a = (m: bigint) => this.amount(m);
    const id = t.id;
    const [statusCode, statusValue] = STATUS_TEXT[v.status];
    const s = v.status;
    const parts: string[] = [
      `"id":${id}`,
      `"accountNo":"${String(id).padStart(9, '0')}"`,
      `"externalId":"LN-SIM-${id}"`,
      `"status":{"id":${s},"code":"${statusCode}","value":"${statusValue}","pendingApproval":${s === 100},"waitingForDisbursal":${s === 200},"active":${s === 300},"closedObligationsMet":${s === 600},"closedWrittenOff":${s === 601},"closedRescheduled":false,"closed":${s === 600 || s === 601},"overpaid":${s === 700}}`,
      `"clientId":${id}`,
      `"clientAccountNo":"${String(id).padStart(9, '0')}"`,
      `"clientName":${JSON.stringify(this.clientName(index))}`,
      `"loanProductId":1,"loanProductName":"Simulated Flat Loan"`,
      `"currency":${this.currencyJson(true)}`,
      `"principal":${a(t.principal)},"approvedPrincipal":${a(t.principal)}`,
      `"numberOfRepayments":${t.installments},"annualInterestRate":${t.annualRate}`,
      `"timeline":{"expectedDisbursementDate":${jsonDate(t.disbursementDay)}${s >= 300 ? `,"actualDisbursementDate":${jsonDate(t.disbursementDay)}` : ''}}`,
      `"inArrears":${v.overdue > 0n}`,
    ];
    if (s >= 300) {
      const principalOutstanding = s === 601 ? 0n : t.principal - v.principalPaid;
      const interestOutstanding = s === 601 ? 0n : v.totalInterest - v.interestPaid;
      const summary = [
        `"currency":${this.currencyJson(true)}`,
        `"principalDisbursed":${a(t.principal)}`,
        `"principalPaid":${a(v.principalPaid)}`,
        `"principalWrittenOff":${a(s === 601 ? t.principal - v.principalPaid : 0n)}`,
        `"principalOutstanding":${a(principalOutstanding)}`,
        `"interestCharged":${a(v.totalInterest)}`,
        `"interestPaid":${a(v.interestPaid)}`,
        `"interestOutstanding":${a(interestOutstanding)}`,
        `"feeChargesOutstanding":0,"penaltyChargesOutstanding":0`,
        `"totalExpectedRepayment":${a(v.totalExpected)}`,
        `"totalRepayment":${a(v.paid)}`,
        `"totalWrittenOff":${a(v.writtenOff)}`,
        `"totalOutstanding":${a(v.outstanding)}`,
      ];
      if (s === 700) summary.push(`"totalOverpaid":${a(v.paid - v.totalExpected)}`);
      // The arrears-ageing figures are null (omitted by Gson) when the loan is not in arrears.
      if (v.overdue > 0n) {
        summary.push(
          `"principalOverdue":${a(v.principalOverdue)}`,
          `"interestOverdue":${a(v.interestOverdue)}`,
          `"totalOverdue":${a(v.overdue)}`,
          `"overdueSinceDate":${jsonDate(v.overdueSinceDay!)}`,
        );
      }
      parts.push(`"summary":{${summary.join(',')}}`);
    }
    if (v.pastDueDays > 0) {
      const r = RANGES.find(
        ([, , min, max]) => v.pastDueDays >= min && (max === null || v.pastDueDays <= max),
      )!;
      parts.push(
        `"delinquencyRange":{"id":${r[0]},"classification":"${r[1]}","minimumAgeDays":${r[2]},"maximumAgeDays":${r[3] === null ? 'null' : r[3]}}`,
      );
    }
    if (options.single) {
      // CollectionData is a zero template for loans that are not active.
      parts.push(
        `"delinquent":{"availableDisbursementAmount":0,"pastDueDays":${v.pastDueDays},"delinquentDays":${v.pastDueDays},"delinquentAmount":${a(v.overdue)}` +
          `${v.nextDueDay !== null ? `,"nextPaymentDueDate":${jsonDate(v.nextDueDay)}` : ''}` +
          `${v.overdueSinceDay !== null ? `,"delinquentDate":${jsonDate(v.overdueSinceDay)}` : ''},"delinquencyPausePeriods":[],"installmentLevelDelinquency":[]}`,
      );
      parts.push(`"lastClosedBusinessDate":${jsonDate(this.businessDay - 1)}`);
    }
    if (options.schedule) parts.push(`"repaymentSchedule":${this.scheduleJson(v)}`);
    if (options.transactions)
      parts.push(
        `"transactions":[${this.transactions(index)
          .map((tx) => this.transactionJson(tx))
          .join(',')}]`,
      );
    return `{${parts.join(',')}}`;
  }

  private scheduleJson(v: LoanView): string {
    const t = v.terms;
    const a = (m: bigint) => this.amount(m);
    // The disbursement row has no `period` (Gson omits the null), as in real responses.
    const periods = [
      `{"dueDate":${jsonDate(t.disbursementDay)},"principalDisbursed":${a(t.principal)},"principalLoanBalanceOutstanding":${a(t.principal)},"totalDueForPeriod":0,"totalOutstandingForPeriod":0}`,
    ];
    let balance = t.principal;
    let left = v.paid > v.totalExpected ? v.totalExpected : v.paid;
    let previousDue = t.disbursementDay;
    for (let k = 0; k < t.installments; k++) {
      const principalK = this.principalOf(t, k);
      const interestK = t.installmentInterest;
      const paidInterest = left < interestK ? left : interestK;
      left -= paidInterest;
      const paidPrincipal = left < principalK ? left : principalK;
      left -= paidPrincipal;
      balance -= principalK;
      const dueDay = this.dueDay(t, k);
      const due = principalK + interestK;
      const paid = paidPrincipal + paidInterest;
      const writtenOff = v.status === 601;
      const outstanding = writtenOff ? 0n : due - paid;
      const overdue = dueDay < this.businessDay ? outstanding : 0n;
      periods.push(
        `{"period":${k + 1},"fromDate":${jsonDate(previousDue)},"dueDate":${jsonDate(dueDay)},"complete":${outstanding === 0n && !writtenOff ? 'true' : 'false'},` +
          `"principalDue":${a(principalK)},"principalPaid":${a(paidPrincipal)},"principalOutstanding":${a(writtenOff ? 0n : principalK - paidPrincipal)},"principalLoanBalanceOutstanding":${a(balance)},` +
          `"interestDue":${a(interestK)},"interestPaid":${a(paidInterest)},"interestOutstanding":${a(writtenOff ? 0n : interestK - paidInterest)},` +
          `"feeChargesDue":0,"penaltyChargesDue":0,"totalDueForPeriod":${a(due)},"totalPaidForPeriod":${a(paid)},"totalOutstandingForPeriod":${a(outstanding)},"totalOverdue":${a(overdue)}}`,
      );
      previousDue = dueDay;
    }
    return `{"currency":${this.currencyJson(false)},"totalPrincipalDisbursed":${a(t.principal)},"totalRepaymentExpected":${a(v.totalExpected)},"totalRepayment":${a(v.paid)},"totalOutstanding":${a(v.outstanding)},"periods":[${periods.join(',')}]}`;
  }

  /** History (disbursement + repayments before API activity) followed by API postings, oldest first. */
  transactions(index: number): PostedTransaction[] {
    const t = this.terms(index);
    if (t.baseStatus < 300) return [...(this.posted.get(index) ?? [])];
    const history: PostedTransaction[] = [this.historical(t, 0, t.principal, t.disbursementDay, 1)];
    for (let k = 0; k < t.basePaidInstallments; k++) {
      history.push(
        this.historical(
          t,
          k + 1,
          this.principalOf(t, k) + t.installmentInterest,
          Math.min(this.dueDay(t, k), this.businessDay),
          2,
        ),
      );
    }
    if (t.basePartial > 0n) {
      const k = t.basePaidInstallments;
      history.push(
        this.historical(t, k + 1, t.basePartial, Math.min(this.dueDay(t, k) - 1, this.businessDay), 2),
      );
    }
    return [...history, ...(this.posted.get(index) ?? [])];
  }

  private historical(t: LoanTerms, k: number, amount: bigint, day: number, type: 1 | 2): PostedTransaction {
    return {
      id: t.id * HISTORY_SLOTS + k,
      loanIndex: t.index,
      externalId: type === 1 ? null : `SIM-${t.id}-${k}`,
      amount,
      day,
      reversed: false,
      reversalExternalId: null,
      reversedOnDay: null,
      paymentTypeId: null,
      receiptNumber: null,
      note: null,
      type,
    };
  }

  transactionJson(tx: PostedTransaction): string {
    const typeJson =
      tx.type === 1
        ? `{"id":1,"code":"loanTransactionType.disbursement","value":"Disbursement","disbursement":true,"repayment":false,"chargeback":false}`
        : `{"id":2,"code":"loanTransactionType.repayment","value":"Repayment","disbursement":false,"repayment":true,"chargeback":false}`;
    const loanId = tx.loanIndex + 1;
    const fields = [
      `"id":${tx.id}`,
      `"loanId":${loanId}`,
      `"externalLoanId":"LN-SIM-${loanId}"`,
      `"officeId":1,"officeName":"Head Office"`,
      `"type":${typeJson}`,
      `"date":${jsonDate(tx.day)}`,
      `"submittedOnDate":${jsonDate(tx.day)}`,
      `"currency":${this.currencyJson(false)}`,
      `"amount":${this.amount(tx.amount)}`,
      `"manuallyReversed":${tx.reversed}`,
      `"transactionRelations":[]`,
    ];
    if (tx.externalId !== null) fields.push(`"externalId":${JSON.stringify(tx.externalId)}`);
    if (tx.reversalExternalId !== null)
      fields.push(`"reversalExternalId":${JSON.stringify(tx.reversalExternalId)}`);
    if (tx.reversedOnDay !== null) fields.push(`"reversedOnDate":${jsonDate(tx.reversedOnDay)}`);
    if (tx.paymentTypeId !== null || tx.receiptNumber !== null) {
      fields.push(
        `"paymentDetailData":{"id":${tx.id},"paymentType":{"id":${tx.paymentTypeId ?? 1},"name":"Payment type ${tx.paymentTypeId ?? 1}","isSystemDefined":false}` +
          `${tx.receiptNumber !== null ? `,"receiptNumber":${JSON.stringify(tx.receiptNumber)}` : ''}}`,
      );
    }
    if (tx.note !== null) fields.push(`"note":${JSON.stringify(tx.note)}`);
    return `{${fields.join(',')}}`;
  }

  clientJson(index: number): string {
    const id = index + 1;
    const [first, last] = this.clientName(index).split(' ');
    return (
      `{"id":${id},"accountNo":"${String(id).padStart(9, '0')}","externalId":"CUST-SIM-${id}",` +
      `"status":{"id":300,"code":"clientStatusType.active","value":"Active"},"active":true,` +
      `"firstname":"${first}","lastname":"${last}","displayName":"${first} ${last}","mobileNo":"${this.mobileNo(index)}",` +
      `"officeId":1,"officeName":"Head Office"}`
    );
  }

  /** A transaction by external id on a loan: API postings, then the generated history (`SIM-{loanId}-{k}`). */
  findByExternalId(index: number, externalId: string): PostedTransaction | null {
    const posted = this.byExternalId.get(externalId);
    if (posted) return posted.loanIndex === index ? posted : null;
    const m = /^SIM-(\d+)-(\d+)$/.exec(externalId);
    if (!m || Number(m[1]) !== index + 1) return null;
    return this.transactions(index).find((tx) => tx.externalId === externalId) ?? null;
  }

  /** A transaction by id on a loan. */
  findById(index: number, id: number): PostedTransaction | null {
    const posted = this.byId.get(id);
    if (posted) return posted.loanIndex === index ? posted : null;
    if (Math.floor(id / HISTORY_SLOTS) !== index + 1) return null;
    return this.transactions(index).find((tx) => tx.id === id) ?? null;
  }

  /** Whether an external id is taken anywhere in the tenant (Fineract's uniqueness spans all loans). */
  externalIdTaken(externalId: string): boolean {
    if (this.byExternalId.has(externalId)) return true;
    const m = /^SIM-(\d+)-(\d+)$/.exec(externalId);
    if (!m) return false;
    const index = this.indexOf(m[1]);
    return index >= 0 && this.transactions(index).some((tx) => tx.externalId === externalId);
  }

  /** Records a repayment; the caller has validated it. */
  postRepayment(
    index: number,
    input: {
      amount: bigint;
      day: number;
      externalId: string | null;
      paymentTypeId: number | null;
      receiptNumber: string | null;
      note: string | null;
    },
  ): PostedTransaction {
    const tx: PostedTransaction = {
      id: this.nextTransactionId++,
      type: 2,
      loanIndex: index,
      reversed: false,
      reversalExternalId: null,
      reversedOnDay: null,
      ...input,
    };
    const list = this.posted.get(index) ?? [];
    list.push(tx);
    this.posted.set(index, list);
    this.byId.set(tx.id, tx);
    if (tx.externalId !== null) this.byExternalId.set(tx.externalId, tx);
    this.apiPaid[index] += tx.amount;
    return tx;
  }

  /** Whether the transaction was posted through the API (or by {@link mutate}) rather than generated history. */
  isApiPosting(tx: PostedTransaction): boolean {
    return this.byId.get(tx.id) === tx;
  }

  /** Undoes a posted repayment (amount 0 adjustment). */
  undo(tx: PostedTransaction, reversalExternalId: string | null, day: number): void {
    tx.reversed = true;
    tx.reversalExternalId = reversalExternalId;
    tx.reversedOnDay = day;
    this.apiPaid[tx.loanIndex] -= tx.amount;
  }

  /**
   * Changes `count` loans, as back-office activity between two syncs would: each gets a teller repayment of (up to)
   * one installment, which moves its summary (outstanding, repaid, overdue). Deterministic: the same seed and call
   * sequence change the same loans. Returns the changed loan ids.
   */
  mutate(count: number): string[] {
    const changed: string[] = [];
    if (this.loans === 0 || count <= 0) return changed;
    const start = hash32(this.seed ^ 0x27d4eb2f, this.mutations++) % this.loans;
    // A stride coprime with the book size visits every loan once.
    let stride = 7919 % this.loans || 1;
    while (gcd(stride, this.loans) !== 1) stride++;
    for (
      let step = 0, index = start;
      step < this.loans && changed.length < count;
      step++, index = (index + stride) % this.loans
    ) {
      const v = this.view(index);
      if (v.status !== 300 || v.outstanding <= 0n) continue;
      const k = Math.min(v.terms.basePaidInstallments, v.terms.installments - 1);
      const installment = this.principalOf(v.terms, k) + v.terms.installmentInterest;
      const amount = installment < v.outstanding ? installment : v.outstanding;
      this.postRepayment(index, {
        amount,
        day: this.businessDay,
        externalId: `SIM-MUT-${this.mutations}-${index + 1}`,
        paymentTypeId: null,
        receiptNumber: null,
        note: 'Teller repayment (simulated back-office activity)',
      });
      changed.push(String(index + 1));
    }
    return changed;
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
