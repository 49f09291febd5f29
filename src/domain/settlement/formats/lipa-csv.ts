/**
 * LIPA_CSV: Lipa's neutral statement format, for rails without a parser of their own and for generated files.
 *
 * A header row comes first (names trimmed and case-insensitive, any order):
 *   provider_transaction_id, kind, amount, currency, occurred_at           required
 *   fee, net, linked_transaction_id, payout_reference, reference, status   optional
 * `amount` and `fee` are decimal major units ("1500.50" KES, "50000" UGX), magnitudes (the kind gives direction).
 * `net` (decimal major units, signed) is what the line did to the balance, for a line that went against its kind's
 * usual direction (`usualNet`: a payment credits amount - fee, everything else debits amount + fee): a credit
 * ADJUSTMENT of 20.00 has net `20.00`. Blank, it is the usual direction.
 * `occurred_at` is ISO 8601 with `Z` or an offset. `provider_transaction_id` may be blank for FEE, ADJUSTMENT
 * and PAYOUT lines, and for a PAYMENT that gives a `reference` (matched by reference instead). `status` is
 * COMPLETED (default), FAILED or PENDING. An empty optional cell is null.
 */
import { isKnownCurrency } from '../../money';
import { readCsvBatches, type CsvRecord } from '../csv';
import {
  SETTLEMENT_LINE_KINDS,
  SETTLEMENT_LINE_STATUSES,
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
  fieldCountProblem,
  isBlankRecord,
  issue,
  needsTransactionId,
  optionalId,
  parseAmount,
  parseTimestamp,
  quoteCode,
  resolveColumns,
  resolveOptions,
  settlementLine,
  timeProblem,
  type ColumnIndex,
  type ColumnSpec,
  type SettlementInput,
} from './common';

type Col =
  | 'id'
  | 'kind'
  | 'amount'
  | 'currency'
  | 'occurredAt'
  | 'fee'
  | 'net'
  | 'linked'
  | 'payout'
  | 'reference'
  | 'status';

const COLUMNS: ReadonlyArray<ColumnSpec<Col>> = [
  { key: 'id', label: 'provider_transaction_id', aliases: ['provider_transaction_id'], required: true },
  { key: 'kind', label: 'kind', aliases: ['kind'], required: true },
  { key: 'amount', label: 'amount', aliases: ['amount'], required: true },
  { key: 'currency', label: 'currency', aliases: ['currency'], required: true },
  { key: 'occurredAt', label: 'occurred_at', aliases: ['occurred_at'], required: true },
  { key: 'fee', label: 'fee', aliases: ['fee'] },
  { key: 'net', label: 'net', aliases: ['net'] },
  { key: 'linked', label: 'linked_transaction_id', aliases: ['linked_transaction_id'] },
  { key: 'payout', label: 'payout_reference', aliases: ['payout_reference'] },
  { key: 'reference', label: 'reference', aliases: ['reference'] },
  { key: 'status', label: 'status', aliases: ['status'] },
];

const KINDS: ReadonlySet<string> = new Set(SETTLEMENT_LINE_KINDS);
const STATUSES: ReadonlySet<string> = new Set(SETTLEMENT_LINE_STATUSES);

export async function* parseLipaCsv(
  chunks: SettlementInput,
  options?: SettlementParseOptions,
): AsyncGenerator<SettlementParseBatch> {
  const opts = resolveOptions(options);
  let columns: ColumnIndex<Col> | null = null;
  let width = 0;
  for await (const batch of readCsvBatches(chunks)) {
    const items: SettlementParseBatch = [];
    for (const record of batch) {
      if (isBlankRecord(record.fields)) continue;
      if (!columns) {
        columns = resolveColumns(record.fields, COLUMNS, 'exact');
        width = record.fields.length;
        continue;
      }
      items.push(parseRow(record, columns, width, opts.payoutReference));
    }
    if (items.length > 0) yield items;
  }
  if (!columns)
    throw new SettlementParseError(
      'The file is empty: LIPA_CSV starts with a header row (provider_transaction_id, kind, amount, currency, occurred_at)',
    );
}

