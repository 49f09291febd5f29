/**
 * Settlement files: a rail's statement or payout file, read as it streams in, into normalised settlement lines.
 *
 * `parseSettlementBatches` yields the items of each chunk read, `parseSettlement` one at a time. An item is
 * `{ line }` when the line could be read, `{ issue }` when it could not (the rest of the file is still read). A file
 * that cannot be read at all (unknown format, missing header column, JSON of the wrong shape, empty, a record over
 * the size limit) makes the generator throw
 * {@link SettlementParseError}. Amounts are exact bigint minor units; no float touches money.
 */
import { parseAirtelMoneyCsv } from './formats/airtel-money';
import { parseGoCardlessPayoutItems } from './formats/gocardless-payout-items';
import { parseLipaCsv } from './formats/lipa-csv';
import { parseMpesaStatement } from './formats/mpesa-statement';
import { parseMtnMomoCsv } from './formats/mtn-momo';
import { parseStripeBalanceTransactions } from './formats/stripe-balance-transactions';
import {
  SETTLEMENT_FORMATS,
  SettlementParseError,
  type SettlementFormat,
  type SettlementParseBatch,
  type SettlementParseItem,
  type SettlementParseOptions,
} from './types';

export * from './types';
export { MAX_CSV_RECORD_BYTES, readCsv, type CsvRecord } from './csv';
export { RepeatedKeyFinder, settlementLineKey, type RepeatedKey } from './repeats';

type Parser = (
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  options?: SettlementParseOptions,
) => AsyncGenerator<SettlementParseBatch>;

const PARSERS: Readonly<Record<SettlementFormat, Parser>> = {
  LIPA_CSV: parseLipaCsv,
  MPESA_STATEMENT_CSV: parseMpesaStatement,
  MTN_MOMO_CSV: parseMtnMomoCsv,
  AIRTEL_MONEY_CSV: parseAirtelMoneyCsv,
  STRIPE_BALANCE_TRANSACTIONS: parseStripeBalanceTransactions,
  GOCARDLESS_PAYOUT_ITEMS: parseGoCardlessPayoutItems,
};

// A generator so that the error surfaces on iteration, like every other file error.
// eslint-disable-next-line require-yield
async function* unknownFormat(format: string): AsyncGenerator<SettlementParseBatch> {
  throw new SettlementParseError(
    `Unknown settlement format "${String(format).slice(0, 40)}"; expected one of ${SETTLEMENT_FORMATS.join(', ')}`,
  );
}

/**
 * Reads a settlement file of `format` from `chunks` (bytes as UTF-8, or text), a batch of items at a time (one per
 * chunk read). Errors — including an unknown format or a bad `options.currency` — surface when the generator is
 * iterated, as {@link SettlementParseError}.
 */
export function parseSettlementBatches(
  format: SettlementFormat,
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  options?: SettlementParseOptions,
): AsyncGenerator<SettlementParseBatch> {
  const parser = Object.hasOwn(PARSERS, format) ? PARSERS[format] : undefined;
  return parser ? parser(chunks, options) : unknownFormat(format);
}

/** {@link parseSettlementBatches} one item at a time. */
export async function* parseSettlement(
  format: SettlementFormat,
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  options?: SettlementParseOptions,
): AsyncGenerator<SettlementParseItem> {
  for await (const batch of parseSettlementBatches(format, chunks, options)) yield* batch;
}
