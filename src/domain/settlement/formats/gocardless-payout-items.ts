/**
 * GOCARDLESS_PAYOUT_ITEMS: the JSON of `GET /payout_items?payout=PO…`, `{"payout_items":[...], "meta":{...}}`,
 * optionally with the payout itself merged in as a top-level `"payouts": {...}` (as `GET /payouts/PO…` returns it).
 *
 * - An item's `amount` is a string in minor units with one decimal place ("1500.0", "-12.5"): it is read exactly in
 *   tenths, then rounded half away from zero to a whole minor unit, PER ITEM ("-12.5" -> 13, "1500.0" -> 1500). So
 *   the items of a payout may sum to within ±1 minor unit per fractional item of the payout's amount; the
 *   reconciliation run tolerates this. Amounts are magnitudes, the item type gives the kind, and `netMinor` keeps
 *   the item's sign (a positive refund_funds_returned or revenue_share credits the payout).
 * - Types: payment_paid_out -> PAYMENT; payment_failed, payment_charged_back, late_failure_settled,
 *   chargeback_settled -> CHARGEBACK (of links.payment); payment_refunded, refund -> REFUND (links.refund ??
 *   links.payment, of links.payment); refund_funds_returned, revenue_share and unknown types -> ADJUSTMENT;
 *   gocardless_fee, app_fee, surcharge_fee -> FEE.
 * - The currency is `payouts.currency`, else options.currency; the file is refused when neither is known.
 * - `occurredAt` is the payout's `created_at`, else its `arrival_date` (midnight UTC), else the item's own
 *   `created_at`; a file with none of them is refused (include the payout).
 * - `payoutReference` is `payouts.id`, else options.payoutReference. With `payouts` present, one more PAYOUT line
 *   (lineNumber items + 1) carries the payout itself: amount `payouts.amount`, fee `payouts.deducted_fees`; it is
 *   FAILED when the payout bounced. Every other line is COMPLETED.
 * - `payouts.reference` (the bank statement text, often the merchant's or customer's name) is never read.
 */
import { isKnownCurrency, MoneyError, parseDecimalToMinor } from '../../money';
import {
  SettlementParseError,
  type SettlementLineKind,
  type SettlementParseBatch,
  type SettlementParseItem,
  type SettlementParseOptions,
} from '../types';
import {
  integerValue,
  isObject,
  issue,
  minorInRange,
  needsTransactionId,
  parseTimestamp,
  quoteAmount,
  readJsonDocument,
  resolveOptions,
  settlementLine,
  stringValue,
  inBatches,
  MAX_ID_LENGTH,
  type SettlementInput,
} from './common';

interface ItemKindRule {
  kind: SettlementLineKind;
  id: (links: Record<string, unknown>) => string | null;
  linked: (links: Record<string, unknown>) => string | null;
}

const payment = (l: Record<string, unknown>) => stringValue(l.payment);
const refundOrPayment = (l: Record<string, unknown>) => stringValue(l.refund) ?? stringValue(l.payment);
const none = () => null;

const CHARGEBACK: ItemKindRule = { kind: 'CHARGEBACK', id: payment, linked: payment };
const REFUND: ItemKindRule = { kind: 'REFUND', id: refundOrPayment, linked: payment };
const FEE: ItemKindRule = { kind: 'FEE', id: payment, linked: none };
const ADJUSTMENT: ItemKindRule = { kind: 'ADJUSTMENT', id: payment, linked: none };

const RULES: Readonly<Record<string, ItemKindRule>> = {
  payment_paid_out: { kind: 'PAYMENT', id: payment, linked: none },
  payment_failed: CHARGEBACK,
  payment_charged_back: CHARGEBACK,
  late_failure_settled: CHARGEBACK,
  chargeback_settled: CHARGEBACK,
  payment_refunded: REFUND,
  refund: REFUND,
  refund_funds_returned: { kind: 'ADJUSTMENT', id: refundOrPayment, linked: payment },
  gocardless_fee: FEE,
  app_fee: FEE,
  surcharge_fee: FEE,
  revenue_share: ADJUSTMENT,
};

/** Tenths of a minor unit to a whole minor unit, half away from zero, as a magnitude. */
export function roundTenths(tenths: bigint): bigint {
  const abs = tenths < 0n ? -tenths : tenths;
  const whole = abs / 10n;
  return abs % 10n >= 5n ? whole + 1n : whole;
}

/** A payout-level date: an RFC 3339 timestamp, or a calendar date read as midnight UTC. */
function payoutDate(value: unknown, field: string): Date | null {
  if (value === undefined || value === null) return null;
  const text = typeof value === 'string' ? value.trim() : '';
  const t = text === '' ? null : parseTimestamp(text, /^\d{4}-\d{2}-\d{2}$/.test(text) ? 0 : null);
  if (!t || !t.ok) throw new SettlementParseError(`payouts.${field} is not a date`);
  return t.date;
}

