/**
 * STRIPE_BALANCE_TRANSACTIONS: Stripe balance transactions as JSON — a list object (`{"object":"list","data":[...]}`,
 * as `GET /v1/balance_transactions` answers) or a bare array of balance transactions (pages concatenated).
 *
 * - `amount` and `fee` are integers in Stripe's minor units. Stripe writes a few currencies at a different exponent
 *   from ISO 4217 (UGX x100 although it has no minor unit, see STRIPE_EXPONENT_OVERRIDES in src/connectors/money.ts);
 *   those are rescaled to Lipa's ISO minor units, and an amount that does not divide exactly is an issue.
 * - Kind from `reporting_category`, then `type`: charge/payment -> PAYMENT; refund/payment_refund/refund_failure ->
 *   REFUND; dispute -> CHARGEBACK; dispute_reversal -> ADJUSTMENT; payout/payout_cancel/payout_failure/
 *   payout_reversal -> PAYOUT; fee/stripe_fee/application_fee -> FEE; anything else ADJUSTMENT.
 * - `providerTransactionId` is `source` (ch_/py_/re_/dp_/po_...), or for an item without one (Stripe's own fees) the
 *   balance transaction's own `id` (txn_...). When `source` is expanded to an object, it is
 *   `source.id`, and `linkedTransactionId` is `source.charge ?? source.payment_intent` (the payment a refund or
 *   dispute undoes); otherwise null.
 * - `amountMinor` and `feeMinor` are magnitudes; `netMinor` keeps Stripe's signs (amount less fee), so a credit
 *   adjustment (dispute_reversal) or a refunded fee counts as money in. `net`, when present, must equal amount - fee.
 * - `status` available -> COMPLETED, pending -> PENDING. `occurredAt` is `created` (unix seconds).
 * - `payoutReference`: a payout item's own `source`; for the other items, the source of the file's only `payout`
 *   item when there is exactly one, else options.payoutReference.
 * - `lineNumber` is the 1-based index in the array. `description`, `billing_details` and other free text are never
 *   read. A list with `has_more: true` is refused: a partial statement would make every later payment look missing.
 */
import { STRIPE_EXPONENT_OVERRIDES } from '../../../connectors/money';
import { currencyExponent, isKnownCurrency, MoneyError, rescaleMinor } from '../../money';
import {
  SettlementParseError,
  type SettlementLineKind,
  type SettlementLineStatus,
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
  quoteCode,
  readJsonDocument,
  resolveOptions,
  settlementLine,
  stringValue,
  inBatches,
  MAX_ID_LENGTH,
  type SettlementInput,
} from './common';

const KINDS: Readonly<Record<string, SettlementLineKind>> = {
  charge: 'PAYMENT',
  payment: 'PAYMENT',
  refund: 'REFUND',
  payment_refund: 'REFUND',
  refund_failure: 'REFUND',
  dispute: 'CHARGEBACK',
  dispute_reversal: 'ADJUSTMENT',
  payout: 'PAYOUT',
  payout_cancel: 'PAYOUT',
  payout_failure: 'PAYOUT',
  payout_reversal: 'PAYOUT',
  fee: 'FEE',
  stripe_fee: 'FEE',
  application_fee: 'FEE',
};

const STATUSES: Readonly<Record<string, SettlementLineStatus>> = {
  available: 'COMPLETED',
  pending: 'PENDING',
};

function kindOf(reportingCategory: unknown, type: string): SettlementLineKind {
  if (typeof reportingCategory === 'string' && Object.hasOwn(KINDS, reportingCategory))
    return KINDS[reportingCategory];
  if (Object.hasOwn(KINDS, type)) return KINDS[type];
  return 'ADJUSTMENT';
}

function items(doc: unknown): unknown[] {
  if (Array.isArray(doc)) return doc;
  if (isObject(doc) && Array.isArray(doc.data)) {
    if (doc.object !== undefined && doc.object !== 'list')
      throw new SettlementParseError(
        `Expected a Stripe list object, found object "${String(doc.object).slice(0, 40)}"`,
      );
    if (doc.has_more === true)
      throw new SettlementParseError(
        'The Stripe list is one page of several (has_more: true): fetch every page and upload their items as one JSON array',
      );
    return doc.data;
  }
  throw new SettlementParseError(
    'Expected Stripe balance transactions: a list object with a "data" array, or an array of balance transactions',
  );
}

/** The source's id and, for an expanded source, the payment it refers to. */
function sourceIds(source: unknown): { id: string | null; linked: string | null } {
  if (isObject(source))
    return {
      id: stringValue(source.id),
      linked: stringValue(source.charge) ?? stringValue(source.payment_intent),
    };
  return { id: stringValue(source), linked: null };
}

