/**
 * Pieces the format parsers share: header matching, exact amount and timestamp parsing, identifier and reference
 * checks, and issue texts that never echo personal data.
 */
import { currencyExponent, isKnownCurrency, parseDecimalToMinor } from '../../money';
import type { CsvInput, CsvRecord } from '../csv';
import {
  SettlementParseError,
  type ParsedSettlementLine,
  type SettlementLineKind,
  type SettlementLineStatus,
  type SettlementParseBatch,
  type SettlementParseItem,
  type SettlementParseOptions,
} from '../types';

export type SettlementInput = CsvInput;

/** Identifiers and references longer than this are refused (they are not what the rails issue). */
export const MAX_ID_LENGTH = 100;
/** East Africa Time, UTC+03:00 all year (no daylight saving in Kenya, Uganda, Tanzania). */
export const EAT_OFFSET_MINUTES = 180;
/** PostgreSQL bigint, where lines are stored. */
const MAX_MINOR = 2n ** 63n - 1n;

// ---------------------------------------------------------------------------------------------------------------
// Options

export interface ResolvedOptions {
  currency: string | null;
  payoutReference: string | null;
}

export function resolveOptions(options: SettlementParseOptions | undefined): ResolvedOptions {
  let currency: string | null = null;
  if (options?.currency != null && String(options.currency).trim() !== '') {
    const code = String(options.currency).trim().toUpperCase();
    if (!/^[A-Z]{3}$/.test(code) || !isKnownCurrency(code))
      throw new SettlementParseError(
        /^[A-Za-z]{3}$/.test(String(options.currency).trim())
          ? `Unknown currency option "${code}"`
          : 'The currency option is not an ISO 4217 code',
      );
    currency = code;
  }
  const ref = options?.payoutReference?.trim();
  return { currency, payoutReference: ref ? ref : null };
}

// ---------------------------------------------------------------------------------------------------------------
// Issues

/** JSON formats hand their items on in batches of this many. */
const JSON_BATCH = 5000;

/** `items` read by `read(item, lineNumber)` (1-based), handed on {@link JSON_BATCH} at a time. */
export function* inBatches<T>(
  items: readonly T[],
  read: (item: T, lineNumber: number) => SettlementParseItem,
): Generator<SettlementParseBatch> {
  for (let start = 0; start < items.length; start += JSON_BATCH) {
    const end = Math.min(items.length, start + JSON_BATCH);
    const batch: SettlementParseBatch = [];
    for (let i = start; i < end; i++) batch.push(read(items[i], i + 1));
    yield batch;
  }
}

export function issue(lineNumber: number, problems: string[]): SettlementParseItem {
  return { issue: { lineNumber, message: problems.join('; ') } };
}

/** Runs of 9+ digits are treated as phone numbers (E.164 numbers have 9-15 digits after the country code). */
const PHONE_LIKE = /\d{9,}/;

/**
 * The value quoted for an issue message, or '' when it could be personal data. Only short identifier-like text
 * (letters, digits and `_-.:/`, with at least one digit, no phone-like digit run) is echoed.
 */
export function quoteId(text: string): string {
  const t = text.trim();
  if (t.length === 0 || t.length > 40 || !/^[A-Za-z0-9_\-.:/]+$/.test(t) || !/\d/.test(t)) return '';
  if (PHONE_LIKE.test(t)) return '';
  return ` "${t}"`;
}

/** Like {@link quoteId} for amount text: digits, signs and separators only. */
export function quoteAmount(text: string): string {
  const t = text.trim();
  if (t.length === 0 || t.length > 40 || !/^[\d\s.,+\-()]+$/.test(t)) return '';
  if (PHONE_LIKE.test(t.replace(/[\s,]/g, ''))) return '';
  return ` "${t}"`;
}

/** Like {@link quoteId} for a date/time text. */
export function quoteTime(text: string): string {
  const t = text.trim();
  if (t.length === 0 || t.length > 40 || !/^[\dTtZz:\-+/. ,APMapm]+$/.test(t)) return '';
  if (PHONE_LIKE.test(t)) return '';
  return ` "${t}"`;
}

/** Short code-like values (currencies, statuses, types) are echoed; anything else is described only. */
export function quoteCode(text: string): string {
  const t = text.trim();
  if (t.length === 0 || t.length > 30 || !/^[A-Za-z_\- ]+$/.test(t) || /\s\S+\s/.test(t)) return '';
  return ` "${t}"`;
}

