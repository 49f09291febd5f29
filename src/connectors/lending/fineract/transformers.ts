/**
 * Fineract wire types (prefixed `Fineract`) and pure mapping functions to Lipa's lending types. No I/O here.
 *
 * Shapes follow `LoanAccountData`, `LoanSummaryData`, `CollectionData`, `LoanSchedulePeriodData`,
 * `LoanTransactionData`, `ClientData` and `CommandProcessingResult` of apache/fineract (shared/reference/lending.md
 * A1.3-A1.6). Every response is validated: a missing field or a wrong type is RESPONSE_DECODING_FAILED, never a
 * silent zero (optional fields are the ones Fineract omits in practice: Gson drops nulls).
 */
import { z } from 'zod';
import { ConnectorError } from '../../errors';
import { fromProviderAmount } from '../../money';
import type {
  LenderBorrower,
  LenderInstallment,
  LenderLoan,
  LenderLoanStatus,
  LenderTransaction,
  LenderTransactionType,
} from '../../types';
import { currencyExponent, isKnownCurrency, money, type Money } from '../../../domain/money';
import { FINERACT_CONNECTOR_ID as ID } from './types';

// ---------------------------------------------------------------------------------------------------------------
// Wire schemas
// ---------------------------------------------------------------------------------------------------------------

/**
 * `LocalDate` is serialised as `[yyyy, m, d]` by Fineract's Gson `LocalDateAdapter`; endpoints migrated to Jackson
 * (1.9+) write `"yyyy-MM-dd"`. Both are accepted.
 */
export const FineractDateSchema = z.union([
  z.tuple([
    z.number().int().min(1900).max(9999),
    z.number().int().min(1).max(12),
    z.number().int().min(1).max(31),
  ]),
  z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
]);
export type FineractDate = z.infer<typeof FineractDateSchema>;

/** Amounts are JSON numbers (BigDecimal) in major units; strings are tolerated. */
export const FineractAmountSchema = z.union([z.number(), z.string()]);
export type FineractAmount = z.infer<typeof FineractAmountSchema>;

export const FineractCurrencySchema = z.object({
  code: z.string().min(1),
  /** Precision configured for the currency in this tenant (not necessarily ISO 4217). */
  decimalPlaces: z.number().int().min(0).max(6).nullish(),
  inMultiplesOf: z.number().nullish(),
});
export type FineractCurrency = z.infer<typeof FineractCurrencySchema>;

export const FineractLoanStatusSchema = z.object({
  id: z.number().int(),
  code: z.string().nullish(),
  value: z.string().nullish(),
});

export const FineractLoanSummarySchema = z.object({
  principalOutstanding: FineractAmountSchema.nullish(),
  interestOutstanding: FineractAmountSchema.nullish(),
  feeChargesOutstanding: FineractAmountSchema.nullish(),
  penaltyChargesOutstanding: FineractAmountSchema.nullish(),
  totalOutstanding: FineractAmountSchema,
  /** From the arrears-ageing table: null (omitted) when the loan is not in arrears. */
  totalOverdue: FineractAmountSchema.nullish(),
  overdueSinceDate: FineractDateSchema.nullish(),
});
export type FineractLoanSummary = z.infer<typeof FineractLoanSummarySchema>;

/** `CollectionData`: only on single-loan GET (always computed there), never in list items. */
export const FineractCollectionDataSchema = z.object({
  pastDueDays: z.number().int().nullish(),
  delinquentDays: z.number().int().nullish(),
  delinquentAmount: FineractAmountSchema.nullish(),
  nextPaymentDueDate: FineractDateSchema.nullish(),
  delinquentDate: FineractDateSchema.nullish(),
});

export const FineractDelinquencyRangeSchema = z.object({
  id: z.number().int().nullish(),
  classification: z.string(),
  minimumAgeDays: z.number().int().nullish(),
  maximumAgeDays: z.number().int().nullish(),
});

export const FineractSchedulePeriodSchema = z.object({
  /** Absent (or 0) on disbursement rows; instalments are numbered from 1. */
  period: z.number().int().nullish(),
  dueDate: FineractDateSchema,
  complete: z.boolean().nullish(),
  principalDue: FineractAmountSchema.nullish(),
  interestDue: FineractAmountSchema.nullish(),
  totalDueForPeriod: FineractAmountSchema.nullish(),
  totalPaidForPeriod: FineractAmountSchema.nullish(),
  totalOutstandingForPeriod: FineractAmountSchema.nullish(),
});
export type FineractSchedulePeriod = z.infer<typeof FineractSchedulePeriodSchema>;