export async function* parseStripeBalanceTransactions(
  chunks: SettlementInput,
  options?: SettlementParseOptions,
): AsyncGenerator<SettlementParseBatch> {
  const opts = resolveOptions(options);
  const list = items(await readJsonDocument(chunks, 'STRIPE_BALANCE_TRANSACTIONS'));

  const payouts = list.filter((it) => isObject(it) && it.type === 'payout');
  const filePayout =
    payouts.length === 1 ? sourceIds((payouts[0] as Record<string, unknown>).source).id : null;
  const defaultPayout = filePayout ?? opts.payoutReference;

  yield* inBatches(list, (item, n) => parseItem(item, n, defaultPayout));
}

function parseItem(item: unknown, lineNumber: number, defaultPayout: string | null): SettlementParseItem {
  if (!isObject(item)) return issue(lineNumber, ['item is not a balance transaction object']);
  const problems: string[] = [];
  if (item.object !== undefined && item.object !== 'balance_transaction')
    problems.push(`item is a${quoteCode(String(item.object))} object, not a balance_transaction`);

  const type = stringValue(item.type);
  if (!type) problems.push('type is missing');

  const currencyText = stringValue(item.currency)?.toUpperCase() ?? null;
  let currency: string | null = null;
  if (!currencyText) problems.push('currency is missing');
  else if (!/^[A-Z]{3}$/.test(currencyText)) problems.push('currency is not an ISO 4217 code');
  else if (!isKnownCurrency(currencyText)) problems.push(`unknown currency "${currencyText}"`);
  else currency = currencyText;

  const amount = item.amount === undefined || item.amount === null ? null : integerValue(item.amount);
  if (item.amount === undefined || item.amount === null) problems.push('amount is missing');
  else if (amount === null) problems.push('amount is not an integer number of minor units');
  const fee = item.fee === undefined || item.fee === null ? 0n : integerValue(item.fee);
  if (fee === null) problems.push('fee is not an integer number of minor units');

  // `net` is amount less fee in Stripe's own units; a file where it is not has been edited or mangled.
  if (item.net !== undefined && item.net !== null && amount !== null && fee !== null) {
    const net = integerValue(item.net);
    if (net === null) problems.push('net is not an integer number of minor units');
    else if (net !== amount - fee) problems.push('net is not amount less fee');
  }

  let amountMinor = 0n;
  let feeMinor = 0n;
  let netMinor = 0n;
  if (currency && amount !== null && fee !== null) {
    const stripeExp = STRIPE_EXPONENT_OVERRIDES[currency] ?? currencyExponent(currency);
    const isoExp = currencyExponent(currency);
    try {
      amountMinor = rescaleMinor(amount < 0n ? -amount : amount, stripeExp, isoExp);
      feeMinor = rescaleMinor(fee < 0n ? -fee : fee, stripeExp, isoExp);
      // Signed as Stripe signs them: a dispute won back credits its amount and refunds its fee (negative fee).
      netMinor = (amount < 0n ? -amountMinor : amountMinor) - (fee < 0n ? -feeMinor : feeMinor);
    } catch (err) {
      if (!(err instanceof MoneyError)) throw err;
      problems.push(
        `amount or fee is not a whole number of ${currency} units (Stripe writes ${currency} x100)`,
      );
    }
    if (!minorInRange(amountMinor)) problems.push('amount is too large');
  }

  let occurredAt: Date | null = null;
  if (item.created === undefined || item.created === null) problems.push('created is missing');
  else if (
    typeof item.created !== 'number' ||
    !Number.isSafeInteger(item.created) ||
    item.created < 0 ||
    item.created > 253402300799
  )
    problems.push('created is not a unix timestamp in seconds');
  else occurredAt = new Date(item.created * 1000);

  let status: SettlementLineStatus | null = null;
  const statusText = stringValue(item.status);
  if (statusText && Object.hasOwn(STATUSES, statusText)) status = STATUSES[statusText];
  else
    problems.push(
      statusText ? `status${quoteCode(statusText)} is not available or pending` : 'status is missing',
    );

  const kind = type ? kindOf(item.reporting_category, type) : null;
  const source = sourceIds(item.source);
  if (source.id && source.id.length > MAX_ID_LENGTH)
    problems.push(`source is longer than ${MAX_ID_LENGTH} characters`);
  if (!source.id && kind && needsTransactionId(kind)) problems.push(`source is missing for a ${kind} line`);
  // A fee or adjustment without a source (Stripe's own charges: Radar, billing) is known by its balance transaction's
  // id, so two overlapping exports that both list it count it once.
  const ownId = source.id ? null : stringValue(item.id);
  if (ownId && ownId.length > MAX_ID_LENGTH) problems.push(`id is longer than ${MAX_ID_LENGTH} characters`);

  if (problems.length > 0 || !kind || !currency || !occurredAt || !status) return issue(lineNumber, problems);
  return settlementLine(
    lineNumber,
    kind,
    source.id ?? ownId,
    source.linked,
    type === 'payout' ? (source.id ?? defaultPayout) : defaultPayout,
    amountMinor,
    feeMinor,
    currency,
    occurredAt,
    null,
    status,
    netMinor,
  );
}