function parseRow(
  record: CsvRecord,
  c: ColumnIndex<Col>,
  width: number,
  defaultPayout: string | null,
): SettlementParseItem {
  const f = record.fields;
  const problems: string[] = [];
  const widthProblem = fieldCountProblem(f, width);
  if (widthProblem) return issue(record.lineNumber, [widthProblem]);

  const kindText = cell(f, c.kind).toUpperCase();
  const kind = KINDS.has(kindText) ? (kindText as SettlementLineKind) : null;
  if (!kind)
    problems.push(
      kindText === ''
        ? 'kind is empty'
        : `kind${quoteCode(kindText)} is not one of ${SETTLEMENT_LINE_KINDS.join(', ')}`,
    );

  const currencyText = cell(f, c.currency).toUpperCase();
  let currency: string | null = null;
  if (currencyText === '') problems.push('currency is empty');
  else if (!/^[A-Z]{3}$/.test(currencyText)) problems.push('currency is not an ISO 4217 code');
  else if (!isKnownCurrency(currencyText)) problems.push(`unknown currency "${currencyText}"`);
  else currency = currencyText;

  let amountMinor = 0n;
  let feeMinor = 0n;
  let netMinor: bigint | undefined;
  if (currency) {
    const amountText = cell(f, c.amount);
    if (amountText === '') problems.push('amount is empty');
    else {
      const a = parseAmount(amountText, currency);
      if (!a.ok) problems.push(amountProblem('amount', amountText, currency, a.reason));
      else if (a.negative) problems.push('amount must be a magnitude; use kind for the direction');
      else amountMinor = a.minor;
    }
    const feeText = cell(f, c.fee);
    if (feeText !== '') {
      const fee = parseAmount(feeText, currency);
      if (!fee.ok) problems.push(amountProblem('fee', feeText, currency, fee.reason));
      else if (fee.negative) problems.push('fee must be a magnitude');
      else feeMinor = fee.minor;
    }
    // Signed, for a line that moved money against its kind's usual direction (a credit ADJUSTMENT, a refunded fee).
    const netText = cell(f, c.net);
    if (netText !== '') {
      const n = parseAmount(netText, currency);
      if (!n.ok) problems.push(amountProblem('net', netText, currency, n.reason));
      else netMinor = n.negative ? -n.minor : n.minor;
    }
  }

  const timeText = cell(f, c.occurredAt);
  let occurredAt: Date | null = null;
  if (timeText === '') problems.push('occurred_at is empty');
  else {
    const t = parseTimestamp(timeText, null);
    if (t.ok) occurredAt = t.date;
    else problems.push(timeProblem('occurred_at', timeText, t.reason));
  }

  const statusText = cell(f, c.status).toUpperCase();
  let status: SettlementLineStatus = 'COMPLETED';
  if (statusText !== '') {
    if (STATUSES.has(statusText)) status = statusText as SettlementLineStatus;
    else problems.push(`status${quoteCode(statusText)} is not one of ${SETTLEMENT_LINE_STATUSES.join(', ')}`);
  }

  const id = optionalId(cell(f, c.id), 'provider_transaction_id', problems);
  const reference = accountReference(cell(f, c.reference), 'reference', problems);
  // A PAYMENT without the rail's id (a bank statement, say) may give the account reference instead: the run then
  // matches it by reference, amount and date, and only when exactly one payment fits. A reference dropped as a
  // phone number or name does not count.
  const byReference = kind === 'PAYMENT' && reference !== null;
  if (id === null && kind && needsTransactionId(kind) && cell(f, c.id) === '' && !byReference)
    problems.push(
      `provider_transaction_id is required for ${kind} lines${kind === 'PAYMENT' ? ' (or give reference)' : ''}`,
    );
  const linked = optionalId(cell(f, c.linked), 'linked_transaction_id', problems);
  const payout = optionalId(cell(f, c.payout), 'payout_reference', problems) ?? defaultPayout;

  if (problems.length > 0 || !kind || !currency || !occurredAt) return issue(record.lineNumber, problems);
  return settlementLine(
    record.lineNumber,
    kind,
    id,
    linked,
    payout,
    amountMinor,
    feeMinor,
    currency,
    occurredAt,
    reference,
    status,
    netMinor,
  );
}