export const FineractTransactionSchema = z.object({
  id: z.number().int(),
  loanId: z.number().int().nullish(),
  externalId: z.string().nullish(),
  type: z.object({
    id: z.number().int(),
    code: z.string().nullish(),
    value: z.string().nullish(),
  }),
  date: FineractDateSchema,
  currency: FineractCurrencySchema.nullish(),
  amount: FineractAmountSchema,
  manuallyReversed: z.boolean().nullish(),
  reversalExternalId: z.string().nullish(),
});
export type FineractTransaction = z.infer<typeof FineractTransactionSchema>;

export const FineractLoanSchema = z.object({
  id: z.number().int(),
  accountNo: z.string().min(1),
  externalId: z.string().nullish(),
  status: FineractLoanStatusSchema,
  clientId: z.number().int().nullish(),
  clientName: z.string().nullish(),
  /** Group loans carry `groupId` instead of `clientId`. */
  groupId: z.number().int().nullish(),
  groupName: z.string().nullish(),
  currency: FineractCurrencySchema,
  principal: FineractAmountSchema,
  /** Absent for loans below status 300 (not yet disbursed). */
  summary: FineractLoanSummarySchema.nullish(),
  inArrears: z.boolean().nullish(),
  delinquent: FineractCollectionDataSchema.nullish(),
  delinquencyRange: FineractDelinquencyRangeSchema.nullish(),
  repaymentSchedule: z.object({ periods: z.array(FineractSchedulePeriodSchema) }).nullish(),
  /** Parsed item by item (one unreadable transaction must not hide the loan). */
  transactions: z.array(z.unknown()).nullish(),
});
export type FineractLoan = z.infer<typeof FineractLoanSchema>;

/** `GET /loans` answers a `Page<LoanAccountData>`; items are validated one by one. */
export const FineractLoanPageSchema = z.object({
  totalFilteredRecords: z.number().int().min(0),
  pageItems: z.array(z.unknown()),
});
export type FineractLoanPage = z.infer<typeof FineractLoanPageSchema>;

export const FineractClientSchema = z.object({
  id: z.number().int(),
  accountNo: z.string().nullish(),
  externalId: z.string().nullish(),
  displayName: z.string().nullish(),
  fullname: z.string().nullish(),
  firstname: z.string().nullish(),
  middlename: z.string().nullish(),
  lastname: z.string().nullish(),
  mobileNo: z.string().nullish(),
  emailAddress: z.string().nullish(),
});
export type FineractClient = z.infer<typeof FineractClientSchema>;

export const FineractGroupSchema = z.object({ id: z.number().int(), name: z.string().nullish() });
export type FineractGroup = z.infer<typeof FineractGroupSchema>;

/** `CommandProcessingResult` of any write. */
export const FineractCommandResultSchema = z.object({
  resourceId: z.number().int(),
  loanId: z.number().int().nullish(),
  clientId: z.number().int().nullish(),
  resourceExternalId: z.string().nullish(),
});
export type FineractCommandResult = z.infer<typeof FineractCommandResultSchema>;

/** `ApiGlobalErrorResponse` + `ApiParameterError`, the envelope of every 4xx/5xx. */
export const FineractErrorEnvelopeSchema = z.object({
  httpStatusCode: z.union([z.string(), z.number()]).nullish(),
  developerMessage: z.string().nullish(),
  defaultUserMessage: z.string().nullish(),
  userMessageGlobalisationCode: z.string().nullish(),
  errors: z
    .array(
      z.object({
        userMessageGlobalisationCode: z.string().nullish(),
        defaultUserMessage: z.string().nullish(),
        parameterName: z.string().nullish(),
      }),
    )
    .nullish(),
});
export type FineractErrorEnvelope = z.infer<typeof FineractErrorEnvelopeSchema>;

/** Request body of `POST /loans/{id}/transactions?command=repayment`: exactly the keys Fineract allows. */
export interface FineractRepaymentRequest {
  transactionDate: string;
  dateFormat: 'yyyy-MM-dd';
  locale: 'en';
  /** Decimal string in major units ("50000", "1500.50"): Fineract reads BigDecimal from strings with `locale`. */
  transactionAmount: string;
  externalId: string;
  paymentTypeId?: number;
  receiptNumber?: string;
  note?: string;
}