// ---------------------------------------------------------------------------------------------------------------
// Headers

export function isBlankRecord(fields: string[]): boolean {
  for (const f of fields) if (f.length > 0 && f.trim() !== '') return false;
  return true;
}

/** Case-, punctuation- and whitespace-insensitive key of a header name ("A/C No." -> "acno"). */
export function headerKey(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

export interface ColumnSpec<K extends string> {
  key: K;
  /** The name used in messages. */
  label: string;
  /** Accepted header names, preferred first; compared as {@link HeaderMatch} says. */
  aliases: string[];
  required?: boolean;
}

export type ColumnIndex<K extends string> = Record<K, number>;

/** How headers are compared: `loose` ignores case, punctuation and whitespace; `exact` only case and edge spaces. */
export type HeaderMatch = 'loose' | 'exact';

function keyFor(name: string, match: HeaderMatch): string {
  return match === 'loose' ? headerKey(name) : name.trim().toLowerCase();
}

/** Index of the first header cell matching one of the aliases (earlier aliases win), or -1. */
function findColumn(keys: string[], aliases: string[], match: HeaderMatch): number {
  for (const alias of aliases) {
    const idx = keys.indexOf(keyFor(alias, match));
    if (idx !== -1) return idx;
  }
  return -1;
}

export function hasColumns(fields: string[], aliasSets: string[][], match: HeaderMatch): boolean {
  const keys = fields.map((f) => keyFor(f, match));
  return aliasSets.every((aliases) => findColumn(keys, aliases, match) !== -1);
}

/** Header cells for an error message: shortened, and with anything phone- or e-mail-like masked. */
export function describeFound(fields: string[]): string {
  const shown = fields.slice(0, 30).map((f) => {
    // eslint-disable-next-line no-control-regex
    const t = f.trim().replace(/[\u0000-\u001f\u007f]/g, '?');
    if (PHONE_LIKE.test(t.replace(/[\s\-+()]/g, '')) || t.includes('@')) return '…';
    return t.length > 40 ? `${t.slice(0, 40)}…` : t;
  });
  if (fields.length > 30) shown.push(`… (${fields.length} columns)`);
  return shown.join(', ');
}

/** Maps each spec to its column; throws naming every missing required column and listing what was found. */
export function resolveColumns<K extends string>(
  fields: string[],
  specs: ReadonlyArray<ColumnSpec<K>>,
  match: HeaderMatch,
  context = '',
): ColumnIndex<K> {
  const keys = fields.map((f) => keyFor(f, match));
  const index = {} as ColumnIndex<K>;
  const missing: string[] = [];
  for (const spec of specs) {
    const idx = findColumn(keys, spec.aliases, match);
    index[spec.key] = idx;
    if (idx === -1 && spec.required) missing.push(`"${spec.label}"`);
  }
  if (missing.length > 0) {
    throw new SettlementParseError(
      `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; found: ${describeFound(fields)}${context}`,
    );
  }
  return index;
}

/**
 * Checks a data row's width against the header's. Extra trailing empty cells (spreadsheet exports pad rows) are
 * allowed; anything else is an issue text.
 */
export function fieldCountProblem(fields: string[], width: number): string | null {
  if (fields.length === width) return null;
  if (fields.length > width) {
    for (let i = width; i < fields.length; i++)
      if (fields[i].trim() !== '') return `expected ${width} fields, found ${fields.length}`;
    return null;
  }
  return `expected ${width} fields, found ${fields.length}`;
}

/** The trimmed cell at `idx`, or '' for a missing column. */
export function cell(fields: string[], idx: number): string {
  if (idx < 0 || idx >= fields.length) return '';
  return fields[idx].trim();
}

/**
 * Finds the header row among the first `scanLimit` records of a provider export (which may start with preamble
 * rows such as the account name and period), then hands every later record to `row`.
 */
export async function* withProviderHeader<K extends string>(
  batches: AsyncIterable<CsvRecord[]>,
  specs: ReadonlyArray<ColumnSpec<K>>,
  identifying: K[],
  scanLimit: number,
  row: (record: CsvRecord, columns: ColumnIndex<K>, width: number) => SettlementParseItem | null,
  onHeader?: (columns: ColumnIndex<K>, fields: string[]) => void,
): AsyncGenerator<SettlementParseBatch> {
  const idSets = identifying.map((k) => specs.find((s) => s.key === k)!.aliases);
  let columns: ColumnIndex<K> | null = null;
  let width = 0;
  let first: string[] | null = null;
  let scanned = 0;
  for await (const batch of batches) {
    const items: SettlementParseBatch = [];
    for (const record of batch) {
      if (columns) {
        if (isBlankRecord(record.fields)) continue;
        const item = row(record, columns, width);
        if (item) items.push(item);
        continue;
      }
      if (isBlankRecord(record.fields)) continue;
      first ??= record.fields;
      scanned++;
      if (hasColumns(record.fields, idSets, 'loose')) {
        columns = resolveColumns(record.fields, specs, 'loose');
        width = record.fields.length;
        onHeader?.(columns, record.fields);
      } else if (scanned >= scanLimit) {
        resolveColumns(first, specs, 'loose', ` (no header row in the first ${scanLimit} rows)`);
      }
    }
    if (items.length > 0) yield items;
  }
  if (!columns) {
    if (!first) throw new SettlementParseError('The file is empty');
    resolveColumns(first, specs, 'loose', ` (no header row in the first ${scanLimit} rows)`);
    // The first row has every identifying column only if resolveColumns failed on another: unreachable.
    throw new SettlementParseError(`No header row in the first ${scanLimit} rows`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Amounts

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;
const GROUPED = /^([+-])?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$/;
const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000];

export type AmountResult =
  { ok: true; minor: bigint; negative: boolean } | { ok: false; reason: 'syntax' | 'precision' | 'range' };

const SYNTAX: AmountResult = Object.freeze({ ok: false, reason: 'syntax' });
const PRECISION: AmountResult = Object.freeze({ ok: false, reason: 'precision' });
const RANGE: AmountResult = Object.freeze({ ok: false, reason: 'range' });

/**
 * One pass over a decimal with `charCodeAt`, no allocation, exact while the result stays within 15 significant
 * digits (well inside 2^53); returns undefined for longer amounts, which take the regex and bigint route.
 */
function scanDecimal(text: string, exp: number, grouped: boolean): AmountResult | undefined {
  const n = text.length;
  let i = 0;
  let negative = false;
  const c0 = text.charCodeAt(0);
  if (c0 === 45 /* - */) {
    negative = true;
    i++;
  } else if (c0 === 43 /* + */ && grouped) i++;
  let whole = 0;
  let wholeDigits = 0;
  let group = -1;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      whole = whole * 10 + (c - 48);
      wholeDigits++;
      if (group >= 0) group++;
    } else if (c === 44 /* , */ && grouped) {
      if (group === -1 ? wholeDigits === 0 || wholeDigits > 3 : group !== 3) return SYNTAX;
      group = 0;
    } else break;
  }
  if (wholeDigits === 0 || (group !== -1 && group !== 3)) return SYNTAX;
  let frac = 0;
  let fracDigits = 0;
  if (i < n && text.charCodeAt(i) === 46 /* . */) {
    i++;
    let extraNonZero = false;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      if (fracDigits < exp) frac = frac * 10 + (c - 48);
      else if (c !== 48) extraNonZero = true;
      fracDigits++;
    }
    if (fracDigits === 0) return SYNTAX;
    if (i === n && extraNonZero) return PRECISION;
  }
  if (i !== n) return SYNTAX;
  if (wholeDigits + exp > 15 || exp >= POW10.length) return undefined;
  const used = fracDigits < exp ? fracDigits : exp;
  const minor = whole * POW10[exp] + frac * POW10[exp - used];
  return { ok: true, minor: BigInt(minor), negative: negative && minor !== 0 };
}

