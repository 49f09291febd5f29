/**
 * The shared reader behind MTN_MOMO_CSV and AIRTEL_MONEY_CSV: partner/merchant-portal transaction-history exports.
 * Neither rail documents its export, so each format is a set of header aliases and status codes over the same rules:
 *
 * - Headers match ignoring case, punctuation and spaces; the header is the first row (within 30) with an id and an
 *   amount column, so preamble rows are skipped. Required: id, date, amount.
 * - Amounts are decimal major units ("50000", "50000.00" for UGX: zero fractions beyond the exponent are
 *   accepted); thousands separators in groups of three are read; a negative amount is taken as its magnitude (the
 *   type gives the direction, and `netMinor` follows it: every type read here has one direction). `Fee`, when
 *   present, likewise.
 * - The currency is the row's Currency cell, else options.currency; a file with neither is refused.
 * - Dates are ISO 8601 with an offset, or have none and are then read as East Africa Time (UTC+03:00). Both portals
 *   show local time in Uganda, Kenya and Tanzania (all UTC+03:00). Exports from UTC+02:00 markets (Rwanda, Zambia,
 *   Malawi) would need an explicit offset in the file; this reader cannot tell them apart.
 * - Type: DEBIT, PAYMENT, COLLECTION, REQUEST_TO_PAY -> PAYMENT; REFUND; REVERSAL; FEE; TRANSFER, DISBURSEMENT,
 *   WITHDRAWAL -> PAYOUT. No type column (or a blank type) means PAYMENT; any other type is an issue rather than a
 *   guess at the direction of the money.
 * - `reference` is the external id (what Lipa sent as the request's reference), dropped when it is a phone number or
 *   a name. The original/linked transaction id, when the file has one, becomes `linkedTransactionId`.
 */
import type { CsvRecord } from '../csv';
import { readCsvBatches } from '../csv';
import { isKnownCurrency } from '../../money';
import {
  SettlementParseError,
  type SettlementLineKind,
  type SettlementLineStatus,
  type SettlementParseBatch,
  type SettlementParseItem,
  type SettlementParseOptions,
} from '../types';
import {
  accountReference,
  amountProblem,
  cell,
  codeKey,
  EAT_OFFSET_MINUTES,
  fieldCountProblem,
  issue,
  optionalId,
  parseGroupedAmount,
  parseTimestamp,
  quoteCode,
  resolveOptions,
  settlementLine,
  timeProblem,
  withProviderHeader,
  type ColumnIndex,
  type ColumnSpec,
  type SettlementInput,
} from './common';

export type WalletColumn =
  'id' | 'reference' | 'date' | 'amount' | 'currency' | 'status' | 'type' | 'fee' | 'linked';

export interface WalletFormat {
  /** The rail's name, for messages. */
  name: string;
  columns: ReadonlyArray<ColumnSpec<WalletColumn>>;
  /** Status codes (compared upper-case, letters and digits only) to line statuses. */
  statuses: Readonly<Record<string, SettlementLineStatus>>;
}

export const WALLET_HEADER_SCAN_ROWS = 30;

/** Transaction types (compared upper-case, letters and digits only) to kinds. */
const TYPES: Readonly<Record<string, SettlementLineKind>> = {
  DEBIT: 'PAYMENT',
  PAYMENT: 'PAYMENT',
  COLLECTION: 'PAYMENT',
  REQUESTTOPAY: 'PAYMENT',
  REFUND: 'REFUND',
  REVERSAL: 'REVERSAL',
  FEE: 'FEE',
  TRANSFER: 'PAYOUT',
  DISBURSEMENT: 'PAYOUT',
  WITHDRAWAL: 'PAYOUT',
};

function label(format: WalletFormat, key: WalletColumn): string {
  return format.columns.find((c) => c.key === key)!.label;
}

