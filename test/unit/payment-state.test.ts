import { PAYMENT_STATUSES } from '../../src/domain/enums';
import { transition } from '../../src/domain/payment-state';

describe('payment state machine', () => {
  it('allows the documented transitions', () => {
    expect(transition('PENDING', 'SUCCEEDED')).toEqual({ ok: true, changed: true, to: 'SUCCEEDED' });
    expect(transition('PENDING', 'FAILED')).toEqual({ ok: true, changed: true, to: 'FAILED' });
    for (const to of ['REVERSED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'CHARGED_BACK'] as const) {
      expect(transition('SUCCEEDED', to).ok).toBe(true);
    }
    expect(transition('PARTIALLY_REFUNDED', 'REFUNDED').ok).toBe(true);
  });

  it('treats a repeat of the same state as a harmless no-op', () => {
    for (const s of PAYMENT_STATUSES.filter((s) => s !== 'PARTIALLY_REFUNDED')) {
      expect(transition(s, s)).toEqual({ ok: true, changed: false, to: s });
    }
  });

  it('refuses events that do not fit (success after failure, reversal before success)', () => {
    expect(transition('FAILED', 'SUCCEEDED')).toMatchObject({ ok: false });
    expect(transition('PENDING', 'REVERSED')).toMatchObject({ ok: false });
    expect(transition('REVERSED', 'SUCCEEDED')).toMatchObject({ ok: false });
    expect(transition('SUCCEEDED', 'PENDING')).toMatchObject({ ok: false });
    expect(transition('SUCCEEDED', 'FAILED')).toMatchObject({ ok: false });
  });
});