export async function* parseGoCardlessPayoutItems(
  chunks: SettlementInput,
  options?: SettlementParseOptions,
): AsyncGenerator<SettlementParseBatch> {
  const opts = resolveOptions(options);
  const doc = await readJsonDocument(chunks, 'GOCARDLESS_PAYOUT_ITEMS');
  if (!isObject(doc) || !Array.isArray(doc.payout_items))
    throw new SettlementParseError('Expected GoCardless payout items: an object with a "payout_items" array');
  const items = doc.payout_items as unknown[];
  let payout: Record<string, unknown> | null = null;
  if (doc.payouts !== undefined && doc.payouts !== null) {
    if (!isObject(doc.payouts)) throw new SettlementParseError('"payouts" must be the payout object');
    payout = doc.payouts;
  }

  let currency = opts.currency;
  if (payout && payout.currency !== undefined && payout.currency !== null) {
    const code = typeof payout.currency === 'string' ? payout.currency.trim().toUpperCase() : '';
    if (!/^[A-Z]{3}$/.test(code)) throw new SettlementParseError('payouts.currency is not an ISO 4217 code');
    if (!isKnownCurrency(code))
      throw new SettlementParseError(`Unknown currency "${code}" in payouts.currency`);
    currency = code;
  }
  if (!currency)
    throw new SettlementParseError(
      'GoCardless payout items carry no currency: include the payout ("payouts") or pass the currency',
    );

  const payoutId = payout ? stringValue(payout.id) : null;
  if (payoutId && payoutId.length > MAX_ID_LENGTH)
    throw new SettlementParseError(`payouts.id is longer than ${MAX_ID_LENGTH} characters`);
  const payoutReference = payoutId ?? opts.payoutReference;
  const fileDate = payout
    ? (payoutDate(payout.created_at, 'created_at') ?? payoutDate(payout.arrival_date, 'arrival_date'))
    : null;
  if (!fileDate && !items.some((it) => isObject(it) && it.created_at !== undefined && it.created_at !== null))
    throw new SettlementParseError(
      'The payout items have no dates: include the payout ("payouts", with created_at or arrival_date)',
    );

  yield* inBatches(items, (item, n) => parseItem(item, n, currency, fileDate, payoutReference));

  if (payout) yield [payoutLine(payout, items.length + 1, payoutId, currency, fileDate)];
}

function parseItem(
  item: unknown,
  lineNumber: number,
  currency: string,
  fileDate: Date | null,
  payoutReference: string | null,
): SettlementParseItem {
  if (!isObject(item)) return issue(lineNumber, ['item is not a payout item object']);
  const problems: string[] = [];

  let amountMinor = 0n;
  let credit = false;
  const raw = item.amount;
  const text =
    typeof raw === 'string'
      ? raw.trim()
      : typeof raw === 'number' && Number.isFinite(raw)
        ? String(raw)
        : null;
  if (raw === undefined || raw === null) problems.push('amount is missing');
  else if (text === null || !/^-?\d+(\.\d+)?$/.test(text)) problems.push('amount is not a decimal string');
  else {
    try {
      const tenths = parseDecimalToMinor(text, currency, { exponent: 1, allowNegative: true });
      amountMinor = roundTenths(tenths);
      credit = tenths > 0n;
      if (!minorInRange(amountMinor)) problems.push('amount is too large');
    } catch (err) {
      if (!(err instanceof MoneyError)) throw err;
      problems.push(`amount${quoteAmount(text)} has more than one decimal place`);
    }
  }

  const type = stringValue(item.type);
  if (!type) problems.push('type is missing');
  const rule = type && Object.hasOwn(RULES, type) ? RULES[type] : ADJUSTMENT;
  const links = isObject(item.links) ? item.links : {};
  const id = rule.id(links);
  const linked = rule.linked(links);
  if (!id && needsTransactionId(rule.kind)) problems.push(`links.payment is missing for a ${type} item`);
  if ((id && id.length > MAX_ID_LENGTH) || (linked && linked.length > MAX_ID_LENGTH))
    problems.push(`a link is longer than ${MAX_ID_LENGTH} characters`);

  let occurredAt = fileDate;
  if (!occurredAt) {
    const created = typeof item.created_at === 'string' ? item.created_at.trim() : '';
    const t = created ? parseTimestamp(created, null) : null;
    if (!created) problems.push('created_at is missing (and the file has no payout date)');
    else if (!t || !t.ok) problems.push('created_at is not a timestamp with an offset');
    else occurredAt = t.date;
  }

  if (problems.length > 0 || !type || !occurredAt) return issue(lineNumber, problems);
  return settlementLine(
    lineNumber,
    rule.kind,
    id,
    linked,
    payoutReference,
    amountMinor,
    0n,
    currency,
    occurredAt,
    null,
    'COMPLETED',
    // The item's own sign: refund_funds_returned and revenue_share, say, credit the payout whatever their kind.
    credit ? amountMinor : -amountMinor,
  );
}

function payoutLine(
  payout: Record<string, unknown>,
  lineNumber: number,
  payoutId: string | null,
  currency: string,
  fileDate: Date | null,
): SettlementParseItem {
  const problems: string[] = [];
  if (!payoutId) problems.push('payouts.id is missing');
  const amount = integerValue(payout.amount);
  if (amount === null) problems.push('payouts.amount is not an integer number of minor units');
  const fees =
    payout.deducted_fees === undefined || payout.deducted_fees === null
      ? 0n
      : integerValue(payout.deducted_fees);
  if (fees === null) problems.push('payouts.deducted_fees is not an integer number of minor units');
  if (!fileDate) problems.push('payouts has neither created_at nor arrival_date');
  if (problems.length > 0 || amount === null || fees === null || !fileDate)
    return issue(lineNumber, problems);
  return settlementLine(
    lineNumber,
    'PAYOUT',
    payoutId,
    null,
    payoutId,
    amount < 0n ? -amount : amount,
    fees < 0n ? -fees : fees,
    currency,
    fileDate,
    null,
    payout.status === 'bounced' ? 'FAILED' : 'COMPLETED',
  );
}