/**
 * Parses a plain decimal ("1500.50", "-12") at the currency's exponent, exactly. Digits beyond the exponent are
 * accepted only when they are zeros ("50000.00" UGX); otherwise the reason is `precision`. No thousands
 * separators, exponents or `+`.
 */
export function parseAmount(text: string, currency: string): AmountResult {
  const exp = currencyExponent(currency);
  const fast = scanDecimal(text, exp, false);
  if (fast) return fast;
  const m = DECIMAL.exec(text);
  if (!m) return SYNTAX;
  let minor: bigint;
  try {
    minor = parseDecimalToMinor(m[1] ? text.slice(1) : text, currency);
  } catch {
    return PRECISION;
  }
  if (minor > MAX_MINOR) return RANGE;
  return { ok: true, minor, negative: m[1] === '-' && minor !== 0n };
}

/**
 * Parses an amount as spreadsheet exports show it: optional sign, optional thousands separators in proper groups
 * ("1,500.00", "-1,500.00"). Separators must group by three: "1,50" is a syntax error, not 150.
 */
export function parseGroupedAmount(text: string, currency: string): AmountResult {
  const fast = scanDecimal(text, currencyExponent(currency), true);
  if (fast) return fast;
  const m = GROUPED.exec(text);
  if (!m) return SYNTAX;
  const r = parseAmount(m[2].replace(/,/g, '') + (m[3] ?? ''), currency);
  if (!r.ok) return r;
  return { ok: true, minor: r.minor, negative: m[1] === '-' && r.minor !== 0n };
}

