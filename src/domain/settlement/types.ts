/** The statement and payout files Lipa can read. Each rail exports its own shape; LIPA_CSV is the neutral one. */
export const SETTLEMENT_FORMATS = [
  'LIPA_CSV',
  'MPESA_STATEMENT_CSV',
  'MTN_MOMO_CSV',
  'AIRTEL_MONEY_CSV',
  'STRIPE_BALANCE_TRANSACTIONS',
  'GOCARDLESS_PAYOUT_ITEMS',
] as const;
export type SettlementFormat = (typeof SETTLEMENT_FORMATS)[number];

/** What a settlement line records. Amounts are magnitudes; the kind says which way the money moved. */
export const SETTLEMENT_LINE_KINDS = [
  'PAYMENT',
  'REFUND',
  'REVERSAL',
  'CHARGEBACK',
  'FEE',
  'PAYOUT',
  'ADJUSTMENT',
] as const;
export type SettlementLineKind = (typeof SETTLEMENT_LINE_KINDS)[number];

export const SETTLEMENT_LINE_STATUSES = ['COMPLETED', 'FAILED', 'PENDING'] as const;
export type SettlementLineStatus = (typeof SETTLEMENT_LINE_STATUSES)[number];

export interface ParsedSettlementLine {
  /** 1-based physical line (CSV) or 1-based item index (JSON) in the file, for error messages and audit. */
  lineNumber: number;
  kind: SettlementLineKind;
  /** The rail's id for the movement (M-Pesa receipt, MoMo financialTransactionId, Stripe source, GoCardless payment). */
  providerTransactionId: string | null;
  /** For reversals, refunds and chargebacks: the id of the original payment they undo. */
  linkedTransactionId: string | null;
  /** The payout (bank settlement) the line was paid out in, when the file says. */
  payoutReference: string | null;
  /** Magnitude in minor units of `currency`, never negative. */
  amountMinor: bigint;
  /** Fee the rail kept on this line, minor units, never negative. */
  feeMinor: bigint;
  /**
   * Signed: what the line did to the merchant's balance at the rail, fees included (positive = credited), as the file
   * states it. Amounts are magnitudes, so this is where a credit ADJUSTMENT (a dispute won back, refund funds
   * returned) or a refunded fee keeps its direction. Files without signs derive it from the kind ({@link usualNet}).
   */
  netMinor: bigint;
  /** ISO 4217, upper case. */
  currency: string;
  occurredAt: Date;
  /** The payer's account reference (loan number) when the file carries one. Never a name or phone number. */
  reference: string | null;
  status: SettlementLineStatus;
}

export interface SettlementLineIssue {
  lineNumber: number;
  message: string;
}

export type SettlementParseItem = { line: ParsedSettlementLine } | { issue: SettlementLineIssue };

/** Items in file order, a batch at a time (one per chunk read): a per-line await cost more than the parsing. */
export type SettlementParseBatch = SettlementParseItem[];

export interface SettlementParseOptions {
  /** Currency for files that do not carry one (M-Pesa statements: KES unless told otherwise). */
  currency?: string;
  /** Payout the lines belong to, for payout-item files that do not name it. */
  payoutReference?: string | null;
}

/** The file as a whole cannot be read (wrong format, missing columns, not JSON). Line problems are issues instead. */
export class SettlementParseError extends Error {
  override readonly name = 'SettlementParseError';
}
