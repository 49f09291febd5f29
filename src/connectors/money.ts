import {
  currencyExponent,
  formatMinor,
  money,
  MoneyError,
  parseDecimalToMinor,
  rescaleMinor,
  type Money,
} from '../domain/money';
import { ConnectorError } from './errors';

/**
 * How a provider writes amounts on the wire. The only place that converts between Lipa's ISO minor units and a
 * provider's representation (rails.md section 8).
 */
export type ProviderAmountUnit =
  /** Decimal major units as a string ("50000", "10.00"): MTN MoMo, Daraja callbacks. */
  | { kind: 'major' }
  /** Integer minor units at a provider-specific exponent (Stripe: UGX at 2). */
  | { kind: 'minor'; exponentOverrides?: Readonly<Record<string, number>> };

/** Stripe treats these ISO zero-/two-decimal currencies specially (amount x100, must be divisible by 100). */
export const STRIPE_EXPONENT_OVERRIDES: Readonly<Record<string, number>> = Object.freeze({
  UGX: 2,
  ISK: 2,
  HUF: 2,
  TWD: 2,
});

function providerExponent(unit: ProviderAmountUnit, currency: string): number {
  if (unit.kind === 'minor') return unit.exponentOverrides?.[currency] ?? currencyExponent(currency);
  return currencyExponent(currency);
}

/**
 * Reads a provider amount (JSON number or string) into {@link Money}.
 * @throws ConnectorError RESPONSE_DECODING_FAILED when the value is not a finite decimal or has sub-minor precision.
 * @example fromProviderAmount('mtn-momo', "50000", 'UGX', { kind: 'major' }) // { amountMinor: 50000n, currency: 'UGX' }
 */
export function fromProviderAmount(
  connector: string,
  value: unknown,
  currency: string,
  unit: ProviderAmountUnit,
): Money {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new ConnectorError(connector, 'RESPONSE_DECODING_FAILED', 'Amount is not a finite number');
    text = String(value);
    if (/e/i.test(text))
      throw new ConnectorError(connector, 'RESPONSE_DECODING_FAILED', `Amount ${text} is out of range`);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    throw new ConnectorError(
      connector,
      'RESPONSE_DECODING_FAILED',
      `Amount has type ${value === null ? 'null' : typeof value}`,
    );
  }
  try {
    if (unit.kind === 'major')
      return money(parseDecimalToMinor(text, currency, { allowNegative: true }), currency);
    const exp = providerExponent(unit, currency);
    // GoCardless payout items send minor units with one decimal ("1500.0"): accept zero fractions only.
    const minorAtProvider = parseDecimalToMinor(text, currency, { exponent: 0, allowNegative: true });
    return money(rescaleMinor(minorAtProvider, exp, currencyExponent(currency)), currency);
  } catch (err) {
    if (err instanceof ConnectorError) throw err;
    const code =
      err instanceof MoneyError && /Unknown currency/.test(err.message)
        ? 'CURRENCY_UNSUPPORTED'
        : 'RESPONSE_DECODING_FAILED';
    throw new ConnectorError(
      connector,
      code,
      `Cannot read amount "${text}" ${currency}: ${(err as Error).message}`,
    );
  }
}

/**
 * Writes {@link Money} in the provider's unit: a decimal string for major units, an integer string for minor units.
 * @throws ConnectorError REQUEST_ENCODING_FAILED when the amount needs more precision than the provider allows
 *   (e.g. `wholeUnitsOnly` and KES 10.50).
 */
export function toProviderAmount(
  connector: string,
  amount: Money,
  unit: ProviderAmountUnit,
  options: { wholeUnitsOnly?: boolean } = {},
): string {
  const iso = currencyExponent(amount.currency);
  try {
    if (unit.kind === 'major') {
      if (options.wholeUnitsOnly) return rescaleMinor(amount.amountMinor, iso, 0).toString();
      return formatMinor(amount.amountMinor, iso);
    }
    return rescaleMinor(amount.amountMinor, iso, providerExponent(unit, amount.currency)).toString();
  } catch (err) {
    throw new ConnectorError(connector, 'REQUEST_ENCODING_FAILED', (err as Error).message);
  }
}