export async function* parseWalletCsv(
  format: WalletFormat,
  chunks: SettlementInput,
  options?: SettlementParseOptions,
): AsyncGenerator<SettlementParseBatch> {
  const opts = resolveOptions(options);
  const labels = {
    id: label(format, 'id'),
    date: label(format, 'date'),
    amount: label(format, 'amount'),
    fee: label(format, 'fee'),
    type: label(format, 'type'),
    status: label(format, 'status'),
    reference: label(format, 'reference'),
    linked: label(format, 'linked'),
  };
  yield* withProviderHeader(
    readCsvBatches(chunks),
    format.columns,
    ['id', 'amount'],
    WALLET_HEADER_SCAN_ROWS,
    (record, columns, width) =>
      parseRow(format, labels, record, columns, width, opts.currency, opts.payoutReference),
    (columns) => {
      if (columns.currency < 0 && !opts.currency)
        throw new SettlementParseError(
          `${format.name} file has no Currency column: pass the currency of the account the export is from`,
        );
    },
  );
}

function parseRow(
  format: WalletFormat,
  labels: Record<'id' | 'date' | 'amount' | 'fee' | 'type' | 'status' | 'reference' | 'linked', string>,
  record: CsvRecord,
  c: ColumnIndex<WalletColumn>,
  width: number,
  defaultCurrency: string | null,
  payoutReference: string | null,
): SettlementParseItem {
  const f = record.fields;
  const widthProblem = fieldCountProblem(f, width);
  if (widthProblem) return issue(record.lineNumber, [widthProblem]);
  const problems: string[] = [];

  const currencyText = cell(f, c.currency).toUpperCase();
  let currency: string | null = null;
  if (currencyText === '') {
    if (defaultCurrency) currency = defaultCurrency;
    else problems.push('currency is empty and no currency was given for the file');
  } else if (!/^[A-Z]{3}$/.test(currencyText)) problems.push('currency is not an ISO 4217 code');
  else if (!isKnownCurrency(currencyText)) problems.push(`unknown currency "${currencyText}"`);
  else currency = currencyText;

  let amountMinor = 0n;
  let feeMinor = 0n;
  if (currency) {
    const amountText = cell(f, c.amount);
    if (amountText === '') problems.push(`${labels.amount} is empty`);
    else {
      const a = parseGroupedAmount(amountText, currency);
      if (a.ok) amountMinor = a.minor;
      else problems.push(amountProblem(labels.amount, amountText, currency, a.reason));
    }
    const feeText = cell(f, c.fee);
    if (feeText !== '' && feeText !== '-') {
      const fee = parseGroupedAmount(feeText, currency);
      if (fee.ok) feeMinor = fee.minor;
      else problems.push(amountProblem(labels.fee, feeText, currency, fee.reason));
    }
  }

  const typeText = cell(f, c.type);
  let kind: SettlementLineKind | null = 'PAYMENT';
  if (typeText !== '') {
    kind = TYPES[codeKey(typeText)] ?? null;
    if (!kind) problems.push(`${labels.type}${quoteCode(typeText)} is not a transaction type Lipa knows`);
  }

  const statusText = cell(f, c.status);
  let status: SettlementLineStatus = 'COMPLETED';
  if (statusText !== '') {
    const s = format.statuses[codeKey(statusText)];
    if (s) status = s;
    else problems.push(`${labels.status}${quoteCode(statusText)} is not a status Lipa knows`);
  }

  const timeText = cell(f, c.date);
  let occurredAt: Date | null = null;
  if (timeText === '') problems.push(`${labels.date} is empty`);
  else {
    const t = parseTimestamp(timeText, EAT_OFFSET_MINUTES);
    if (t.ok) occurredAt = t.date;
    else problems.push(timeProblem(labels.date, timeText, t.reason));
  }

  const idText = cell(f, c.id);
  const id = optionalId(idText, labels.id, problems);
  if (idText === '') problems.push(`${labels.id} is empty`);
  const linked = optionalId(cell(f, c.linked), labels.linked, problems);
  const reference = accountReference(cell(f, c.reference), labels.reference, problems);

  if (problems.length > 0 || !kind || !currency || !occurredAt) return issue(record.lineNumber, problems);
  return settlementLine(
    record.lineNumber,
    kind,
    id,
    linked,
    payoutReference,
    amountMinor,
    feeMinor,
    currency,
    occurredAt,
    reference,
    status,
  );
}
