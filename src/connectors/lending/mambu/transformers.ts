/**
 * Mambu v2 wire types (prefixed `Mambu`) and pure mapping functions to Lipa's lending types. No I/O here.
 *
 * Shapes follow the v2 `LoanAccount`, `LoanTransaction`, `Client` and loan-schedule `Installment` schemas
 * (shared/reference/lending.md A2; https://docs.mambu.com/api/api-v2/). Where public material was thin (schedule
 * shape, `currencyCode`) the schemas are tolerant and say so.
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
import { isKnownCurrency, money, type Money } from '../../../domain/money';
import { MAMBU_CONNECTOR_ID as ID } from './types';

// ---------------------------------------------------------------------------------------------------------------
// Wire schemas
// ---------------------------------------------------------------------------------------------------------------

/** Amounts are JSON numbers in major units; strings are tolerated. */
export const MambuAmountSchema = z.union([z.number(), z.string()]);
export type MambuAmount = z.infer<typeof MambuAmountSchema>;

/** ISO-8601 with the organisation's offset (`2024-08-20T09:30:00+03:00`) or a plain date. */
export const MambuDateTimeSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/);

export const MambuBalancesSchema = z.object({
  principalBalance: MambuAmountSchema.nullish(),
  principalDue: MambuAmountSchema.nullish(),
  interestBalance: MambuAmountSchema.nullish(),
  interestDue: MambuAmountSchema.nullish(),
  interestFromArrearsBalance: MambuAmountSchema.nullish(),
  interestFromArrearsDue: MambuAmountSchema.nullish(),
  feesBalance: MambuAmountSchema.nullish(),
  feesDue: MambuAmountSchema.nullish(),
  penaltyBalance: MambuAmountSchema.nullish(),
  penaltyDue: MambuAmountSchema.nullish(),
});
export type MambuBalances = z.infer<typeof MambuBalancesSchema>;

export const MambuLoanAccountSchema = z.object({
  encodedKey: z.string().min(1),
  id: z.string().min(1),
  loanName: z.string().nullish(),
  accountHolderKey: z.string().min(1),
  accountHolderType: z.string().nullish(),
  accountState: z.string().min(1),
  accountSubState: z.string().nullish(),
  loanAmount: MambuAmountSchema,
  /** [verify] recent schemas only; older tenants omit it (then `defaultCurrency` applies). */
  currencyCode: z.string().nullish(),
  currency: z.object({ code: z.string().nullish() }).nullish(),
  daysInArrears: z.number().int().nullish(),
  daysLate: z.number().int().nullish(),
  balances: MambuBalancesSchema.nullish(),
  lastModifiedDate: MambuDateTimeSchema.nullish(),
});
export type MambuLoanAccount = z.infer<typeof MambuLoanAccountSchema>;

const MambuComponentAmountSchema = z.object({
  expected: MambuAmountSchema.nullish(),
  paid: MambuAmountSchema.nullish(),
  due: MambuAmountSchema.nullish(),
});
const MambuComponentSchema = z.object({ amount: MambuComponentAmountSchema.nullish() });

/**
 * One schedule installment. Thin public material [verify]: `number` is a string in v2 samples (a number is
 * accepted), components are `{ amount: { expected, paid, due } }` with `expected = paid + due`; missing components
 * count as zero.
 */
export const MambuInstallmentSchema = z.object({
  encodedKey: z.string().nullish(),
  number: z.union([z.string().regex(/^\d+$/), z.number().int()]).nullish(),
  dueDate: MambuDateTimeSchema,
  state: z.string().nullish(),
  principal: MambuComponentSchema.nullish(),
  interest: MambuComponentSchema.nullish(),
  fee: MambuComponentSchema.nullish(),
  penalty: MambuComponentSchema.nullish(),
});
export type MambuInstallment = z.infer<typeof MambuInstallmentSchema>;

