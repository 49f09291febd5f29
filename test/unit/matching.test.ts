import { decideMatch, referenceKey, withinOneEdit, type LoanCandidate } from '../../src/domain/matching';

const loan = (id: string, over: Partial<LoanCandidate> = {}): LoanCandidate => ({
  loanId: id,
  borrowerId: 'b1',
  accountNumber: `ACC${id}`,
  externalReference: null,
  currency: 'UGX',
  status: 'ACTIVE',
  nextDueMinor: null,
  ...over,
});
const input = (over: Partial<Parameters<typeof decideMatch>[0]> = {}) => ({
  amountMinor: 50000n,
  currency: 'UGX',
  accountReference: null,
  requestLoan: null,
  byReference: [],
  byPhone: [],
  ...over,
});

describe('matching rules', () => {
  it('normalises references and detects single typos', () => {
    expect(referenceKey(' ln-2024 000187 ')).toBe('LN2024000187');
    expect(referenceKey('a')).toBeNull();
    expect(withinOneEdit('LN2024000187', 'LN2024000178')).toBe(true);
    expect(withinOneEdit('LN2024000187', 'LN202400018')).toBe(true);
    expect(withinOneEdit('LN2024000187', 'LN2024001177')).toBe(false);
  });

  it('prefers the account reference, then the payment request, then the phone', () => {
    expect(
      decideMatch(
        input({
          accountReference: 'ACC1',
          byReference: [loan('1')],
          requestLoan: loan('2'),
          byPhone: [loan('3')],
        }),
      ),
    ).toMatchObject({ outcome: 'MATCHED', loanId: '1', rule: 'ACCOUNT_REFERENCE' });
    expect(decideMatch(input({ requestLoan: loan('2'), byPhone: [loan('3')] }))).toMatchObject({
      outcome: 'MATCHED',
      loanId: '2',
      rule: 'PAYMENT_REQUEST',
    });
    expect(decideMatch(input({ byPhone: [loan('3')] }))).toMatchObject({
      outcome: 'MATCHED',
      loanId: '3',
      rule: 'PAYER_PHONE',
    });
  });

  it('never guesses between several candidates', () => {
    const d = decideMatch(input({ accountReference: 'X', byReference: [loan('1'), loan('2')] }));
    expect(d).toEqual({
      outcome: 'AMBIGUOUS',
      rule: 'ACCOUNT_REFERENCE',
      candidates: ['1', '2'],
      evidence: expect.any(Object),
    });
    expect(decideMatch(input({ byPhone: [loan('1'), loan('2', { borrowerId: 'b2' })] }))).toMatchObject({
      outcome: 'AMBIGUOUS',
      candidates: ['1', '2'],
    });
  });

  it('uses fuzzy rules only among the payer’s own loans', () => {
    const loans = [
      loan('1', { accountNumber: 'LN-2024-000187', nextDueMinor: 124000n }),
      loan('2', { accountNumber: 'LN-2024-000999', nextDueMinor: 50000n }),
    ];
    expect(decideMatch(input({ accountReference: 'LN2024000178', byPhone: loans }))).toMatchObject({
      outcome: 'MATCHED',
      loanId: '1',
      rule: 'FUZZY_REFERENCE',
    });
    expect(decideMatch(input({ accountReference: 'nothing-like', byPhone: loans }))).toMatchObject({
      outcome: 'MATCHED',
      loanId: '2',
      rule: 'AMOUNT_DUE',
    });
  });

  it('ignores closed loans for phone matching and reports no candidate as unmatched', () => {
    expect(decideMatch(input({ byPhone: [loan('1', { status: 'CLOSED' })] }))).toMatchObject({
      outcome: 'UNMATCHED',
    });
    expect(decideMatch(input({ accountReference: 'UNKNOWN' }))).toMatchObject({ outcome: 'UNMATCHED' });
  });
});
