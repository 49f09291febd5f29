import fc from 'fast-check';
import {
  CURRENCY_EXPONENTS,
  currencyExponent,
  formatMinor,
  parseDecimalToMinor,
} from '../../../src/domain/money';
import {
  accountReference,
  parseAmount,
  parseGroupedAmount,
  parseTimestamp,
} from '../../../src/domain/settlement/formats/common';

const currencies = Object.keys(CURRENCY_EXPONENTS);

/** Groups the whole part of a plain decimal by thousands ("1234567.50" -> "1,234,567.50"). */
function group(plain: string): string {
  const [whole, frac] = plain.replace('-', '').split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${plain.startsWith('-') ? '-' : ''}${grouped}${frac === undefined ? '' : `.${frac}`}`;
}

describe('settlement amounts', () => {
  it('agree with parseDecimalToMinor on every decimal string', () => {
    const decimal = fc
      .tuple(
        fc.boolean(),
        fc.stringMatching(/^\d{1,22}$/),
        fc.option(fc.stringMatching(/^\d{1,5}$/), { nil: undefined }),
      )
      .map(([neg, whole, frac]) => `${neg ? '-' : ''}${whole}${frac === undefined ? '' : `.${frac}`}`);
    fc.assert(
      fc.property(decimal, fc.constantFrom(...currencies), (text, currency) => {
        let expected: bigint | null;
        try {
          expected = parseDecimalToMinor(text, currency, { allowNegative: true });
        } catch {
          expected = null;
        }
        const r = parseAmount(text, currency);
        if (expected === null) expect(r).toEqual({ ok: false, reason: 'precision' });
        else if (expected > 2n ** 63n - 1n || expected < -(2n ** 63n - 1n))
          expect(r).toEqual({ ok: false, reason: 'range' });
        else
          expect(r).toEqual({
            ok: true,
            minor: expected < 0n ? -expected : expected,
            negative: expected < 0n,
          });
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trip minor units through plain and grouped text', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }),
        fc.constantFrom(...currencies),
        (minor, currency) => {
          const text = formatMinor(minor, currencyExponent(currency));
          const magnitude = minor < 0n ? -minor : minor;
          const expected = { ok: true, minor: magnitude, negative: minor < 0n };
          expect(parseAmount(text, currency)).toEqual(expected);
          expect(parseGroupedAmount(text, currency)).toEqual(expected);
          expect(parseGroupedAmount(group(text), currency)).toEqual(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses what is not a decimal', () => {
    for (const text of [
      '',
      '-',
      '.5',
      '5.',
      '1e3',
      '+5',
      ' 5',
      '5 ',
      '1,000',
      '0x10',
      'Infinity',
      'NaN',
      '١٢٣',
    ])
      expect(parseAmount(text, 'KES')).toEqual({ ok: false, reason: 'syntax' });
    for (const text of ['1,00', '1,0000', ',100', '100,', '1,,000', '12,34,567', '1.000,00', '--1'])
      expect(parseGroupedAmount(text, 'KES')).toEqual({ ok: false, reason: 'syntax' });
    expect(parseGroupedAmount('+1,000', 'KES')).toEqual({ ok: true, minor: 100000n, negative: false });
    expect(parseAmount('-0.00', 'KES')).toEqual({ ok: true, minor: 0n, negative: false });
  });
});

describe('settlement timestamps', () => {
  const instant = fc
    .integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2099, 11, 31) })
    .map((ms) => new Date(ms));
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  function local(d: Date, offsetMinutes: number) {
    const l = new Date(d.getTime() + offsetMinutes * 60_000);
    return {
      y: l.getUTCFullYear(),
      mo: pad(l.getUTCMonth() + 1),
      da: pad(l.getUTCDate()),
      h: pad(l.getUTCHours()),
      mi: pad(l.getUTCMinutes()),
      s: pad(l.getUTCSeconds()),
      ms: pad(l.getUTCMilliseconds(), 3),
    };
  }

  it('read ISO 8601 with any offset back to the same instant', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: -12 * 60, max: 14 * 60 }), fc.boolean(), (d, offset, colon) => {
        const l = local(d, offset);
        const sign = offset < 0 ? '-' : '+';
        const abs = Math.abs(offset);
        const off = `${sign}${pad(Math.floor(abs / 60))}${colon ? ':' : ''}${pad(abs % 60)}`;
        const text = `${l.y}-${l.mo}-${l.da}T${l.h}:${l.mi}:${l.s}.${l.ms}${off}`;
        expect(parseTimestamp(text, null)).toEqual({ ok: true, date: d });
      }),
      { numRuns: 1000 },
    );
  });

  it('read East Africa Time without an offset in every accepted layout', () => {
    fc.assert(
      fc.property(instant, (d) => {
        const whole = new Date(Math.floor(d.getTime() / 1000) * 1000);
        const l = local(whole, 180);
        for (const text of [
          `${l.y}-${l.mo}-${l.da} ${l.h}:${l.mi}:${l.s}`,
          `${l.y}-${l.mo}-${l.da}T${l.h}:${l.mi}:${l.s}`,
          `${l.da}/${l.mo}/${l.y} ${l.h}:${l.mi}:${l.s}`,
          `${l.da}-${l.mo}-${l.y} ${l.h}:${l.mi}:${l.s}`,
        ])
          expect(parseTimestamp(text, 180)).toEqual({ ok: true, date: whole });
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['2026-02-29T10:00:00Z', 'impossible'],
    ['2026-13-01T10:00:00Z', 'impossible'],
    ['2026-11-31 10:00:00', 'impossible'],
    ['2026-11-20T23:60:00Z', 'impossible'],
    ['2026-11-20T10:00:60Z', 'impossible'],
    ['2026-11-20T10:00:00+19:00', 'impossible'],
    ['29/02/2026 10:00:00', 'impossible'],
    ['20/11/2026 13:00:00 PM', 'impossible'],
    ['2026-11-20T10:00:00', 'no-offset'],
    ['2026-11-20', 'no-offset'],
    ['20261120T100000Z', 'syntax'],
    ['11/20/2026 10:00', 'impossible'],
    ['tomorrow', 'syntax'],
  ])('refuses %s (%s) when no default offset applies', (text, reason) => {
    expect(parseTimestamp(text, null)).toEqual({ ok: false, reason });
  });

  it('reads leap days, 12-hour clocks and short forms', () => {
    const at = (text: string) => {
      const r = parseTimestamp(text, 180);
      return r.ok ? r.date.toISOString() : r.reason;
    };
    expect(at('2028-02-29 00:00:00')).toBe('2028-02-28T21:00:00.000Z');
    expect(at('20/11/2026 02:03:11 PM')).toBe('2026-11-20T11:03:11.000Z');
    expect(at('20/11/2026 12:00 AM')).toBe('2026-11-19T21:00:00.000Z');
    expect(at('2026-11-20 14:03')).toBe('2026-11-20T11:03:00.000Z');
    expect(at('2026-11-20T14:03:11.123456Z')).toBe('2026-11-20T14:03:11.123Z');
    expect(at('2026-11-20T14:03:11+03')).toBe('2026-11-20T11:03:11.000Z');
  });
});

describe('account references', () => {
  it.each([
    ['LN-2024-000187', 'LN-2024-000187'],
    ['000000187', '000000187'],
    ['UNKNOWN-REF', 'UNKNOWN-REF'],
    ['0712345678', null],
    ['0712 345 678', null],
    ['+254 712 345 678', null],
    ['256772123456', null],
    ['(0772) 123-456', null],
    ['JANE DOE', null],
    ['Wanjikũ Njeri', null],
    ["O'Brien, Mary", null],
  ])('keeps %s as %s', (text, expected) => {
    expect(accountReference(text, 'reference', [])).toBe(expected);
  });
});