export const MambuScheduleSchema = z.object({
  installments: z.array(MambuInstallmentSchema),
  currency: z.object({ code: z.string().nullish() }).nullish(),
});
export type MambuSchedule = z.infer<typeof MambuScheduleSchema>;

export const MambuTransactionSchema = z.object({
  encodedKey: z.string().min(1),
  id: z.union([z.string(), z.number()]).nullish(),
  externalId: z.string().nullish(),
  parentAccountKey: z.string().nullish(),
  type: z.string().min(1),
  amount: MambuAmountSchema,
  valueDate: MambuDateTimeSchema,
  creationDate: MambuDateTimeSchema.nullish(),
  currencyCode: z.string().nullish(),
  currency: z.object({ code: z.string().nullish() }).nullish(),
  /** Set on the original when it has been adjusted (reversed). */
  adjustmentTransactionKey: z.string().nullish(),
});
export type MambuTransaction = z.infer<typeof MambuTransactionSchema>;

export const MambuClientSchema = z.object({
  encodedKey: z.string().min(1),
  id: z.string().nullish(),
  firstName: z.string().nullish(),
  middleName: z.string().nullish(),
  lastName: z.string().nullish(),
  mobilePhone: z.string().nullish(),
  mobilePhone2: z.string().nullish(),
  emailAddress: z.string().nullish(),
});
export type MambuClient = z.infer<typeof MambuClientSchema>;

/** `{"errors":[{"errorCode":4,"errorSource":"amount","errorReason":"INVALID_PARAMETERS"}]}` */
export const MambuErrorEnvelopeSchema = z.object({
  errors: z.array(
    z.object({
      errorCode: z.union([z.number(), z.string()]).nullish(),
      errorSource: z.string().nullish(),
      errorReason: z.string().nullish(),
    }),
  ),
});
export type MambuErrorEnvelope = z.infer<typeof MambuErrorEnvelopeSchema>;

