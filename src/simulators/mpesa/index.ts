/**
 * A loopback M-Pesa Daraja simulator for tests and the demo: an `node:http` server on 127.0.0.1 speaking the
 * documented Daraja wire format (shared/reference/rails.md section 1, https://developer.safaricom.co.ke/apis).
 *
 * It serves OAuth, STK push (validating the Password), STK query, reversal, Transaction Status and C2B register URL,
 * and posts the documented callbacks (STK result, reversal and Transaction Status Results, C2B confirmation) back to
 * loopback URLs only, with `fetch`.
 * It keeps state in memory and never touches the network beyond 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How a simulated STK prompt ends: paid, cancelled by the payer (1032), or not enough balance (1). */
export type MpesaSimulatorOutcome = 'success' | 'cancelled' | 'insufficient';

/** What the `outcome` hook is told about an STK push. */
export interface MpesaSimulatorStkInput {
  checkoutRequestId: string;
  /** Whole shillings as sent ("500"). */
  amount: string;
  phoneNumber: string;
  accountReference: string;
  callbackUrl: string;
}

export interface MpesaSimulatorOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  consumerKey: string;
  consumerSecret: string;
  shortCode: string;
  passkey: string;
  /** Decides each STK push's result; default 'success'. */
  outcome?: (input: MpesaSimulatorStkInput) => MpesaSimulatorOutcome;
  /** Delay before an STK callback or a Result is posted (default 0). */
  callbackDelayMs?: number;
  /**
   * When set, Transaction Status queries from another initiator get the failure Result 2001 ("The initiator
   * information is invalid"), as Daraja answers a wrong initiator; unset, any non-empty initiator is accepted.
   */
  initiatorName?: string;
}

/** One request the simulator received (bodies as parsed JSON; headers are not kept). */
export interface MpesaSimulatorRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  receivedAt: Date;
}

/** One callback the simulator posted (or tried to). */
export interface MpesaSimulatorCallback {
  url: string;
  kind: 'stk' | 'reversal-result' | 'transaction-status-result' | 'c2b-confirmation';
  body: unknown;
  /** HTTP status of the receiver's reply; null when delivery failed. */
  status: number | null;
  reply: unknown;
  error?: string;
}

export interface MpesaC2bConfirmationInput {
  /** M-Pesa receipt, e.g. "RKL51ZDR4F". */
  transId: string;
  /** Whole shillings ("500"); sent as TransAmount "500.00". */
  amount: string;
  billRef: string;
  /** As Daraja sends it: masked ("2547 ***** 126"). */
  msisdn: string;
}

export interface MpesaSimulator {
  /** Base URL to give the connector (`http://127.0.0.1:<port>`). */
  url: string;
  /** Every request received, in order. */
  requests: MpesaSimulatorRequest[];
  /** Every callback posted, in order of completion. */
  callbacks: MpesaSimulatorCallback[];
  /** URLs from the last C2B register-URL call, if any. */
  registeredC2bUrls: { confirmationUrl: string; validationUrl: string; responseType: string } | null;
  /** Posts a documented C2B confirmation to `callbackUrl` (a loopback URL) and returns the receiver's reply. */
  sendC2bConfirmation(
    callbackUrl: string,
    input: MpesaC2bConfirmationInput,
  ): Promise<{ status: number; body: unknown }>;
  /** Resolves once every scheduled callback has been posted. */
  settled(): Promise<void>;
  /** Stops the server and cancels callbacks not yet posted. */
  close(): Promise<void>;
}

const EAT_OFFSET_MS = 3 * 60 * 60 * 1000;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const MAX_BODY_BYTES = 1024 * 1024;

