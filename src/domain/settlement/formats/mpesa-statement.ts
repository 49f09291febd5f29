/**
 * MPESA_STATEMENT_CSV: the statement a paybill/till organisation exports from the Safaricom M-Pesa org portal.
 *
 * Safaricom does not publish this layout, and exports differ between portal versions, so headers are matched
 * ignoring case, punctuation and spaces, with aliases. The export may open with preamble rows (organisation name,
 * period, ...): the header is the first row, among the first 30, that has a receipt and a "Paid In" column.
 *
 * Columns: Receipt No. (Receipt No, Receipt, Transaction ID), Completion Time (Completion Date), Initiation Time,
 * Details, Transaction Status (Status), Paid In, Withdrawn, Balance, Reason Type, Other Party Info, Linked
 * Transaction ID, A/C No. (Account No, Account Number, BillRefNumber). Required: receipt, completion time, paid in,
 * withdrawn.
 *
 * - Times have no offset and are East Africa Time (UTC+03:00); `2026-11-20 14:03:11`, `2026-11-20T14:03:11` and
 *   day-first `20/11/2026 14:03:11` are read. A blank completion time (pending rows) falls back to the initiation
 *   time.
 * - Amounts may carry thousands separators, be blank or `-`; Withdrawn may be shown negative (its magnitude is used).
 * - Paid In > 0 is a PAYMENT, or a REVERSAL when the reason type or details say "reversal". Withdrawn > 0 is a
 *   REVERSAL (reversal), FEE (charge, fee, commission), PAYOUT (settlement, transfer to bank, withdraw) or else an
 *   ADJUSTMENT. Rows with neither (balance rows) are skipped. Only reversals take the Linked Transaction ID.
 * - The currency is options.currency, else KES. There is no per-line fee: charges are rows of their own.
 * - `netMinor` is Paid In - Withdrawn, so a row keeps its direction whatever its kind.
 * - `Details` is read only to classify a row and `Other Party Info` is never read: both carry customers' names and
 *   phone numbers, which must not reach any output field or issue text. `reference` is the A/C No. (what the payer
 *   typed as the account), dropped when it is a phone number or a name.
 */
import type { CsvRecord } from '../csv';
import { readCsvBatches } from '../csv';
import type {
  SettlementLineKind,
  SettlementLineStatus,
  SettlementParseBatch,
  SettlementParseItem,
  SettlementParseOptions,
} from '../types';
import {
  accountReference,
  amountProblem,
  cell,
  EAT_OFFSET_MINUTES,
  fieldCountProblem,
  issue,
  optionalId,
  parseGroupedAmount,
  parseTimestamp,
  quoteCode,
  quoteId,
  resolveOptions,
  settlementLine,
  timeProblem,
  withProviderHeader,
  type ColumnIndex,
  type ColumnSpec,
  type SettlementInput,
} from './common';

type Col =
  | 'receipt'
  | 'completion'
  | 'initiation'
  | 'details'
  | 'status'
  | 'paidIn'
  | 'withdrawn'
  | 'reasonType'
  | 'linked'
  | 'account';

/** `Other Party Info` and `Balance` are deliberately absent: they are never read. */
const COLUMNS: ReadonlyArray<ColumnSpec<Col>> = [
  {
    key: 'receipt',
    label: 'Receipt No.',
    aliases: ['Receipt No.', 'Receipt Number', 'Receipt', 'Transaction ID'],
    required: true,
  },
  {
    key: 'completion',
    label: 'Completion Time',
    aliases: ['Completion Time', 'Completion Date'],
    required: true,
  },
  { key: 'initiation', label: 'Initiation Time', aliases: ['Initiation Time', 'Initiation Date'] },
  { key: 'details', label: 'Details', aliases: ['Details'] },
  { key: 'status', label: 'Transaction Status', aliases: ['Transaction Status', 'Status'] },
  { key: 'paidIn', label: 'Paid In', aliases: ['Paid In'], required: true },
  { key: 'withdrawn', label: 'Withdrawn', aliases: ['Withdrawn'], required: true },
  { key: 'reasonType', label: 'Reason Type', aliases: ['Reason Type'] },
  { key: 'linked', label: 'Linked Transaction ID', aliases: ['Linked Transaction ID'] },
  {
    key: 'account',
    label: 'A/C No.',
    aliases: ['A/C No.', 'Account No', 'Account Number', 'BillRefNumber'],
  },
];

export const MPESA_HEADER_SCAN_ROWS = 30;

/**
 * M-Pesa receipts: 10 upper-case letters and digits today (`SKL4X8Y2ZQ`); 8-20 accepted. At least one letter, so a
 * phone number in the receipt column is not taken for a receipt.
 */
const RECEIPT = /^(?=[0-9]*[A-Za-z])[A-Za-z0-9]{8,20}$/;

