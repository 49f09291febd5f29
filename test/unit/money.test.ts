import fc from 'fast-check';
import {
  CURRENCY_EXPONENTS,
  addMoney,
  currencyExponent,
  formatMinor,
  formatMoney,
  money,
  MoneyError,
  parseDecimalToMinor,
  parseMoney,
  rescaleMinor,
  subtractMoney,
} from '../../src/domain/money';
import { fromProviderAmount, STRIPE_EXPONENT_OVERRIDES, toProviderAmount } from '../../src/connectors/money';

const currencies = Object.keys(CURRENCY_EXPONENTS);

describe('money', () => {
  it('uses ISO exponents for East African currencies', () => {
    expect(currencyExponent('UGX')).toBe(0);
    expect(currencyExponent('KES')).toBe(2);
    expect(currencyExponent('TZS')).toBe(2);
    expect(currencyExponent('RWF')).toBe(0);
    expect(currencyExponent('USD')).toBe(2);
  });

  it('round-trips minor units through decimal strings for every currency', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }),
        fc.constantFrom(...currencies),
        (minor, currency) => {
          const text = formatMinor(minor, currencyExponent(currency));
          expect(parseDecimalToMinor(text, currency, { allowNegative: true })).toBe(minor);
        },
      ),
    );
  });

  it('round-trips through every provider representation', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.constantFrom(...currencies),
        (minor, currency) => {
          const m = money(minor, currency);
          const major = toProviderAmount('test', m, { kind: 'major' });
          expect(fromProviderAmount('test', major, currency, { kind: 'major' })).toEqual(m);
          const stripe = toProviderAmount('test', m, {
            kind: 'minor',
            exponentOverrides: STRIPE_EXPONENT_OVERRIDES,
          });
          expect(
            fromProviderAmount('test', stripe, currency, {
              kind: 'minor',
              exponentOverrides: STRIPE_EXPONENT_OVERRIDES,
            }),
          ).toEqual(m);
        },
      ),
    );
  });

  it('sends UGX to Stripe x100 and MoMo as a whole-shilling string', () => {
    const ugx = money(50000n, 'UGX');
    expect(
      toProviderAmount('stripe', ugx, { kind: 'minor', exponentOverrides: STRIPE_EXPONENT_OVERRIDES }),
    ).toBe('5000000');
    expect(toProviderAmount('mtn', ugx, { kind: 'major' })).toBe('50000');
    expect(
      fromProviderAmount('stripe', 5000000, 'UGX', {
        kind: 'minor',
        exponentOverrides: STRIPE_EXPONENT_OVERRIDES,
      }),
    ).toEqual(ugx);
  });

  it('reads JSON numbers and strings from providers exactly', () => {
    expect(fromProviderAmount('mpesa', '10.00', 'KES', { kind: 'major' }).amountMinor).toBe(1000n);
    expect(fromProviderAmount('mpesa', 1.0, 'KES', { kind: 'major' }).amountMinor).toBe(100n);
    expect(fromProviderAmount('mtn', '5.0', 'EUR', { kind: 'major' }).amountMinor).toBe(500n);
    expect(fromProviderAmount('gocardless', '1500.0', 'GBP', { kind: 'minor' }).amountMinor).toBe(1500n);
    expect(() => fromProviderAmount('x', '10.005', 'KES', { kind: 'major' })).toThrow(/at most 2 decimal/);
    expect(() => fromProviderAmount('x', 1e21, 'KES', { kind: 'major' })).toThrow();
    expect(() => fromProviderAmount('x', null, 'KES', { kind: 'major' })).toThrow();
    expect(() => fromProviderAmount('x', '10', 'XXX', { kind: 'major' })).toThrow(
      expect.objectContaining({ code: 'CURRENCY_UNSUPPORTED' }),
    );
  });

  it('refuses fractional minor units, negatives, exponents and junk in user input', () => {
    expect(() => parseMoney('10.5', 'UGX', { allowTrailingZeros: false })).toThrow(MoneyError);
    expect(() => parseMoney('10.001', 'KES')).toThrow(/at most 2/);
    expect(() => parseMoney('-5', 'KES')).toThrow(/negative/);
    for (const bad of ['1e3', ' 10', '10 ', '1,000', '', '.5', '5.', 'NaN', 'Infinity', '0x10', '１０']) {
      expect(() => parseMoney(bad, 'KES')).toThrow(MoneyError);
    }
    expect(() => parseMoney('10', 'ZZZ')).toThrow(/Unknown currency/);
    expect(() => parseMoney('10', 'kes!')).toThrow(/ISO 4217/);
    expect(parseMoney('10.50', 'kes')).toEqual(money(1050n, 'KES'));
    expect(parseMoney('50000.00', 'UGX').amountMinor).toBe(50000n);
  });

  it('does arithmetic in bigint and refuses mixed currencies', () => {
    const a = money(1050n, 'KES');
    expect(formatMoney(addMoney(a, money(5n, 'KES')))).toBe('10.55');
    expect(formatMoney(subtractMoney(a, money(2000n, 'KES')))).toBe('-9.50');
    expect(() => addMoney(a, money(1n, 'UGX'))).toThrow(/mismatch/);
    expect(() => money(1.5, 'KES')).toThrow(MoneyError);
  });

  it('rescales only when exact', () => {
    expect(rescaleMinor(50000n, 0, 2)).toBe(5000000n);
    expect(rescaleMinor(5000000n, 2, 0)).toBe(50000n);
    expect(() => rescaleMinor(5000050n, 2, 0)).toThrow(MoneyError);
  });
});