export function amountProblem(column: string, text: string, currency: string, reason: string): string {
  switch (reason) {
    case 'precision': {
      const exp = currencyExponent(currency);
      return `${column}${quoteAmount(text)} has more decimal places than ${currency} allows (${exp})`;
    }
    case 'range':
      return `${column}${quoteAmount(text)} is too large`;
    default:
      return `${column}${quoteAmount(text)} is not a decimal amount`;
  }
}

/** Checks that an integer minor-unit amount fits where lines are stored. */
export function minorInRange(minor: bigint): boolean {
  return minor <= MAX_MINOR && minor >= -MAX_MINOR;
}

// ---------------------------------------------------------------------------------------------------------------
// Timestamps

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const DAY_FIRST =
  /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[Tt ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:\s*([AaPp][Mm]))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

export type TimeResult =
  { ok: true; date: Date } | { ok: false; reason: 'syntax' | 'impossible' | 'no-offset' };

const T_SYNTAX: TimeResult = Object.freeze({ ok: false, reason: 'syntax' });
const T_IMPOSSIBLE: TimeResult = Object.freeze({ ok: false, reason: 'impossible' });
const T_NO_OFFSET: TimeResult = Object.freeze({ ok: false, reason: 'no-offset' });

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return MONTH_DAYS[month - 1];
}

/** Offset text ("Z", "+03:00", "+0300", "+03") in minutes east of UTC; null when absent, NaN when out of range. */
function parseOffset(text: string | undefined): number | null {
  if (!text) return null;
  if (text === 'Z' || text === 'z') return 0;
  const sign = text[0] === '-' ? -1 : 1;
  const digits = text.slice(1).replace(':', '');
  const h = Number(digits.slice(0, 2));
  const m = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (h > 18 || m > 59) return NaN;
  return sign * (h * 60 + m);
}

function build(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
  offset: number | null,
  defaultOffset: number | null,
): TimeResult {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return T_IMPOSSIBLE;
  if (hour > 23 || minute > 59 || second > 59 || Number.isNaN(offset)) return T_IMPOSSIBLE;
  const at = offset ?? defaultOffset;
  if (at === null) return T_NO_OFFSET;
  return { ok: true, date: new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - at * 60_000) };
}

function digits2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * `YYYY-MM-DD[T ]HH:MM:SS[.fff][Z|±HH:MM|±HHMM]`, read with `charCodeAt`; undefined when the text has another shape
 * (the regexes then decide).
 */