const STATUSES: Readonly<Record<string, SettlementLineStatus>> = {
  COMPLETED: 'COMPLETED',
  FAILED: 'FAILED',
  DECLINED: 'FAILED',
  CANCELLED: 'FAILED',
  CANCELED: 'FAILED',
  PENDING: 'PENDING',
};

const REVERSAL = /reversal/i;
const CHARGE = /charge|fee|commission/i;
const PAYOUT = /settlement|transfer to bank|withdraw/i;

export async function* parseMpesaStatement(
  chunks: SettlementInput,
  options?: SettlementParseOptions,
): AsyncGenerator<SettlementParseBatch> {
  const opts = resolveOptions(options);
  const currency = opts.currency ?? 'KES';
  yield* withProviderHeader(
    readCsvBatches(chunks),
    COLUMNS,
    ['receipt', 'paidIn'],
    MPESA_HEADER_SCAN_ROWS,
    (record, columns, width) => parseRow(record, columns, width, currency, opts.payoutReference),
  );
}

function parseRow(
  record: CsvRecord,
  c: ColumnIndex<Col>,
  width: number,
  currency: string,
  payoutReference: string | null,
): SettlementParseItem | null {
  const f = record.fields;
  const widthProblem = fieldCountProblem(f, width);
  if (widthProblem) return issue(record.lineNumber, [widthProblem]);
  const problems: string[] = [];

  const paidInText = cell(f, c.paidIn);
  const withdrawnText = cell(f, c.withdrawn);
  let paidIn = 0n;
  let withdrawn = 0n;
  if (paidInText !== '' && paidInText !== '-') {
    const a = parseGroupedAmount(paidInText, currency);
    if (!a.ok) problems.push(amountProblem('Paid In', paidInText, currency, a.reason));
    else if (a.negative) problems.push('Paid In is negative');
    else paidIn = a.minor;
  }
  if (withdrawnText !== '' && withdrawnText !== '-') {
    const a = parseGroupedAmount(withdrawnText, currency);
    if (!a.ok) problems.push(amountProblem('Withdrawn', withdrawnText, currency, a.reason));
    else withdrawn = a.minor;
  }
  // Balance and other informational rows move no money.
  if (problems.length === 0 && paidIn === 0n && withdrawn === 0n) return null;
  if (paidIn > 0n && withdrawn > 0n) problems.push('both Paid In and Withdrawn are set');

  const receiptText = cell(f, c.receipt);
  let receipt: string | null = null;
  if (receiptText === '') problems.push('missing receipt number (Receipt No.)');
  else if (!RECEIPT.test(receiptText))
    problems.push(`receipt number${quoteId(receiptText)} is not 8-20 letters and digits`);
  else receipt = receiptText;

  let timeColumn = 'Completion Time';
  let timeText = cell(f, c.completion);
  if (timeText === '' && c.initiation >= 0) {
    timeColumn = 'Initiation Time';
    timeText = cell(f, c.initiation);
  }
  let occurredAt: Date | null = null;
  if (timeText === '') problems.push('Completion Time is empty');
  else {
    const t = parseTimestamp(timeText, EAT_OFFSET_MINUTES);
    if (t.ok) occurredAt = t.date;
    else problems.push(timeProblem(timeColumn, timeText, t.reason));
  }

  const statusText = cell(f, c.status);
  let status: SettlementLineStatus = 'COMPLETED';
  if (statusText !== '') {
    const s = STATUSES[statusText.toUpperCase()];
    if (s) status = s;
    else
      problems.push(
        `Transaction Status${quoteCode(statusText)} is not Completed, Failed, Declined, Cancelled or Pending`,
      );
  }

  // Classification only: neither text is copied anywhere.
  const reasonType = cell(f, c.reasonType);
  const details = cell(f, c.details);
  const says = (re: RegExp) => re.test(reasonType) || re.test(details);
  let kind: SettlementLineKind;
  if (paidIn > 0n) kind = says(REVERSAL) ? 'REVERSAL' : 'PAYMENT';
  else if (says(REVERSAL)) kind = 'REVERSAL';
  else if (says(CHARGE)) kind = 'FEE';
  else if (says(PAYOUT)) kind = 'PAYOUT';
  else kind = 'ADJUSTMENT';

  const linked =
    kind === 'REVERSAL' ? optionalId(cell(f, c.linked), 'Linked Transaction ID', problems) : null;
  const reference = accountReference(cell(f, c.account), 'A/C No.', problems);

  if (problems.length > 0 || !receipt || !occurredAt) return issue(record.lineNumber, problems);
  return settlementLine(
    record.lineNumber,
    kind,
    receipt,
    linked,
    payoutReference,
    paidIn > 0n ? paidIn : withdrawn,
    0n,
    currency,
    occurredAt,
    reference,
    status,
    // Money in or out as the columns say, whatever the kind: a reversal paid in (a B2C payment returned) credits.
    paidIn - withdrawn,
  );
}