function eatTimestamp(at = new Date()): string {
  return new Date(at.getTime() + EAT_OFFSET_MS).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function daraja400(message: string) {
  return {
    status: 400,
    body: { requestId: requestId(), errorCode: '400.002.02', errorMessage: `Bad Request - ${message}` },
  };
}

function requestId(): string {
  return `${randomBytes(2).readUInt16BE()}-${randomBytes(4).readUInt32BE()}-1`;
}

function isLoopbackUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Replaces `"@@name@@"` placeholders with raw JSON literals, so numbers are written as Daraja writes them (`500.00`). */
function withLiterals(body: unknown, literals: Record<string, string>): string {
  let text = JSON.stringify(body);
  for (const [name, literal] of Object.entries(literals)) text = text.replace(`"@@${name}@@"`, literal);
  return text;
}

interface StkRecord {
  merchantRequestId: string;
  checkoutRequestId: string;
  amount: string;
  phoneNumber: string;
  outcome: MpesaSimulatorOutcome;
  done: boolean;
}

interface Reply {
  status: number;
  body: unknown;
}

/**
 * Starts the simulator.
 * @example const sim = await startMpesaSimulator({ consumerKey: 'k', consumerSecret: 's', shortCode: '174379', passkey });
 *   const connector = mpesaDefinition.create({ baseUrl: sim.url, credentials }, runtime);
 */
export async function startMpesaSimulator(options: MpesaSimulatorOptions): Promise<MpesaSimulator> {
  const delayMs = options.callbackDelayMs ?? 0;
  const decide = options.outcome ?? (() => 'success' as const);
  const requests: MpesaSimulatorRequest[] = [];
  const callbacks: MpesaSimulatorCallback[] = [];
  const tokens = new Map<string, number>();
  const stk = new Map<string, StkRecord>();
  /** Receipts the simulator issued: whole shillings, the debit party as Daraja names it, the completion time. */
  const receipts = new Map<
    string,
    { amount: string; reversed: boolean; debitParty: string; completedAt: string }
  >();
  /** Scheduled callbacks not yet started, with the function that settles their `inflight` entry. */
  const timers = new Map<NodeJS.Timeout, () => void>();
  const inflight = new Set<Promise<void>>();
  let counter = 0;
  let closed = false;
  const state: { registeredC2bUrls: MpesaSimulator['registeredC2bUrls'] } = { registeredC2bUrls: null };

  const nextReceipt = () => `SIM${String(++counter).padStart(7, '0')}`;
  const password = (timestamp: string) =>
    Buffer.from(options.shortCode + options.passkey + timestamp).toString('base64');

  async function post(
    url: string,
    kind: MpesaSimulatorCallback['kind'],
    text: string,
  ): Promise<{ status: number; body: unknown }> {
    const record: MpesaSimulatorCallback = {
      url,
      kind,
      body: JSON.parse(text),
      status: null,
      reply: undefined,
    };
    try {
      if (!isLoopbackUrl(url)) throw new Error('the simulator posts callbacks to loopback URLs only');
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: text,
        signal: AbortSignal.timeout(10_000),
      });
      const replyText = await res.text();
      record.status = res.status;
      try {
        record.reply = replyText.length > 0 ? JSON.parse(replyText) : undefined;
      } catch {
        record.reply = replyText;
      }
      return { status: res.status, body: record.reply };
    } catch (err) {
      record.error = (err as Error).message;
      throw err;
    } finally {
      callbacks.push(record);
    }
  }

  /** Posts after the configured delay; tracked so `settled()` and `close()` know about it. */
  function schedule(url: string, kind: MpesaSimulatorCallback['kind'], text: () => string): void {
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    inflight.add(done);
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (closed) return finish();
      post(url, kind, text()).then(finish, finish);
    }, delayMs);
    timers.set(timer, finish);
    function finish() {
      inflight.delete(done);
      release();
    }
  }

  function issueToken(req: IncomingMessage, query: Record<string, string>): Reply {
    if (query.grant_type !== 'client_credentials') {
      return {
        status: 400,
        body: { requestId: requestId(), errorCode: '400.008.02', errorMessage: 'Invalid grant type passed' },
      };
    }
    const expected = `Basic ${Buffer.from(`${options.consumerKey}:${options.consumerSecret}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      return {
        status: 400,
        body: {
          requestId: requestId(),
          errorCode: '400.008.01',
          errorMessage: 'Invalid Authentication passed',
        },
      };
    }
    const token = randomBytes(21).toString('base64url');
    tokens.set(token, Date.now() + 3599 * 1000);
    // Older Daraja samples send expires_in as a string; the simulator does too, so clients must parse both.
    return { status: 200, body: { access_token: token, expires_in: '3599' } };
  }

  function authorized(req: IncomingMessage): boolean {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const expiry = match ? tokens.get(match[1]) : undefined;
    return expiry !== undefined && expiry > Date.now();
  }

  function stkPush(body: Record<string, unknown>): Reply {
    const shortCode = String(body.BusinessShortCode ?? '');
    const timestamp = String(body.Timestamp ?? '');
    if (shortCode !== options.shortCode) return daraja400('Invalid BusinessShortCode');
    if (!/^\d{14}$/.test(timestamp)) return daraja400('Invalid Timestamp');
    if (body.Password !== password(timestamp)) return daraja400('Invalid Password');
    if (body.TransactionType !== 'CustomerPayBillOnline' && body.TransactionType !== 'CustomerBuyGoodsOnline')
      return daraja400('Invalid TransactionType');
    const amount = String(body.Amount ?? '');
    if (!/^[1-9]\d*$/.test(amount)) return daraja400('Invalid Amount');
    const phone = String(body.PhoneNumber ?? '');
    if (!/^\d{9,15}$/.test(phone) || !/^\d{9,15}$/.test(String(body.PartyA ?? '')))
      return daraja400('Invalid PhoneNumber');
    if (!isHttpUrl(body.CallBackURL)) return daraja400('Invalid CallBackURL');
    const reference = String(body.AccountReference ?? '');
    if (reference.length === 0 || reference.length > 12) return daraja400('Invalid AccountReference');
    if (String(body.TransactionDesc ?? '').length > 13) return daraja400('Invalid TransactionDesc');

    const n = ++counter;
    const record: StkRecord = {
      merchantRequestId: `${29115 + n}-${34620561 + n}-1`,
      checkoutRequestId: `ws_CO_${eatTimestamp()}${String(n).padStart(6, '0')}`,
      amount,
      phoneNumber: phone,
      outcome: 'success',
      done: false,
    };
    record.outcome = decide({
      checkoutRequestId: record.checkoutRequestId,
      amount,
      phoneNumber: phone,
      accountReference: reference,
      callbackUrl: body.CallBackURL,
    });
    stk.set(record.checkoutRequestId, record);
    schedule(body.CallBackURL, 'stk', () => stkCallbackText(record));
    return {
      status: 200,
      body: {
        MerchantRequestID: record.merchantRequestId,
        CheckoutRequestID: record.checkoutRequestId,
        ResponseCode: '0',
        ResponseDescription: 'Success. Request accepted for processing',
        CustomerMessage: 'Success. Request accepted for processing',
      },
    };
  }

  /** The documented STK callback (MpesaExpressSimulate): metadata only on success, numbers as Daraja writes them. */
  function stkCallbackText(record: StkRecord): string {
    record.done = true;
    const head = { MerchantRequestID: record.merchantRequestId, CheckoutRequestID: record.checkoutRequestId };
    if (record.outcome !== 'success') {
      const [code, desc] =
        record.outcome === 'cancelled'
          ? [1032, 'Request cancelled by user']
          : [1, 'The balance is insufficient for the transaction'];
      return JSON.stringify({ Body: { stkCallback: { ...head, ResultCode: code, ResultDesc: desc } } });
    }
    const receipt = nextReceipt();
    const completedAt = eatTimestamp();
    receipts.set(receipt, {
      amount: record.amount,
      reversed: false,
      debitParty: `${record.phoneNumber} - SIMULATED PAYER`,
      completedAt,
    });
    const body = {
      Body: {
        stkCallback: {
          ...head,
          ResultCode: 0,
          ResultDesc: 'The service request is processed successfully.',
          CallbackMetadata: {
            Item: [
              { Name: 'Amount', Value: '@@amount@@' },
              { Name: 'MpesaReceiptNumber', Value: receipt },
              { Name: 'Balance' },
              { Name: 'TransactionDate', Value: '@@date@@' },
              { Name: 'PhoneNumber', Value: '@@phone@@' },
            ],
          },
        },
      },
    };
    return withLiterals(body, {
      amount: `${record.amount}.00`,
      date: completedAt,
      phone: record.phoneNumber,
    });
  }

  function stkQuery(body: Record<string, unknown>): Reply {
    const timestamp = String(body.Timestamp ?? '');
    if (String(body.BusinessShortCode ?? '') !== options.shortCode)
      return daraja400('Invalid BusinessShortCode');
    if (body.Password !== password(timestamp)) return daraja400('Invalid Password');
    const record = stk.get(String(body.CheckoutRequestID ?? ''));
    if (!record) return daraja400('Invalid CheckoutRequestID');
    if (!record.done)
      return {
        status: 500,
        body: {
          requestId: requestId(),
          errorCode: '500.001.1001',
          errorMessage: 'The transaction is being processed',
        },
      };
    const [code, desc] =
      record.outcome === 'success'
        ? ['0', 'The service request is processed successfully.']
        : record.outcome === 'cancelled'
          ? ['1032', 'Request cancelled by user']
          : ['1', 'The balance is insufficient for the transaction'];
    // As documented: ResultCode is a string here, and there is no receipt.
    return {
      status: 200,
      body: {
        ResponseCode: '0',
        ResponseDescription: 'The service request has been accepted successfully',
        MerchantRequestID: record.merchantRequestId,
        CheckoutRequestID: record.checkoutRequestId,
        ResultCode: code,
        ResultDesc: desc,
      },
    };
  }

  function reversal(body: Record<string, unknown>): Reply {
    if (typeof body.Initiator !== 'string' || body.Initiator.length === 0)
      return daraja400('Invalid Initiator');
    if (typeof body.SecurityCredential !== 'string' || body.SecurityCredential.length === 0)
      return daraja400('Invalid SecurityCredential');
    if (body.CommandID !== 'TransactionReversal') return daraja400('Invalid CommandID');
    if (String(body.RecieverIdentifierType ?? '') !== '11')
      return daraja400('Invalid RecieverIdentifierType');
    const remarks = String(body.Remarks ?? '');
    if (remarks.length < 2 || remarks.length > 100) return daraja400('Invalid Remarks');
    if (!/^[1-9]\d*$/.test(String(body.Amount ?? ''))) return daraja400('Invalid Amount');
    if (!isHttpUrl(body.ResultURL) || !isHttpUrl(body.QueueTimeOutURL)) return daraja400('Invalid ResultURL');
    const transactionId = String(body.TransactionID ?? '');
    const n = ++counter;
    const conversationId = `AG_${eatTimestamp().slice(0, 8)}_${randomBytes(10).toString('hex')}`;
    const originatorConversationId = `${randomBytes(2).toString('hex')}-${randomBytes(2).toString('hex')}-${n}`;
    schedule(body.ResultURL, 'reversal-result', () =>
      reversalResultText(transactionId, conversationId, originatorConversationId),
    );
    return {
      status: 200,
      body: {
        OriginatorConversationID: originatorConversationId,
        ConversationID: conversationId,
        ResponseCode: '0',
        ResponseDescription: 'Accept the service request successfully.',
      },
    };
  }

  /** The documented reversal Result: numbers on success; a string code and no parameters on failure. */
  function reversalResultText(
    transactionId: string,
    conversationId: string,
    originatorConversationId: string,
  ): string {
    const receipt = receipts.get(transactionId);
    const head = {
      ResultType: 0,
      OriginatorConversationID: originatorConversationId,
      ConversationID: conversationId,
      TransactionID: nextReceipt(),
    };
    const queueTimeout = {
      ReferenceItem: {
        Key: 'QueueTimeoutURL',
        Value: 'https://internalsandbox.safaricom.co.ke/mpesa/reversalresults/v1/submit',
      },
    };
    if (!receipt || receipt.reversed) {
      const [code, desc] = receipt
        ? ['R000001', 'The transaction has already been reversed.']
        : ['R000002', 'The OriginalTransactionID is invalid.'];
      return JSON.stringify({
        Result: { ...head, ResultCode: code, ResultDesc: desc, ReferenceData: queueTimeout },
      });
    }
    receipt.reversed = true;
    const body = {
      Result: {
        ...head,
        ResultCode: 0,
        ResultDesc: 'The service request is processed successfully.',
        ResultParameters: {
          ResultParameter: [
            { Key: 'Amount', Value: '@@amount@@' },
            { Key: 'TransCompletedTime', Value: '@@time@@' },
            { Key: 'OriginalTransactionID', Value: transactionId },
            { Key: 'Charge', Value: '@@charge@@' },
          ],
        },
        ReferenceData: queueTimeout,
      },
    };
    return withLiterals(body, { amount: `${receipt.amount}.00`, time: eatTimestamp(), charge: '0.00' });
  }

  function transactionStatus(body: Record<string, unknown>): Reply {
    if (typeof body.Initiator !== 'string' || body.Initiator.length === 0)
      return daraja400('Invalid Initiator');
    if (typeof body.SecurityCredential !== 'string' || body.SecurityCredential.length === 0)
      return daraja400('Invalid SecurityCredential');
    if (body.CommandID !== 'TransactionStatusQuery') return daraja400('Invalid CommandID');
    const transactionId = String(body.TransactionID ?? '');
    if (!/^[A-Za-z0-9]{1,32}$/.test(transactionId)) return daraja400('Invalid TransactionID');
    if (String(body.PartyA ?? '') !== options.shortCode) return daraja400('Invalid PartyA');
    if (String(body.IdentifierType ?? '') !== '4') return daraja400('Invalid IdentifierType');
    const remarks = String(body.Remarks ?? '');
    if (remarks.length < 2 || remarks.length > 100) return daraja400('Invalid Remarks');
    if (String(body.Occasion ?? '').length > 100) return daraja400('Invalid Occasion');
    if (!isHttpUrl(body.ResultURL) || !isHttpUrl(body.QueueTimeOutURL)) return daraja400('Invalid ResultURL');
    const n = ++counter;
    const conversationId = `AG_${eatTimestamp().slice(0, 8)}_${randomBytes(10).toString('hex')}`;
    const originatorConversationId = `${randomBytes(2).readUInt16BE()}-${randomBytes(3).readUIntBE(0, 3)}-${n}`;
    const initiatorOk = options.initiatorName === undefined || body.Initiator === options.initiatorName;
    schedule(body.ResultURL, 'transaction-status-result', () =>
      transactionStatusResultText(transactionId, conversationId, originatorConversationId, initiatorOk),
    );
    return {
      status: 200,
      body: {
        OriginatorConversationID: originatorConversationId,
        ConversationID: conversationId,
        ResponseCode: '0',
        ResponseDescription: 'Accept the service request successfully.',
      },
    };
  }

  /**
   * The documented Transaction Status Result (TransactionStatus docs): for a receipt the simulator issued, a
   * completed transaction with its parameters (amount as the documented string, times in EAT, the payer as debit
   * party); otherwise a failure with no parameters. Daraja's code for an unknown receipt is not documented; the
   * simulator answers "R000002" (invalid transaction id), and 2001 for a wrong initiator. The `Occasion`
   * ReferenceItem is echoed as in the docs sample.
   */
  function transactionStatusResultText(
    transactionId: string,
    conversationId: string,
    originatorConversationId: string,
    initiatorOk: boolean,
  ): string {
    const receipt = receipts.get(transactionId);
    const head = {
      ConversationID: conversationId,
      OriginatorConversationID: originatorConversationId,
      ReferenceData: { ReferenceItem: { Key: 'Occasion' } },
      ResultType: 0,
      TransactionID: nextReceipt(),
    };
    if (!initiatorOk || !receipt) {
      const [code, desc] = !initiatorOk
        ? [2001, 'The initiator information is invalid.']
        : ['R000002', 'The transaction receipt number is invalid.'];
      return JSON.stringify({ Result: { ...head, ResultCode: code, ResultDesc: desc } });
    }
    return JSON.stringify({
      Result: {
        ...head,
        ResultCode: 0,
        ResultDesc: 'The service request is processed successfully.',
        ResultParameters: {
          ResultParameter: [
            { Key: 'DebitPartyName', Value: receipt.debitParty },
            { Key: 'CreditPartyName', Value: `${options.shortCode} - Simulated Paybill` },
            { Key: 'OriginatorConversationID', Value: originatorConversationId },
            { Key: 'InitiatedTime', Value: receipt.completedAt },
            { Key: 'DebitAccountType', Value: 'MMF Account For Customer' },
            { Key: 'DebitPartyCharges' },
            { Key: 'TransactionReason' },
            { Key: 'ReasonType', Value: 'Pay Bill Online' },
            { Key: 'TransactionStatus', Value: 'Completed' },
            { Key: 'FinalisedTime', Value: receipt.completedAt },
            { Key: 'Amount', Value: receipt.amount },
            { Key: 'ConversationID', Value: `AG_${receipt.completedAt.slice(0, 8)}_${transactionId}` },
            { Key: 'ReceiptNo', Value: transactionId },
          ],
        },
      },
    });
  }

  function registerUrl(body: Record<string, unknown>): Reply {
    if (String(body.ShortCode ?? '') !== options.shortCode) return daraja400('Invalid ShortCode');
    if (body.ResponseType !== 'Completed' && body.ResponseType !== 'Cancelled')
      return daraja400('Invalid ResponseType');
    if (!isHttpUrl(body.ConfirmationURL) || !isHttpUrl(body.ValidationURL)) return daraja400('Invalid URL');
    state.registeredC2bUrls = {
      confirmationUrl: body.ConfirmationURL,
      validationUrl: body.ValidationURL,
      responseType: body.ResponseType,
    };
    // OriginatorCoversationID is misspelled in Daraja's real reply, so it is here too.
    return {
      status: 200,
      body: {
        OriginatorCoversationID: `${7619 + counter}-${37765134 + counter}-1`,
        ResponseCode: '0',
        ResponseDescription: 'success',
      },
    };
  }

  function route(
    req: IncomingMessage,
    pathname: string,
    query: Record<string, string>,
    body: unknown,
  ): Reply {
    if (req.method === 'GET' && pathname === '/oauth/v1/generate') return issueToken(req, query);
    if (req.method !== 'POST')
      return {
        status: 404,
        body: { requestId: requestId(), errorCode: '404.001.01', errorMessage: 'Resource not found' },
      };
    const known = [
      '/mpesa/stkpush/v1/processrequest',
      '/mpesa/stkpushquery/v1/query',
      '/mpesa/reversal/v1/request',
      '/mpesa/transactionstatus/v1/query',
      '/mpesa/c2b/v1/registerurl',
      '/mpesa/c2b/v2/registerurl',
    ];
    if (!known.includes(pathname))
      return {
        status: 404,
        body: { requestId: requestId(), errorCode: '404.001.01', errorMessage: 'Resource not found' },
      };
    if (!authorized(req))
      return {
        status: 401,
        body: { requestId: requestId(), errorCode: '404.001.03', errorMessage: 'Invalid Access Token' },
      };
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return {
        status: 400,
        body: { requestId: requestId(), errorCode: '400.002.05', errorMessage: 'Invalid Request Payload' },
      };
    }
    const fields = body as Record<string, unknown>;
    switch (pathname) {
      case '/mpesa/stkpush/v1/processrequest':
        return stkPush(fields);
      case '/mpesa/stkpushquery/v1/query':
        return stkQuery(fields);
      case '/mpesa/reversal/v1/request':
        return reversal(fields);
      case '/mpesa/transactionstatus/v1/query':
        return transactionStatus(fields);
      default:
        return registerUrl(fields);
    }
  }

  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const query = Object.fromEntries(url.searchParams.entries());
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      let reply: Reply;
      try {
        body = text.length > 0 ? JSON.parse(text) : undefined;
        requests.push({
          method: req.method ?? 'GET',
          path: url.pathname,
          query,
          body,
          receivedAt: new Date(),
        });
        reply =
          size > MAX_BODY_BYTES
            ? { status: 413, body: { errorCode: '400.002.05', errorMessage: 'Payload too large' } }
            : route(req, url.pathname, query, body);
      } catch {
        requests.push({
          method: req.method ?? 'GET',
          path: url.pathname,
          query,
          body: text,
          receivedAt: new Date(),
        });
        reply = {
          status: 400,
          body: { requestId: requestId(), errorCode: '400.002.05', errorMessage: 'Invalid Request Payload' },
        };
      }
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    callbacks,
    get registeredC2bUrls() {
      return state.registeredC2bUrls;
    },
    async sendC2bConfirmation(callbackUrl, input) {
      receipts.set(input.transId, {
        amount: input.amount,
        reversed: false,
        debitParty: `${input.msisdn} - SIMULATED PAYER`,
        completedAt: eatTimestamp(),
      });
      const body = {
        TransactionType: 'Pay Bill',
        TransID: input.transId,
        TransTime: eatTimestamp(),
        TransAmount: input.amount.includes('.') ? input.amount : `${input.amount}.00`,
        BusinessShortCode: options.shortCode,
        BillRefNumber: input.billRef,
        InvoiceNumber: '',
        OrgAccountBalance: '',
        ThirdPartyTransID: '',
        MSISDN: input.msisdn,
        FirstName: '',
        MiddleName: '',
        LastName: '',
      };
      return post(callbackUrl, 'c2b-confirmation', JSON.stringify(body));
    },
    async settled() {
      while (inflight.size > 0) await Promise.all([...inflight]);
    },
    async close() {
      closed = true;
      for (const [timer, finish] of timers) {
        clearTimeout(timer);
        finish();
      }
      timers.clear();
      await Promise.all([...inflight]).catch(() => undefined);
      inflight.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