function fastIso(s: string, defaultOffset: number | null): TimeResult | undefined {
  const n = s.length;
  if (n < 19) return undefined;
  const c10 = s.charCodeAt(10);
  if (
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    (c10 !== 84 && c10 !== 32) ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  )
    return undefined;
  const y1 = digits2(s, 0);
  const y2 = digits2(s, 2);
  const month = digits2(s, 5);
  const day = digits2(s, 8);
  const hour = digits2(s, 11);
  const minute = digits2(s, 14);
  const second = digits2(s, 17);
  if ((y1 | y2 | month | day | hour | minute | second) < 0) return undefined;
  let i = 19;
  let ms = 0;
  if (i < n && s.charCodeAt(i) === 46) {
    i++;
    let k = 0;
    for (; i < n; i++, k++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      if (k < 3) ms = ms * 10 + c;
    }
    if (k === 0 || k > 9) return undefined;
    for (; k < 3; k++) ms *= 10;
  }
  let offset: number | null = null;
  if (i < n) {
    const c = s.charCodeAt(i);
    if ((c === 90 || c === 122) && i + 1 === n) offset = 0;
    else if (c === 43 || c === 45) {
      const oh = digits2(s, i + 1);
      let om: number;
      if (i + 3 === n) om = 0;
      else if (i + 6 === n && s.charCodeAt(i + 3) === 58) om = digits2(s, i + 4);
      else if (i + 5 === n) om = digits2(s, i + 3);
      else return undefined;
      if (oh < 0 || om < 0) return undefined;
      offset = oh > 18 || om > 59 ? NaN : (c === 45 ? -1 : 1) * (oh * 60 + om);
    } else return undefined;
  }
  return build(y1 * 100 + y2, month, day, hour, minute, second, ms, offset, defaultOffset);
}

function fractionMs(fraction: string | undefined): number {
  return fraction ? Number(fraction.slice(0, 3).padEnd(3, '0')) : 0;
}

/**
 * Reads a timestamp. Accepted: ISO 8601 / RFC 3339 (`2026-11-20T14:03:11Z`, `...+03:00`, `...+0300`, a space for the
 * `T`, optional seconds and fraction) and day-first `20/11/2026 14:03:11` (also with `-` or `.`, optional AM/PM).
 * A text without an offset is read at `defaultOffsetMinutes` east of UTC, or refused (`no-offset`) when that is
 * null. A date without a time is midnight at that offset. Impossible dates (2026-02-30, 25:00) are `impossible`.
 */
export function parseTimestamp(text: string, defaultOffsetMinutes: number | null): TimeResult {
  const fast = fastIso(text, defaultOffsetMinutes);
  if (fast) return fast;
  let m = ISO_DATE_TIME.exec(text);
  if (m) {
    return build(
      Number(m[1]),
      Number(m[2]),
      Number(m[3]),
      m[4] === undefined ? 0 : Number(m[4]),
      m[5] === undefined ? 0 : Number(m[5]),
      m[6] === undefined ? 0 : Number(m[6]),
      fractionMs(m[7]),
      parseOffset(m[8]),
      defaultOffsetMinutes,
    );
  }
  m = DAY_FIRST.exec(text);
  if (m) {
    let hour = m[4] === undefined ? 0 : Number(m[4]);
    if (m[8]) {
      if (hour < 1 || hour > 12) return T_IMPOSSIBLE;
      hour = (hour % 12) + (m[8].toLowerCase() === 'pm' ? 12 : 0);
    }
    return build(
      Number(m[3]),
      Number(m[2]),
      Number(m[1]),
      hour,
      m[5] === undefined ? 0 : Number(m[5]),
      m[6] === undefined ? 0 : Number(m[6]),
      fractionMs(m[7]),
      parseOffset(m[9]),
      defaultOffsetMinutes,
    );
  }
  return T_SYNTAX;
}

