/**
 * Exact money. Amounts are integer minor units (`bigint`) at the ISO 4217 exponent of their currency.
 * Nothing in here touches a JS `number` for an amount: parsing and formatting work on decimal strings.
 */

/** ISO 4217 minor-unit exponents for the currencies Lipa serves (East Africa first) and common settlement ones. */
export const CURRENCY_EXPONENTS: Readonly<Record<string, number>> = Object.freeze({
  UGX: 0,
  KES: 2,
  TZS: 2,
  RWF: 0,
  BIF: 0,
  CDF: 2,
  SSP: 2,
  ETB: 2,
  MWK: 2,
  ZMW: 2,
  MZN: 2,
  NGN: 2,
  GHS: 2,
  XAF: 0,
  XOF: 0,
  ZAR: 2,
  USD: 2,
  EUR: 2,
  GBP: 2,
  AUD: 2,
  CAD: 2,
  DKK: 2,
  SEK: 2,
  NZD: 2,
  JPY: 0,
  KWD: 3,
  BHD: 3,
});

export class MoneyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyError';
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

export interface Money {
  /** Integer amount in minor units at the currency's ISO exponent (UGX 50,000 -> 50000n; KES 10.50 -> 1050n). */
  readonly amountMinor: bigint;
  /** Upper-case ISO 4217 code. */
  readonly currency: string;
}

export function isKnownCurrency(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(CURRENCY_EXPONENTS, code);
}

/** The ISO exponent of `currency`; throws {@link MoneyError} for a currency Lipa does not know. */
export function currencyExponent(currency: string): number {
  const exp = CURRENCY_EXPONENTS[currency];
  if (exp === undefined) throw new MoneyError(`Unknown currency "${currency}"`);
  return exp;
}

/** Normalises a currency code (trim, upper-case) and checks Lipa knows it. */
export function normalizeCurrency(input: string): string {
  const code = String(input).trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(code)) throw new MoneyError(`"${input}" is not an ISO 4217 currency code`);
  currencyExponent(code);
  return code;
}

export function money(amountMinor: bigint | number | string, currency: string): Money {
  const code = normalizeCurrency(currency);
  let minor: bigint;
  if (typeof amountMinor === 'bigint') minor = amountMinor;
  else if (typeof amountMinor === 'number') {
    if (!Number.isSafeInteger(amountMinor)) throw new MoneyError('Minor units must be a safe integer');
    minor = BigInt(amountMinor);
  } else {
    if (!/^-?\d+$/.test(amountMinor))
      throw new MoneyError(`"${amountMinor}" is not an integer amount of minor units`);
    minor = BigInt(amountMinor);
  }
  return Object.freeze({ amountMinor: minor, currency: code });
}

export function zero(currency: string): Money {
  return money(0n, currency);
}

export interface DecimalParseOptions {
  /** Allow a leading minus sign. Default false. */
  allowNegative?: boolean;
  /**
   * Accept digits beyond the currency exponent when they are all zero ("5.00" for UGX). Providers send such
   * strings; people typing into a form should not. Default true.
   */
  allowTrailingZeros?: boolean;
  /** Number of decimal places the amount is expressed in. Defaults to the ISO exponent of the currency. */
  exponent?: number;
}

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/**
 * Parses a decimal string ("1200.50") into minor units at the given (default ISO) exponent.
 * Rejects floats-in-disguise: exponents ("1e3"), spaces, thousands separators, and digits finer than the exponent.
 */
export function parseDecimalToMinor(
  amount: string,
  currency: string,
  options: DecimalParseOptions = {},
): bigint {
  const exp = options.exponent ?? currencyExponent(currency);
  if (typeof amount !== 'string') throw new MoneyError('Amount must be a decimal string');
  const m = DECIMAL.exec(amount.trim());
  if (!m || amount.trim() !== amount) throw new MoneyError(`"${amount}" is not a decimal amount`);
  const [, minus, whole, fracRaw = ''] = m;
  if (minus && !options.allowNegative) throw new MoneyError('Amount must not be negative');
  let frac = fracRaw;
  if (frac.length > exp) {
    const extra = frac.slice(exp);
    if (!/^0+$/.test(extra) || options.allowTrailingZeros === false) {
      throw new MoneyError(
        `${currency} amounts have at most ${exp} decimal place${exp === 1 ? '' : 's'}: "${amount}"`,
      );
    }
    frac = frac.slice(0, exp);
  }
  const digits = whole + frac.padEnd(exp, '0');
  const minor = BigInt(digits);
  return minus ? -minor : minor;
}

/** Parses a decimal string into {@link Money}. */
export function parseMoney(amount: string, currency: string, options: DecimalParseOptions = {}): Money {
  const code = normalizeCurrency(currency);
  return money(parseDecimalToMinor(amount, code, options), code);
}

/** Formats minor units as a decimal string with exactly `exponent` places ("1050", KES -> "10.50"). */
export function formatMinor(amountMinor: bigint, exponent: number): string {
  const negative = amountMinor < 0n;
  const abs = (negative ? -amountMinor : amountMinor).toString();
  if (exponent === 0) return (negative ? '-' : '') + abs;
  const padded = abs.padStart(exponent + 1, '0');
  const whole = padded.slice(0, padded.length - exponent);
  const frac = padded.slice(padded.length - exponent);
  return `${negative ? '-' : ''}${whole}.${frac}`;
}

/** Decimal string of `m` at its currency's ISO exponent. */
export function formatMoney(m: Money): string {
  return formatMinor(m.amountMinor, currencyExponent(m.currency));
}

function assertSameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) throw new MoneyError(`Currency mismatch: ${a.currency} vs ${b.currency}`);
}

export function addMoney(a: Money, b: Money): Money {
  assertSameCurrency(a, b);
  return money(a.amountMinor + b.amountMinor, a.currency);
}

export function subtractMoney(a: Money, b: Money): Money {
  assertSameCurrency(a, b);
  return money(a.amountMinor - b.amountMinor, a.currency);
}

export function compareMoney(a: Money, b: Money): -1 | 0 | 1 {
  assertSameCurrency(a, b);
  return a.amountMinor < b.amountMinor ? -1 : a.amountMinor > b.amountMinor ? 1 : 0;
}

export function minMoney(a: Money, b: Money): Money {
  return compareMoney(a, b) <= 0 ? a : b;
}

export function sumMinor(values: Iterable<bigint>): bigint {
  let total = 0n;
  for (const v of values) total += v;
  return total;
}

/** Converts minor units between two exponents; throws when precision would be lost. */
export function rescaleMinor(amountMinor: bigint, fromExponent: number, toExponent: number): bigint {
  if (toExponent >= fromExponent) return amountMinor * 10n ** BigInt(toExponent - fromExponent);
  const factor = 10n ** BigInt(fromExponent - toExponent);
  if (amountMinor % factor !== 0n) {
    throw new MoneyError(`Amount ${amountMinor} cannot be expressed with ${toExponent} decimal places`);
  }
  return amountMinor / factor;
}
