/**
 * Lipa-side types of the M-Pesa Daraja connector: credentials, the callback URLs Lipa gives Safaricom, and the
 * C2B URL registration flow. Daraja's own wire shapes live in `transformers.ts` (prefixed `Mpesa…`).
 */

/** `TransactionType` of an STK push: paybill or till (buy goods). */
export type MpesaStkTransactionType = 'CustomerPayBillOnline' | 'CustomerBuyGoodsOnline';

/** Which C2B register-URL path to call; Safaricom has moved between the two (rails.md 1.2). */
export type MpesaRegisterUrlVersion = 'v1' | 'v2';

/**
 * What a user gives `registerPaymentSource` for an MPESA source (validated by `mpesaDefinition.parseCredentials`).
 * Every value is a secret or an account identifier: never logged, never echoed in errors.
 */
export interface MpesaCredentials {
  /** Daraja app consumer key (Basic-auth user of the OAuth call). */
  consumerKey: string;
  /** Daraja app consumer secret (Basic-auth password of the OAuth call). */
  consumerSecret: string;
  /** Paybill number, or the head-office/store number of a till: `BusinessShortCode`, 5–7 digits. */
  shortCode: string;
  /** Lipa na M-Pesa Online passkey; `Password = base64(shortCode + passkey + timestamp)`. */
  passkey: string;
  /**
   * Org-portal API operator: needs the "Org Reversals Initiator" role for reversals and "Transaction Status query
   * ORG API" for `queryTransactionStatus`.
   */
  initiatorName: string;
  /** The initiator's password RSA-encrypted with Safaricom's certificate, base64 (rails.md 1.1). */
  securityCredential: string;
  /** Till number for buy-goods STK pushes (`PartyB`); required when `transactionType` is `CustomerBuyGoodsOnline`. */
  tillNumber?: string;
  /** Default `CustomerPayBillOnline`. */
  transactionType?: MpesaStkTransactionType;
  /** Default `v1` (Safaricom support's latest advice; rails.md 1.2). */
  registerUrlVersion?: MpesaRegisterUrlVersion;
}

/**
 * The URLs Lipa gives Safaricom for one payment source. All point at `/hooks/:sourceId/:token`; the query string
 * tells the connector which Daraja flow is calling (Daraja's bodies alone cannot tell validation from confirmation).
 */
export interface MpesaCallbackUrls {
  /** C2B `ConfirmationURL`: completed paybill/till payments. */
  confirmationUrl: string;
  /** C2B `ValidationURL` (`?kind=validation`): only called when Safaricom enabled external validation. */
  validationUrl: string;
  /** STK push `CallBackURL` (`?kind=stk`). */
  stkCallbackUrl: string;
  /** `ResultURL` and `QueueTimeOutURL` of asynchronous APIs (reversal, transaction status), `?kind=result`. */
  resultUrl: string;
}

export interface RegisterC2bUrlsInput {
  confirmationUrl: string;
  validationUrl: string;
  /**
   * What M-Pesa does when the validation URL does not answer within about 8 s. Default `Completed` (accept the
   * payment): Lipa never rejects a payment at validation, it matches or raises a discrepancy afterwards.
   */
  responseType?: 'Completed' | 'Cancelled';
  /** The shortcode payments arrive on; defaults to `credentials.shortCode`. */
  shortCode?: string;
}

export interface RegisterC2bUrlsOutput {
  /** Daraja's `OriginatorCoversationID` (sic) of the registration, when it sent one. */
  originatorConversationId: string | null;
  /** Daraja's `ResponseDescription` ("success"). */
  description: string;
}

/** Input of `MpesaConnector.queryTransactionStatus`. */
export interface QueryTransactionStatusInput {
  /** The M-Pesa receipt to look up, e.g. `NEF61H8J60` (Daraja cannot look up by CheckoutRequestID). */
  transactionId: string;
  /** Lipa's id for this lookup, sent as `Remarks` and `Occasion` (cut to 100 characters). */
  reference: string;
  /** Where Daraja posts the Result (`MpesaCallbackUrls.resultUrl`); `kind=result` is added when missing. */
  resultUrl: string;
}

/** Daraja's synchronous acknowledgement of a Transaction Status query; the answer comes later as a Result. */
export interface QueryTransactionStatusOutput {
  /** Daraja's `ConversationID`; the Result's event id is `result:<ConversationID>`. */
  conversationId: string;
  /** Daraja's `OriginatorConversationID`; empty when Daraja omitted it. */
  originatorConversationId: string;
}