export function timeProblem(column: string, text: string, reason: string): string {
  switch (reason) {
    case 'impossible':
      return `${column}${quoteTime(text)} is not a real date and time`;
    case 'no-offset':
      return `${column}${quoteTime(text)} has no UTC offset (add Z or +03:00)`;
    default:
      return `${column}${quoteTime(text)} is not a date and time`;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Identifiers and references

/** A trimmed identifier: null when blank; a problem text when longer than {@link MAX_ID_LENGTH}. */
export function optionalId(text: string, column: string, problems: string[]): string | null {
  if (text === '') return null;
  if (text.length > MAX_ID_LENGTH) {
    problems.push(`${column} is longer than ${MAX_ID_LENGTH} characters`);
    return null;
  }
  return text;
}

/** East African mobile numbers, local (07…, 01…) or international (2547…, +2567…). */
const PHONE_NUMBER = /^(?:\+?(?:254|255|256|250|257|211|243)|0)[17]\d{8}$/;
/** Two or more words of letters only ("JANE DOE"): a name, not an account reference. */
const NAME_LIKE = /^\p{L}[\p{L}'.]*(?:[\s,]+\p{L}[\p{L}'.]*)+$/u;

/**
 * An account reference as the payer typed it (M-Pesa BillRefNumber) or as Lipa sent it. Payers sometimes type their
 * phone number or name instead of the loan number: those are dropped (null), never stored, since `reference` must
 * only ever hold an account or loan reference. Longer than {@link MAX_ID_LENGTH} is a problem.
 */
export function accountReference(text: string, column: string, problems: string[]): string | null {
  if (text === '') return null;
  if (text.length > MAX_ID_LENGTH) {
    problems.push(`${column} is longer than ${MAX_ID_LENGTH} characters`);
    return null;
  }
  const first = text.charCodeAt(0);
  if ((first === 0x2b || first === 0x28 || (first >= 0x30 && first <= 0x39)) && text.length <= 24) {
    if (PHONE_NUMBER.test(text.replace(/[\s\-()]/g, ''))) return null;
  }
  if (/[\s,]/.test(text) && NAME_LIKE.test(text)) return null;
  return text;
}

// ---------------------------------------------------------------------------------------------------------------
// Lines

/** Builds a line with its properties in one fixed order. */
export function settlementLine(
  lineNumber: number,
  kind: SettlementLineKind,
  providerTransactionId: string | null,
  linkedTransactionId: string | null,
  payoutReference: string | null,
  amountMinor: bigint,
  feeMinor: bigint,
  currency: string,
  occurredAt: Date,
  reference: string | null,
  status: SettlementLineStatus,
  netMinor: bigint = usualNet(kind, amountMinor, feeMinor),
): SettlementParseItem {
  const line: ParsedSettlementLine = {
    lineNumber,
    kind,
    providerTransactionId,
    linkedTransactionId,
    payoutReference,
    amountMinor,
    feeMinor,
    currency,
    occurredAt,
    reference,
    status,
    netMinor,
  };
  return { line };
}

/**
 * A line's effect on the merchant's balance when the file gives no sign: a payment credits its amount less the fee;
 * every other kind (refunds, reversals, charge-backs, fees, payouts, adjustments) debits its amount and the fee.
 */
export function usualNet(kind: SettlementLineKind, amountMinor: bigint, feeMinor: bigint): bigint {
  return kind === 'PAYMENT' ? amountMinor - feeMinor : -amountMinor - feeMinor;
}

/** Kinds that describe money owed by or to a specific payment, and so need the rail's transaction id. */
export function needsTransactionId(kind: SettlementLineKind): boolean {
  return kind === 'PAYMENT' || kind === 'REFUND' || kind === 'REVERSAL' || kind === 'CHARGEBACK';
}

/** Upper-case letters and digits only, for matching codes such as "Request To Pay" / "REQUEST_TO_PAY". */
export function codeKey(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

// ---------------------------------------------------------------------------------------------------------------
// JSON files

/**
 * JSON files are read whole (Stripe and GoCardless exports are lists, not streams). The caller enforces its own
 * upload limit; this cap keeps one JSON document within what `JSON.parse` can hold comfortably.
 */
export const MAX_JSON_BYTES = 256 * 1024 * 1024;

export async function readJsonDocument(chunks: SettlementInput, what: string): Promise<unknown> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    const buf =
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'utf8')
        : Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(chunk);
    total += buf.length;
    if (total > MAX_JSON_BYTES)
      throw new SettlementParseError(
        `${what} files are read whole and may be at most ${MAX_JSON_BYTES} bytes; split the export`,
      );
    parts.push(buf);
  }
  let text = Buffer.concat(parts, total).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new SettlementParseError('The file is empty');
  try {
    return JSON.parse(text);
  } catch (err) {
    // The parser's message can quote the file's content: keep only the position.
    const at = /position (\d+)/.exec((err as Error).message);
    throw new SettlementParseError(
      `The file is not valid JSON${at ? ` (at character ${at[1]})` : ''}; ${what} is JSON`,
    );
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An integer given as a JSON number (safe integer) or an integer string; null otherwise. */
export function integerValue(value: unknown): bigint | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : null;
  if (typeof value === 'string' && /^-?\d{1,19}$/.test(value.trim())) {
    const v = BigInt(value.trim());
    return minorInRange(v) ? v : null;
  }
  return null;
}

export function stringValue(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const t = value.trim();
  return t === '' ? null : t;
}