/** Request body of `POST /loans/{id}/repayment-transactions` (amount written as a raw JSON number). */
export interface MambuRepaymentRequest {
  amount: string;
  valueDate: string;
  externalId: string;
  notes?: string;
  transactionDetails?: { transactionChannelId: string };
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding helpers
// ---------------------------------------------------------------------------------------------------------------

/**
 * Validates `data` against `schema`.
 * @throws ConnectorError RESPONSE_DECODING_FAILED naming the bad paths (never the values).
 */
export function decodeMambu<T>(schema: z.ZodType<T>, data: unknown, what: string): T {
  if (typeof data === 'string')
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', `Mambu ${what} is not JSON`);
  const result = schema.safeParse(data);
  if (!result.success) {
    const paths = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.code}`);
    throw new ConnectorError(
      ID,
      'RESPONSE_DECODING_FAILED',
      `Mambu ${what} has an unexpected shape (${paths.join('; ')})`,
    );
  }
  return result.data;
}

/**
 * The calendar date of a Mambu timestamp *as written* (organisation time): `2024-08-01T00:00:00+03:00` is
 * 2024-08-01, not the UTC date (2024-07-31), which is what a borrower and the lender's UI show.
 */
export function mambuLocalDate(value: string): string {
  const iso = value.slice(0, 10);
  const parsed = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== iso) {
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', `Mambu date ${value} is not a calendar date`);
  }
  return iso;
}

/** Reads one major-unit amount into exact {@link Money}. */
export function mambuAmount(value: MambuAmount | null | undefined, currency: string, field: string): Money {
  if (value === null || value === undefined)
    throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', `Mambu ${field} is missing`);
  return fromProviderAmount(ID, value, currency, { kind: 'major' });
}

const amountOrZero = (value: MambuAmount | null | undefined, currency: string, field: string): bigint =>
  value === null || value === undefined ? 0n : mambuAmount(value, currency, field).amountMinor;

/**
 * The loan's currency: `currencyCode` (or `currency.code`), else the source's configured default.
 * @throws ConnectorError CURRENCY_UNSUPPORTED when neither is usable.
 */
export function mambuLoanCurrency(
  loan: Pick<MambuLoanAccount, 'currencyCode' | 'currency'>,
  defaultCurrency: string | null,
): string {
  const raw = loan.currencyCode ?? loan.currency?.code ?? defaultCurrency;
  if (!raw)
    throw new ConnectorError(
      ID,
      'CURRENCY_UNSUPPORTED',
      'Mambu loan has no currency and the source has no defaultCurrency',
    );
  const code = raw.trim().toUpperCase();
  if (!isKnownCurrency(code))
    throw new ConnectorError(ID, 'CURRENCY_UNSUPPORTED', `Mambu currency ${code} is not supported by Lipa`);
  return code;
}

// ---------------------------------------------------------------------------------------------------------------
// Mapping
// ---------------------------------------------------------------------------------------------------------------

const STATE_MAP: Readonly<Record<string, LenderLoanStatus>> = Object.freeze({
  PARTIAL_APPLICATION: 'PENDING',
  PENDING_APPROVAL: 'PENDING',
  APPROVED: 'APPROVED',
  ACTIVE: 'ACTIVE',
  // In arrears is still active: the overdue amount and days say how late.
  ACTIVE_IN_ARREARS: 'ACTIVE',
  // v1-era states still seen on migrated tenants.
  CLOSED_WRITTEN_OFF: 'WRITTEN_OFF',
  CLOSED_REJECTED: 'REJECTED',
  WITHDRAWN: 'WITHDRAWN',
});

const CLOSED_SUBSTATE_MAP: Readonly<Record<string, LenderLoanStatus>> = Object.freeze({
  WRITTEN_OFF: 'WRITTEN_OFF',
  REJECTED: 'REJECTED',
  WITHDRAWN: 'WITHDRAWN',
  REPAID: 'CLOSED',
  REFINANCED: 'CLOSED',
  RESCHEDULED: 'CLOSED',
});

/**
 * `accountState` (+ `accountSubState` for CLOSED) -> Lipa status. Unknown states (and unknown CLOSED sub-states)
 * are `UNKNOWN`, never guessed.
 */
export function mambuLoanStatus(state: string, subState: string | null | undefined): LenderLoanStatus {
  if (state === 'CLOSED') {
    if (!subState) return 'CLOSED';
    return CLOSED_SUBSTATE_MAP[subState] ?? 'UNKNOWN';
  }
  return STATE_MAP[state] ?? 'UNKNOWN';
}

const NEEDS_BALANCES: ReadonlySet<LenderLoanStatus> = new Set(['ACTIVE']);

/**
 * Maps a loan account. outstanding = principal + interest + interestFromArrears + fees + penalty balances;
 * overdue = the same components' `...Due`; daysPastDue = `daysLate` (raw), daysInArrears = `daysInArrears`
 * (after the arrears tolerance). Mambu has no delinquency bucket: the service derives one from DPD.
 * @throws ConnectorError RESPONSE_DECODING_FAILED, CURRENCY_UNSUPPORTED
 */
export function mambuLoanToLender(loan: MambuLoanAccount, defaultCurrency: string | null): LenderLoan {
  const currency = mambuLoanCurrency(loan, defaultCurrency);
  const status = mambuLoanStatus(loan.accountState, loan.accountSubState);
  const b = loan.balances;
  if (!b && NEEDS_BALANCES.has(status)) {
    throw new ConnectorError(
      ID,
      'RESPONSE_DECODING_FAILED',
      `Mambu loan ${loan.id} is ${loan.accountState} but has no balances`,
    );
  }
  if (b && b.principalBalance == null && NEEDS_BALANCES.has(status)) {
    throw new ConnectorError(
      ID,
      'RESPONSE_DECODING_FAILED',
      `Mambu loan ${loan.id} has no balances.principalBalance`,
    );
  }
  const outstanding = b
    ? amountOrZero(b.principalBalance, currency, 'principalBalance') +
      amountOrZero(b.interestBalance, currency, 'interestBalance') +
      amountOrZero(b.interestFromArrearsBalance, currency, 'interestFromArrearsBalance') +
      amountOrZero(b.feesBalance, currency, 'feesBalance') +
      amountOrZero(b.penaltyBalance, currency, 'penaltyBalance')
    : 0n;
  const overdue = b
    ? amountOrZero(b.principalDue, currency, 'principalDue') +
      amountOrZero(b.interestDue, currency, 'interestDue') +
      amountOrZero(b.interestFromArrearsDue, currency, 'interestFromArrearsDue') +
      amountOrZero(b.feesDue, currency, 'feesDue') +
      amountOrZero(b.penaltyDue, currency, 'penaltyDue')
    : 0n;
  let lastModifiedAt: Date | null = null;
  if (loan.lastModifiedDate) {
    lastModifiedAt = new Date(loan.lastModifiedDate);
    if (Number.isNaN(lastModifiedAt.getTime()))
      throw new ConnectorError(ID, 'RESPONSE_DECODING_FAILED', 'Mambu lastModifiedDate is not a date');
  }
  return {
    externalId: loan.encodedKey,
    accountNumber: loan.id,
    externalReference: null,
    borrowerExternalId: loan.accountHolderKey,
    borrowerDisplayName: null,
    currency,
    status,
    rawStatus: loan.accountSubState ? `${loan.accountState}/${loan.accountSubState}` : loan.accountState,
    principal: mambuAmount(loan.loanAmount, currency, 'loanAmount'),
    outstanding: money(outstanding, currency),
    overdue: money(overdue, currency),
    daysPastDue: Math.max(0, loan.daysLate ?? 0),
    daysInArrears: Math.max(0, loan.daysInArrears ?? 0),
    delinquencyClass: null,
    nextDueDate: null,
    lastModifiedAt,
  };
}

/** Reads a loan key from a raw item that failed validation, for the failure entry. */
export function mambuRawLoanKey(item: unknown): string | null {
  if (item && typeof item === 'object') {
    const key = (item as { encodedKey?: unknown; id?: unknown }).encodedKey ?? (item as { id?: unknown }).id;
    if (typeof key === 'string' || typeof key === 'number') return String(key);
  }
  return null;
}

function component(
  c: MambuInstallment['principal'],
  currency: string,
  field: string,
): { expected: bigint; paid: bigint; due: bigint } {
  const a = c?.amount;
  const paid = amountOrZero(a?.paid, currency, `${field}.paid`);
  const hasExpected = a?.expected != null;
  const hasDue = a?.due != null;
  const expected = hasExpected
    ? amountOrZero(a?.expected, currency, `${field}.expected`)
    : hasDue
      ? paid + amountOrZero(a?.due, currency, `${field}.due`)
      : paid;
  const due = hasDue ? amountOrZero(a?.due, currency, `${field}.due`) : expected - paid;
  return { expected, paid, due };
}

/** Maps one schedule installment (`state === 'PAID'` is complete). */
export function mambuInstallmentToLender(
  inst: MambuInstallment,
  index: number,
  currency: string,
): LenderInstallment {
  const n = inst.number == null ? index + 1 : Number(inst.number);
  const principal = component(inst.principal, currency, `installment ${n} principal`);
  const interest = component(inst.interest, currency, `installment ${n} interest`);
  const fee = component(inst.fee, currency, `installment ${n} fee`);
  const penalty = component(inst.penalty, currency, `installment ${n} penalty`);
  const parts = [principal, interest, fee, penalty];
  const sum = (k: 'expected' | 'paid' | 'due') =>
    money(
      parts.reduce((acc, p) => acc + p[k], 0n),
      currency,
    );
  return {
    number: n,
    dueDate: mambuLocalDate(inst.dueDate),
    totalDue: sum('expected'),
    totalPaid: sum('paid'),
    totalOutstanding: sum('due'),
    principalDue: money(principal.expected, currency),
    interestDue: money(interest.expected, currency),
    complete: inst.state === 'PAID',
  };
}

/** Next due date: the first installment not yet paid that falls due today or later. */
export function mambuNextDueDate(installments: LenderInstallment[], today: string): string | null {
  return installments.find((i) => !i.complete && i.dueDate >= today)?.dueDate ?? null;
}

const TRANSACTION_TYPES: Readonly<Record<string, LenderTransactionType>> = Object.freeze({
  REPAYMENT: 'REPAYMENT',
  DISBURSEMENT: 'DISBURSEMENT',
  REPAYMENT_ADJUSTMENT: 'ADJUSTMENT',
  DISBURSEMENT_ADJUSTMENT: 'ADJUSTMENT',
});

/** Maps one loan transaction; `fallbackCurrency` is the loan's when the transaction omits its own. */
export function mambuTransactionToLender(
  tx: MambuTransaction,
  fallbackCurrency: string | null,
): LenderTransaction {
  const raw = tx.currencyCode ?? tx.currency?.code ?? fallbackCurrency;
  if (!raw)
    throw new ConnectorError(
      ID,
      'RESPONSE_DECODING_FAILED',
      `Mambu transaction ${tx.encodedKey} has no currency`,
    );
  const currency = raw.toUpperCase();
  if (!isKnownCurrency(currency))
    throw new ConnectorError(
      ID,
      'CURRENCY_UNSUPPORTED',
      `Mambu currency ${currency} is not supported by Lipa`,
    );
  return {
    transactionId: tx.encodedKey,
    externalId: tx.externalId ?? null,
    type: TRANSACTION_TYPES[tx.type] ?? 'OTHER',
    amount: mambuAmount(tx.amount, currency, `transaction ${tx.encodedKey} amount`),
    date: mambuLocalDate(tx.valueDate),
    reversed: !!tx.adjustmentTransactionKey,
  };
}

/** True when the transaction states its own currency (otherwise the loan's is needed). */
export function mambuTransactionHasCurrency(tx: MambuTransaction): boolean {
  return !!(tx.currencyCode ?? tx.currency?.code);
}

/** Maps a client to a borrower. */
export function mambuClientToBorrower(client: MambuClient): LenderBorrower {
  const name = [client.firstName, client.middleName, client.lastName]
    .filter((s): s is string => !!s && s.trim() !== '')
    .join(' ');
  return {
    externalId: client.encodedKey,
    displayName: name || null,
    phoneNumber: client.mobilePhone?.trim() || client.mobilePhone2?.trim() || null,
    email: client.emailAddress?.trim() || null,
  };
}

/** The first `errorReason` (and its source) of a Mambu error body; null when the body is not one. */
export function readMambuError(
  data: unknown,
): { reason: string | null; source: string | null; code: string | null } | null {
  const parsed = MambuErrorEnvelopeSchema.safeParse(data);
  if (!parsed.success || parsed.data.errors.length === 0) return null;
  const first = parsed.data.errors[0];
  return {
    reason: first.errorReason ?? null,
    source: first.errorSource ?? null,
    code: first.errorCode == null ? null : String(first.errorCode),
  };
}

/**
 * Whether a 400 on a repayment may be Mambu refusing a reused external id, in which case the connector searches
 * for the existing transaction. The exact `errorReason` is not public [verify], so anything that names the
 * external id, sounds like a duplicate, or gives no reason at all qualifies; a refusal that names another field
 * (`INVALID_PARAMETERS` on `amount`) does not, so ordinary validation errors cost no extra call.
 */
export function mightBeDuplicateExternalId(reason: string | undefined, source: string | undefined): boolean {
  if (source && /externalId/i.test(source)) return true;
  if (!reason) return true;
  return /DUPLICATE|ALREADY|EXIST|UNIQUE|EXTERNAL_ID/i.test(reason);
}