/** Request body of `POST /loans/{id}/transactions/{txId}?command=undo` (amount 0 = pure reversal). */
export interface FineractUndoRequest {
  transactionDate: string;
  dateFormat: 'yyyy-MM-dd';
  locale: 'en';
  transactionAmount: 0;
  reversalExternalId: string;
  note?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding helpers
// ---------------------------------------------------------------------------------------------------------------

/**
 * Validates `data` against `schema`.
 * @throws ConnectorError RESPONSE_DECODING_FAILED naming the bad paths (never the values: they may be personal data).
 */
export function decodeFineract<T>(schema: z.ZodType<T>, data: unknown, what: string): T {
  if (typeof data === 'string') {
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', `Fineract ${what} is not JSON`);
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    const paths = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.code}`);
    throw new ConnectorError(
      ID,
      'RESPONSE_DECODING_FAILED',
      `Fineract ${what} has an unexpected shape (${paths.join('; ')})`,
    );
  }
  return result.data;
}

/** `[2024, 8, 20]` or `"2024-08-20"` -> `"2024-08-20"`, rejecting impossible dates. */
export function fineractDateToIso(date: FineractDate): string {
  let iso: string;
  if (typeof date === 'string') iso = date;
  else {
    const [y, m, d] = date;
    iso = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  }
  const parsed = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== iso) {
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', `Fineract date ${iso} is not a calendar date`);
  }
  return iso;
}

/**
 * The ISO currency of a Fineract `currency` object.
 *
 * Fineract amounts are major units whatever `decimalPlaces` says, so conversion to ISO minor units is exact as long
 * as no amount carries more precision than the ISO exponent: a tenant that configured UGX with 2 decimal places
 * still sends "50000" or "50000.00" (accepted), and one that sends "50000.50" UGX fails that amount
 * (RESPONSE_DECODING_FAILED) instead of being rounded.
 * @throws ConnectorError CURRENCY_UNSUPPORTED for a currency Lipa does not know.
 */
export function fineractCurrency(currency: FineractCurrency): string {
  const code = currency.code.trim().toUpperCase();
  if (!isKnownCurrency(code)) {
    throw new ConnectorError(
      ID,
      'CURRENCY_UNSUPPORTED',
      `Fineract currency ${code} is not supported by Lipa`,
    );
  }
  return code;
}

/** Reads one major-unit amount into exact {@link Money} (the only path amounts take). */
export function fineractAmount(
  value: FineractAmount | null | undefined,
  currency: string,
  field: string,
  decimalPlaces?: number | null,
): Money {
  if (value === null || value === undefined) {
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', `Fineract ${field} is missing`);
  }
  try {
    return fromProviderAmount(ID, value, currency, { kind: 'major' });
  } catch (err) {
    if (err instanceof ConnectorError && err.code === 'RESPONSE_DECODING_FAILED') {
      const precision =
        decimalPlaces != null && decimalPlaces > currencyExponent(currency)
          ? ` (tenant decimalPlaces ${decimalPlaces})`
          : '';
      throw new ConnectorError(
        ID,
        'RESPONSE_DECODING_FAILED',
        `Fineract ${field} is not an exact ${currency} amount${precision}: ${err.message}`,
      );
    }
    throw err;
  }
}

const optionalAmount = (
  value: FineractAmount | null | undefined,
  currency: string,
  field: string,
  dp?: number | null,
): Money =>
  value === null || value === undefined ? money(0n, currency) : fineractAmount(value, currency, field, dp);

// ---------------------------------------------------------------------------------------------------------------
// Mapping
// ---------------------------------------------------------------------------------------------------------------

/** `status.id` -> Lipa status (`LoanStatus` enum of Fineract). Ids Lipa has never seen are `UNKNOWN`. */
const STATUS_BY_ID: Readonly<Record<number, LenderLoanStatus>> = Object.freeze({
  100: 'PENDING',
  200: 'APPROVED',
  300: 'ACTIVE',
  // Transfer in progress / on hold: the loan is still owed and keeps its balances.
  303: 'ACTIVE',
  304: 'ACTIVE',
  400: 'WITHDRAWN',
  500: 'REJECTED',
  600: 'CLOSED',
  601: 'WRITTEN_OFF',
  // Closed because it was rescheduled into a new loan: nothing is owed on this one.
  602: 'CLOSED',
  700: 'OVERPAID',
});

/** Maps a Fineract loan status id; unknown ids are `UNKNOWN` (kept and shown, never guessed). */
export function fineractLoanStatus(statusId: number): LenderLoanStatus {
  return STATUS_BY_ID[statusId] ?? 'UNKNOWN';
}

/** Statuses whose summary carries money the borrower owes: a loan in one of them must have `summary`. */
const NEEDS_SUMMARY: ReadonlySet<LenderLoanStatus> = new Set(['ACTIVE', 'OVERPAID']);

/** Borrower id of a loan: the client id, or `group:{id}` for group loans. */
export function fineractBorrowerId(loan: Pick<FineractLoan, 'clientId' | 'groupId'>): string {
  if (loan.clientId != null) return String(loan.clientId);
  if (loan.groupId != null) return `group:${loan.groupId}`;
  throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', 'Fineract loan has neither clientId nor groupId');
}

/** One schedule period (period >= 1) as a Lipa installment. */
export function fineractPeriodToInstallment(
  period: FineractSchedulePeriod,
  currency: string,
  dp?: number | null,
): LenderInstallment {
  const n = period.period ?? 0;
  const totalDue = fineractAmount(period.totalDueForPeriod, currency, `period ${n} totalDueForPeriod`, dp);
  const totalOutstanding = fineractAmount(
    period.totalOutstandingForPeriod,
    currency,
    `period ${n} totalOutstandingForPeriod`,
    dp,
  );
  return {
    number: n,
    dueDate: fineractDateToIso(period.dueDate),
    totalDue,
    totalPaid: optionalAmount(period.totalPaidForPeriod, currency, `period ${n} totalPaidForPeriod`, dp),
    totalOutstanding,
    principalDue: optionalAmount(period.principalDue, currency, `period ${n} principalDue`, dp),
    interestDue: optionalAmount(period.interestDue, currency, `period ${n} interestDue`, dp),
    complete: period.complete ?? totalOutstanding.amountMinor === 0n,
  };
}

/**
 * Installments from `repaymentSchedule.periods`: disbursement rows (no `period`, or `period: 0`; one per tranche on
 * multi-disbursement loans) are not installments and are dropped.
 */
export function fineractInstallments(
  periods: FineractSchedulePeriod[],
  currency: string,
  dp?: number | null,
): LenderInstallment[] {
  return periods
    .filter((p) => p.period != null && p.period > 0)
    .map((p) => fineractPeriodToInstallment(p, currency, dp));
}

export interface FineractLoanMappingOptions {
  /** `YYYY-MM-DD` of "today", used to pick the next due date from the schedule when `delinquent` lacks it. */
  today?: string;
}

/**
 * Maps a loan (list item or single GET) to {@link LenderLoan}.
 *
 * - outstanding = `summary.totalOutstanding`; overdue = `summary.totalOverdue` (arrears-ageing table, refreshed by
 *   transactions and COB). The same source is used for list items and single loans so a scan compares like with
 *   like; `delinquent.delinquentAmount` is only a fallback when the summary has no overdue figure.
 * - daysPastDue = `delinquent.pastDueDays` (raw DPD), daysInArrears = `delinquent.delinquentDays` (after grace and
 *   pauses). List items have no `delinquent`, so both are 0 there; `getLoan` has the real values.
 * - installments only when the schedule association was requested.
 * @throws ConnectorError RESPONSE_DECODING_FAILED, CURRENCY_UNSUPPORTED
 */
export function fineractLoanToLender(
  loan: FineractLoan,
  options: FineractLoanMappingOptions = {},
): LenderLoan {
  const currency = fineractCurrency(loan.currency);
  const dp = loan.currency.decimalPlaces;
  const status = fineractLoanStatus(loan.status.id);
  const summary = loan.summary ?? null;
  if (!summary && NEEDS_SUMMARY.has(status)) {
    throw new ConnectorError(
      ID,
      'RESPONSE_DECODING_FAILED',
      `Fineract loan ${loan.id} is ${status} but has no summary`,
    );
  }
  const zero = money(0n, currency);
  const outstanding = summary
    ? fineractAmount(summary.totalOutstanding, currency, 'summary.totalOutstanding', dp)
    : zero;
  let overdue = zero;
  if (summary?.totalOverdue != null)
    overdue = fineractAmount(summary.totalOverdue, currency, 'summary.totalOverdue', dp);
  else if (loan.delinquent?.delinquentAmount != null)
    overdue = fineractAmount(loan.delinquent.delinquentAmount, currency, 'delinquent.delinquentAmount', dp);

  const installments = loan.repaymentSchedule
    ? fineractInstallments(loan.repaymentSchedule.periods, currency, dp)
    : undefined;
  let nextDueDate: string | null = loan.delinquent?.nextPaymentDueDate
    ? fineractDateToIso(loan.delinquent.nextPaymentDueDate)
    : null;
  if (!nextDueDate && installments) {
    const today = options.today ?? '0000-00-00';
    nextDueDate = installments.find((i) => !i.complete && i.dueDate >= today)?.dueDate ?? null;
  }

  const result: LenderLoan = {
    externalId: String(loan.id),
    accountNumber: loan.accountNo,
    externalReference: loan.externalId ?? null,
    borrowerExternalId: fineractBorrowerId(loan),
    borrowerDisplayName: loan.clientName ?? loan.groupName ?? null,
    currency,
    status,
    rawStatus: String(loan.status.id),
    principal: fineractAmount(loan.principal, currency, 'principal', dp),
    outstanding,
    overdue,
    daysPastDue: Math.max(0, loan.delinquent?.pastDueDays ?? 0),
    daysInArrears: Math.max(0, loan.delinquent?.delinquentDays ?? 0),
    delinquencyClass: loan.delinquencyRange?.classification ?? null,
    nextDueDate,
    // Fineract exposes no modification timestamp on loans (hence the scan-based incremental sync).
    lastModifiedAt: null,
  };
  if (installments) result.installments = installments;
  return result;
}

/** Reads a loan id from a raw list item that failed validation, for the failure entry. */
export function fineractRawLoanId(item: unknown): string | null {
  if (item && typeof item === 'object' && 'id' in item) {
    const id = (item as { id: unknown }).id;
    if (typeof id === 'number' || typeof id === 'string') return String(id);
  }
  return null;
}

/** `LoanTransactionType` ids -> Lipa's coarse types. */
export function fineractTransactionType(typeId: number): LenderTransactionType {
  switch (typeId) {
    case 1: // DISBURSEMENT
      return 'DISBURSEMENT';
    case 2: // REPAYMENT
    case 5: // REPAYMENT_AT_DISBURSEMENT
    case 8: // RECOVERY_REPAYMENT (repayment on a written-off loan)
    case 28: // DOWN_PAYMENT
      return 'REPAYMENT';
    case 25: // CHARGEBACK
      return 'CHARGEBACK';
    case 3: // CONTRA
    case 26: // CHARGE_ADJUSTMENT
      return 'ADJUSTMENT';
    default:
      return 'OTHER';
  }
}

/** Maps one loan transaction; `fallbackCurrency` is the loan's when the transaction omits its own. */
export function fineractTransactionToLender(
  tx: FineractTransaction,
  fallbackCurrency: string | null,
): LenderTransaction {
  const currency = tx.currency ? fineractCurrency(tx.currency) : fallbackCurrency;
  if (!currency)
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', `Fineract transaction ${tx.id} has no currency`);
  return {
    transactionId: String(tx.id),
    externalId: tx.externalId ?? null,
    type: fineractTransactionType(tx.type.id),
    amount: fineractAmount(tx.amount, currency, `transaction ${tx.id} amount`, tx.currency?.decimalPlaces),
    date: fineractDateToIso(tx.date),
    reversed: tx.manuallyReversed === true,
  };
}

/** Maps `ClientData` to a borrower (phone and e-mail as stored: free text, normalised by services). */
export function fineractClientToBorrower(client: FineractClient): LenderBorrower {
  const composed = [client.firstname, client.middlename, client.lastname]
    .filter((s): s is string => !!s && s.trim() !== '')
    .join(' ');
  return {
    externalId: String(client.id),
    displayName: client.displayName ?? client.fullname ?? (composed || null),
    phoneNumber: client.mobileNo?.trim() || null,
    email: client.emailAddress?.trim() || null,
  };
}

/** Maps a group (borrower of a group loan): no phone or e-mail on the group itself. */
export function fineractGroupToBorrower(group: FineractGroup): LenderBorrower {
  return { externalId: `group:${group.id}`, displayName: group.name ?? null, phoneNumber: null, email: null };
}

/** Reads the error envelope of a non-2xx answer; null when the body is not one (HTML, empty, other JSON). */
export function readFineractError(
  data: unknown,
): { code: string | null; specificCode: string | null; message: string | null } | null {
  const parsed = FineractErrorEnvelopeSchema.safeParse(data);
  if (!parsed.success || typeof data !== 'object' || data === null) return null;
  const env = parsed.data;
  const first = env.errors?.find((e) => e.userMessageGlobalisationCode) ?? null;
  const code = env.userMessageGlobalisationCode ?? null;
  if (!code && !first) return null;
  return {
    code,
    specificCode: first?.userMessageGlobalisationCode ?? code,
    message: first?.defaultUserMessage ?? env.defaultUserMessage ?? env.developerMessage ?? null,
  };
}

/** True for the 400 Fineract raises when a transaction `externalId` is already used (LoanAccountDomainServiceJpa). */
export function isFineractDuplicateExternalId(providerCode: string | undefined): boolean {
  return !!providerCode && /externalId\.value\.must\.be\.unique$/.test(providerCode);
}
