/**
 * Matching a payment to a loan: pure rules, applied in order of confidence (issue: reconciliation §1). Ambiguity is
 * never guessed: more than one candidate at a rule is reported with the candidates, for a person to decide.
 */

export type MatchRule =
  'ACCOUNT_REFERENCE' | 'PAYMENT_REQUEST' | 'PAYER_PHONE' | 'AMOUNT_DUE' | 'FUZZY_REFERENCE' | 'MANUAL';

export interface LoanCandidate {
  loanId: string;
  borrowerId: string | null;
  accountNumber: string;
  externalReference: string | null;
  currency: string;
  status: string;
  /** Amount due on the next open installment (minor units), when known. */
  nextDueMinor: bigint | null;
}

export interface MatchInput {
  amountMinor: bigint;
  currency: string;
  accountReference: string | null;
  /** Loan of the open payment request this payment answers, if any. */
  requestLoan: LoanCandidate | null;
  /** Loans whose account number or reference equals the payment's reference key. */
  byReference: LoanCandidate[];
  /** Open loans of borrowers whose phone equals the payer's phone. */
  byPhone: LoanCandidate[];
}

export type MatchDecision =
  | { outcome: 'MATCHED'; loanId: string; rule: MatchRule; evidence: Record<string, unknown> }
  | { outcome: 'AMBIGUOUS'; rule: MatchRule; candidates: string[]; evidence: Record<string, unknown> }
  | { outcome: 'UNMATCHED'; evidence: Record<string, unknown> };

const OPEN = new Set(['ACTIVE', 'APPROVED', 'OVERPAID']);

/** What payers type is free text ("ln-2024 000187 "): compare upper-case letters and digits only. */
export function referenceKey(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const key = raw.toUpperCase().replace(/[^A-Z0-9]/g, '');
  return key.length >= 3 ? key : null;
}

/** True when a and b differ by at most one insertion, deletion, substitution or adjacent transposition. */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  if (a.length === b.length) {
    const diffs: number[] = [];
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diffs.push(i);
    if (diffs.length === 1) return true;
    return (
      diffs.length === 2 &&
      diffs[1] === diffs[0] + 1 &&
      a[diffs[0]] === b[diffs[1]] &&
      a[diffs[1]] === b[diffs[0]]
    );
  }
  const [s, l] = a.length < b.length ? [a, b] : [b, a];
  let i = 0;
  while (i < s.length && s[i] === l[i]) i++;
  return s.slice(i) === l.slice(i + 1);
}

const uniqueLoans = (xs: LoanCandidate[]) => [...new Map(xs.map((x) => [x.loanId, x])).values()];

export function decideMatch(input: MatchInput): MatchDecision {
  const refKey = referenceKey(input.accountReference);
  const base = { accountReference: input.accountReference, referenceKey: refKey };

  // 1. The rail's account reference (BillRefNumber, payment metadata, mandate).
  const byRef = uniqueLoans(input.byReference);
  if (byRef.length === 1)
    return {
      outcome: 'MATCHED',
      loanId: byRef[0].loanId,
      rule: 'ACCOUNT_REFERENCE',
      evidence: { ...base, accountNumber: byRef[0].accountNumber },
    };
  if (byRef.length > 1) {
    const open = byRef.filter((c) => OPEN.has(c.status));
    return {
      outcome: 'AMBIGUOUS',
      rule: 'ACCOUNT_REFERENCE',
      candidates: (open.length ? open : byRef).map((c) => c.loanId),
      evidence: base,
    };
  }

  // 2. An open payment request Lipa sent for a loan.
  if (input.requestLoan)
    return {
      outcome: 'MATCHED',
      loanId: input.requestLoan.loanId,
      rule: 'PAYMENT_REQUEST',
      evidence: { ...base, accountNumber: input.requestLoan.accountNumber },
    };

  // 3. The payer's phone belongs to one borrower with one open loan.
  const phoneLoans = uniqueLoans(input.byPhone).filter((c) => OPEN.has(c.status));
  const borrowers = new Set(phoneLoans.map((c) => c.borrowerId));
  if (phoneLoans.length === 1)
    return {
      outcome: 'MATCHED',
      loanId: phoneLoans[0].loanId,
      rule: 'PAYER_PHONE',
      evidence: { ...base, accountNumber: phoneLoans[0].accountNumber },
    };

  if (phoneLoans.length > 1) {
    // 4. Fuzzy rules, only among the payer's own loans: one typo in the reference, or the exact amount due.
    if (refKey) {
      const typo = phoneLoans.filter((c) =>
        [referenceKey(c.accountNumber), referenceKey(c.externalReference)].some(
          (k) => k !== null && withinOneEdit(k, refKey),
        ),
      );
      if (typo.length === 1)
        return {
          outcome: 'MATCHED',
          loanId: typo[0].loanId,
          rule: 'FUZZY_REFERENCE',
          evidence: { ...base, accountNumber: typo[0].accountNumber },
        };
    }
    const due = phoneLoans.filter(
      (c) => c.nextDueMinor !== null && c.nextDueMinor === input.amountMinor && c.currency === input.currency,
    );
    if (due.length === 1)
      return {
        outcome: 'MATCHED',
        loanId: due[0].loanId,
        rule: 'AMOUNT_DUE',
        evidence: {
          ...base,
          accountNumber: due[0].accountNumber,
          amountDueMinor: input.amountMinor.toString(),
        },
      };
    return {
      outcome: 'AMBIGUOUS',
      rule: 'PAYER_PHONE',
      candidates: phoneLoans.map((c) => c.loanId),
      evidence: { ...base, borrowers: borrowers.size },
    };
  }
  return { outcome: 'UNMATCHED', evidence: base };
}
