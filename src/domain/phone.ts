/**
 * Phone numbers as E.164 digits without '+' ("256772123456"). Lenders store them as free text (lending.md A1.4:
 * `0772…`, `+256772…`, `256772…`), rails send them in their own shapes; matching needs one form.
 */
const COUNTRY_PREFIX: Readonly<Record<string, string>> = { UG: '256', KE: '254', TZ: '255', RW: '250' };

export function normalizePhone(
  raw: string | null | undefined,
  defaultCountry: keyof typeof COUNTRY_PREFIX | null = null,
): string | null {
  if (!raw) return null;
  const digits = raw.replace(/[\s\-().]/g, '');
  if (!/^\+?\d{7,15}$/.test(digits)) return null;
  if (digits.startsWith('+')) return digits.slice(1);
  if (digits.startsWith('00')) return digits.slice(2);
  if (digits.startsWith('0') && defaultCountry) return COUNTRY_PREFIX[defaultCountry] + digits.slice(1);
  if (/^(256|254|255|250)\d{9}$/.test(digits)) return digits;
  if (digits.length === 9 && defaultCountry) return COUNTRY_PREFIX[defaultCountry] + digits;
  return digits;
}

/** Guesses the country of a currency, for local phone formats. */
export function countryForCurrency(currency: string): keyof typeof COUNTRY_PREFIX | null {
  return ({ UGX: 'UG', KES: 'KE', TZS: 'TZ', RWF: 'RW' } as const)[currency as 'UGX'] ?? null;
}
