/**
 * HTTP front of the Fineract simulator: the documented wire formats (shared/reference/lending.md A1), status codes
 * and error envelopes, over `node:http`.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MoneyError, parseDecimalToMinor } from '../../domain/money';
import { dayNumber, type Portfolio } from './portfolio';

/** Context path + API version of a real server; every route hangs below it. */
export const FINERACT_API_PREFIX = '/fineract-provider/api/v1';

const DEFAULT_LIMIT = 200;
const MAX_LIMIT = 1000;
const MAX_BODY = 64 * 1024;

/** Keys `LoanTransactionValidator.validatePaymentTransaction` accepts for a repayment. */
const REPAYMENT_KEYS = new Set([
  'transactionDate',
  'transactionAmount',
  'dateFormat',
  'locale',
  'paymentTypeId',
  'accountNumber',
  'checkNumber',
  'routingCode',
  'receiptNumber',
  'bankNumber',
  'externalId',
  'note',
  'loanId',
]);
/** Keys `validateTransaction` accepts for an adjustment/undo. */
const ADJUST_KEYS = new Set([...REPAYMENT_KEYS, 'reversalExternalId']);
const PAYMENT_DETAIL_KEYS = ['accountNumber', 'checkNumber', 'routingCode', 'receiptNumber', 'bankNumber'];

interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

interface ParameterError {
  code: string;
  message: string;
  parameterName?: string | null;
}

function envelope(
  status: number,
  code: string,
  message: string,
  errors: ParameterError[] = [],
  developerMessage?: string,
): Reply {
  return {
    status,
    body: JSON.stringify({
      developerMessage: developerMessage ?? message,
      httpStatusCode: String(status),
      defaultUserMessage: message,
      userMessageGlobalisationCode: code,
      errors: errors.map((e) => ({
        developerMessage: e.message,
        defaultUserMessage: e.message,
        userMessageGlobalisationCode: e.code,
        parameterName: e.parameterName ?? null,
        value: null,
        args: [],
      })),
    }),
  };
}

const validation = (errors: ParameterError[]) =>
  envelope(
    400,
    'validation.msg.validation.errors.exist',
    'Validation errors exist.',
    errors,
    'The request was invalid. This typically will happen due to validation errors which are provided.',
  );
const domainRule = (code: string, message: string, parameterName?: string) =>
  envelope(
    403,
    'validation.msg.domain.rule.violation',
    'Errors contain reason for domain rule violation.',
    [{ code, message, parameterName }],
    'Request was understood but caused a domain rule violation.',
  );
const notFound = (code: string, message: string) =>
  envelope(
    404,
    'error.msg.resource.not.found',
    message,
    [{ code, message }],
    'The requested resource is not available.',
  );

export interface SimulatorAuth {
  tenantId: string;
  username: string;
  password: string;
}

/** Mutable request statistics and fault injection, shared with the simulator's `state`. */
export interface SimulatorControl {
  requests: number;
  /** Loan index -> number of upcoming writes refused with the COB lock (409). */
  locks: Map<number, number>;
}

interface CachedCommand {
  status: number;
  body: string;
}

/** Builds the request handler. */
export function createFineractHandler(portfolio: Portfolio, auth: SimulatorAuth, control: SimulatorControl) {
  const expectedAuth = Buffer.from(
    `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`,
  );
  // Idempotency-Key -> completed command (Fineract >= 1.9 replays the original body with x-served-from-cache).
  const idempotency = new Map<string, CachedCommand>();

  function authenticate(req: IncomingMessage, url: URL): Reply | null {
    const tenant =
      (req.headers['fineract-platform-tenantid'] as string | undefined) ??
      url.searchParams.get('tenantIdentifier');
    if (!tenant || tenant !== auth.tenantId) {
      return envelope(
        401,
        'error.msg.invalid.tenant.identifier',
        'Invalid tenant identifier provided with request.',
      );
    }
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length !== expectedAuth.length || !timingSafeEqual(given, expectedAuth)) {
      return envelope(
        401,
        'error.msg.not.authenticated',
        'Unauthenticated. Please login.',
        [],
        'Invalid authentication details were passed in api request.',
      );
    }
    return null;
  }

  function listLoans(url: URL): Reply {
    const offset = Math.max(0, Number(url.searchParams.get('offset') ?? 0) || 0);
    const rawLimit = Number(url.searchParams.get('limit') ?? DEFAULT_LIMIT);
    const limit =
      !Number.isFinite(rawLimit) || rawLimit <= 0 ? MAX_LIMIT : Math.min(Math.floor(rawLimit), MAX_LIMIT);
    const orderBy = url.searchParams.get('orderBy');
    if (orderBy !== null && orderBy !== 'id') {
      return validation([
        {
          code: 'validation.msg.invalid.orderBy',
          message: `orderBy ${orderBy} is not supported by the simulator`,
          parameterName: 'orderBy',
        },
      ]);
    }
    const descending = (url.searchParams.get('sortOrder') ?? 'ASC').toUpperCase() === 'DESC';
    const items: string[] = [];
    const end = Math.min(portfolio.loans, offset + limit);
    for (let k = offset; k < end; k++) {
      const index = descending ? portfolio.loans - 1 - k : k;
      items.push(portfolio.loanJson(index, { single: false, schedule: false, transactions: false }));
    }
    return {
      status: 200,
      body: `{"totalFilteredRecords":${portfolio.loans},"pageItems":[${items.join(',')}]}`,
    };
  }

  function getLoan(index: number, url: URL): Reply {
    const associations = new Set(
      (url.searchParams.get('associations') ?? '').split(',').map((s) => s.trim()),
    );
    const all = associations.has('all');
    return {
      status: 200,
      body: portfolio.loanJson(index, {
        single: true,
        schedule: all || associations.has('repaymentSchedule'),
        transactions: all || associations.has('transactions'),
      }),
    };
  }

  /** Common checks of `transactionDate` + `dateFormat` + `locale`; returns the day number or a reply. */
  function readDate(body: Record<string, unknown>): number | Reply {
    const errors: ParameterError[] = [];
    if (typeof body.transactionDate !== 'string')
      errors.push({
        code: 'validation.msg.loan.transaction.transactionDate.cannot.be.blank',
        message: 'The parameter `transactionDate` is mandatory.',
        parameterName: 'transactionDate',
      });
    if (body.dateFormat !== 'yyyy-MM-dd')
      errors.push({
        code: 'validation.msg.missing.dateformat.parameter',
        message: 'The simulator reads dates with dateFormat yyyy-MM-dd only.',
        parameterName: 'dateFormat',
      });
    if (typeof body.locale !== 'string' || body.locale === '')
      errors.push({
        code: 'validation.msg.missing.locale.parameter',
        message: 'The parameter `locale` is mandatory with a date.',
        parameterName: 'locale',
      });
    if (errors.length) return validation(errors);
    const text = body.transactionDate as string;
    const day = /^\d{4}-\d{2}-\d{2}$/.test(text) ? dayNumber(text) : NaN;
    if (!Number.isFinite(day))
      return validation([
        {
          code: 'validation.msg.invalid.date.format',
          message: `transactionDate ${text} does not match yyyy-MM-dd`,
          parameterName: 'transactionDate',
        },
      ]);
    return day;
  }

  function unsupported(body: Record<string, unknown>, allowed: Set<string>): Reply | null {
    const extra = Object.keys(body).filter((k) => !allowed.has(k));
    if (!extra.length) return null;
    return validation(
      extra.map((k) => ({
        code: 'error.msg.parameter.unsupported',
        message: `The parameter ${k} is not supported.`,
        parameterName: k,
      })),
    );
  }

  function readAmount(value: unknown, allowZero: boolean): bigint | Reply {
    const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : null;
    let minor: bigint | null = null;
    try {
      if (text !== null && !/e/i.test(text)) minor = parseDecimalToMinor(text, portfolio.currency);
    } catch (err) {
      if (!(err instanceof MoneyError)) throw err;
    }
    if (minor === null)
      return validation([
        {
          code: 'validation.msg.loan.transaction.transactionAmount.is.not.a.valid.number',
          message: 'The parameter `transactionAmount` is not a valid amount.',
          parameterName: 'transactionAmount',
        },
      ]);
    if (allowZero ? minor < 0n : minor <= 0n) {
      return validation([
        {
          code: `validation.msg.loan.transaction.transactionAmount.not.${allowZero ? 'zero.or.greater' : 'greater.than.zero'}`,
          message: 'The parameter `transactionAmount` is out of range.',
          parameterName: 'transactionAmount',
        },
      ]);
    }
    return minor;
  }

  function lengthErrors(body: Record<string, unknown>): ParameterError[] {
    const errors: ParameterError[] = [];
    for (const key of PAYMENT_DETAIL_KEYS) {
      if (body[key] !== undefined && (typeof body[key] !== 'string' || (body[key] as string).length > 50)) {
        errors.push({
          code: `validation.msg.loan.transaction.${key}.exceeds.max.length`,
          message: `The parameter \`${key}\` exceeds max length of 50.`,
          parameterName: key,
        });
      }
    }
    if (body.note !== undefined && (typeof body.note !== 'string' || body.note.length > 1000))
      errors.push({
        code: 'validation.msg.loan.transaction.note.exceeds.max.length',
        message: 'The parameter `note` exceeds max length of 1000.',
        parameterName: 'note',
      });
    for (const key of ['externalId', 'reversalExternalId']) {
      if (body[key] !== undefined && (typeof body[key] !== 'string' || (body[key] as string).length > 100)) {
        errors.push({
          code: `validation.msg.loan.transaction.${key}.exceeds.max.length`,
          message: `The parameter \`${key}\` exceeds max length of 100.`,
          parameterName: key,
        });
      }
    }
    if (
      body.paymentTypeId !== undefined &&
      !(Number.isInteger(body.paymentTypeId) && (body.paymentTypeId as number) > 0)
    ) {
      errors.push({
        code: 'validation.msg.loan.transaction.paymentTypeId.not.greater.than.zero',
        message: 'The parameter `paymentTypeId` must be greater than 0.',
        parameterName: 'paymentTypeId',
      });
    }
    return errors;
  }

  function lockReply(index: number): Reply | null {
    const left = control.locks.get(index) ?? 0;
    if (left <= 0) return null;
    if (left === 1) control.locks.delete(index);
    else control.locks.set(index, left - 1);
    return envelope(409, 'error.msg.loan.locked', `Loan is locked by the COB job. Loan ID: ${index + 1}`);
  }

  function commandResult(
    index: number,
    resourceId: number,
    externalId: string | null,
    changes: Record<string, unknown>,
  ): string {
    return JSON.stringify({
      officeId: 1,
      clientId: index + 1,
      loanId: index + 1,
      resourceId,
      ...(externalId ? { resourceExternalId: externalId } : {}),
      changes,
    });
  }

  function repayment(index: number, body: Record<string, unknown>): Reply {
    const extra = unsupported(body, REPAYMENT_KEYS);
    if (extra) return extra;
    const day = readDate(body);
    if (typeof day !== 'number') return day;
    const amount = readAmount(body.transactionAmount, false);
    if (typeof amount !== 'bigint') return amount;
    const errors = lengthErrors(body);
    if (errors.length) return validation(errors);
    const locked = lockReply(index);
    if (locked) return locked;
    const view = portfolio.view(index);
    if (view.status !== 300 && view.status !== 700) {
      return domainRule(
        'error.msg.loan.repayment.or.waiver.account.is.not.active',
        `Loan ${index + 1} is not active; repayments are not allowed.`,
      );
    }
    if (day > portfolio.businessDay)
      return domainRule(
        'error.msg.loan.transaction.cannot.be.a.future.date',
        'The transaction date cannot be in the future.',
        'transactionDate',
      );
    if (day < view.terms.disbursementDay)
      return domainRule(
        'error.msg.loan.transaction.cannot.be.before.disbursement.date',
        'The transaction date cannot be before the loan disbursement date.',
        'transactionDate',
      );
    const externalId = typeof body.externalId === 'string' && body.externalId !== '' ? body.externalId : null;
    if (externalId !== null && portfolio.externalIdTaken(externalId)) {
      return validation([
        {
          code: 'validation.msg.loan.transaction.externalId.value.must.be.unique',
          message: 'Failed data validation due to: value.must.be.unique.',
          parameterName: 'externalId',
        },
      ]);
    }
    const tx = portfolio.postRepayment(index, {
      amount,
      day,
      externalId,
      paymentTypeId: typeof body.paymentTypeId === 'number' ? body.paymentTypeId : null,
      receiptNumber: typeof body.receiptNumber === 'string' ? body.receiptNumber : null,
      note: typeof body.note === 'string' ? body.note : null,
    });
    const changes: Record<string, unknown> = { ...body, transactionAmount: portfolio.amount(amount) };
    return { status: 200, body: commandResult(index, tx.id, externalId, changes) };
  }

  function undo(index: number, transactionId: number, body: Record<string, unknown>): Reply {
    const extra = unsupported(body, ADJUST_KEYS);
    if (extra) return extra;
    const day = readDate(body);
    if (typeof day !== 'number') return day;
    const amount = readAmount(body.transactionAmount, true);
    if (typeof amount !== 'bigint') return amount;
    const errors = lengthErrors(body);
    if (errors.length) return validation(errors);
    if (amount !== 0n) {
      return validation([
        {
          code: 'error.msg.simulator.adjust.not.supported',
          message: 'The simulator only undoes transactions (transactionAmount 0).',
          parameterName: 'transactionAmount',
        },
      ]);
    }
    const tx = portfolio.findById(index, transactionId);
    if (!tx)
      return notFound(
        'error.msg.loan.transaction.id.invalid',
        `Transaction with identifier ${transactionId} does not exist for loan ${index + 1}`,
      );
    const locked = lockReply(index);
    if (locked) return locked;
    if (tx.reversed)
      return domainRule(
        'error.msg.loan.transaction.is.already.reversed',
        `Transaction ${transactionId} is already reversed.`,
      );
    if (!portfolio.isApiPosting(tx)) {
      return domainRule(
        'error.msg.simulator.history.is.immutable',
        'The simulator only undoes repayments posted through the API.',
      );
    }
    if (day > portfolio.businessDay)
      return domainRule(
        'error.msg.loan.transaction.cannot.be.a.future.date',
        'The transaction date cannot be in the future.',
        'transactionDate',
      );
    portfolio.undo(tx, typeof body.reversalExternalId === 'string' ? body.reversalExternalId : null, day);
    const { reversalExternalId: _omit, ...changes } = body;
    void _omit;
    return {
      status: 200,
      body: commandResult(index, tx.id, tx.externalId, { ...changes, transactionAmount: '0' }),
    };
  }

  /** Runs a write under Fineract's idempotency rules: a completed key replays its first answer. */
  function idempotent(key: string | undefined, run: () => Reply): Reply {
    if (key) {
      const cached = idempotency.get(key);
      if (cached)
        return { status: cached.status, body: cached.body, headers: { 'x-served-from-cache': 'true' } };
    }
    const reply = run();
    // Fineract stores the result of commands that completed (success or domain refusal), not of rejected input.
    if (key && reply.status === 200) idempotency.set(key, { status: reply.status, body: reply.body });
    return reply;
  }

  function route(req: IncomingMessage, url: URL, body: Record<string, unknown> | null): Reply {
    const path = url.pathname.startsWith(FINERACT_API_PREFIX)
      ? url.pathname.slice(FINERACT_API_PREFIX.length)
      : null;
    if (path === null) return notFound('error.msg.resource.not.found', 'Unknown path');
    const method = req.method ?? 'GET';
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/loans') return listLoans(url);
    if ((m = /^\/loans\/(\d+)(\/.*)?$/.exec(path))) {
      const index = portfolio.indexOf(m[1]);
      if (index < 0)
        return notFound('error.msg.loan.id.invalid', `Loan with identifier ${m[1]} does not exist`);
      const rest = m[2] ?? '';
      if (method === 'GET' && rest === '') return getLoan(index, url);
      const byExt = /^\/transactions\/external-id\/([^/]+)$/.exec(rest);
      if (method === 'GET' && byExt) {
        const ext = decodeURIComponent(byExt[1]);
        const tx = portfolio.findByExternalId(index, ext);
        return tx
          ? { status: 200, body: portfolio.transactionJson(tx) }
          : notFound(
              'error.msg.loan.external.id.invalid',
              `Loan Transaction with external identifier ${ext} does not exist`,
            );
      }
      const byId = /^\/transactions\/(\d+)$/.exec(rest);
      if (method === 'GET' && byId) {
        const tx = portfolio.findById(index, Number(byId[1]));
        return tx
          ? { status: 200, body: portfolio.transactionJson(tx) }
          : notFound(
              'error.msg.loan.transaction.id.invalid',
              `Transaction with identifier ${byId[1]} does not exist`,
            );
      }
      if (method === 'POST' && body === null)
        return validation([
          { code: 'error.msg.invalid.request.body', message: 'The request body is not JSON.' },
        ]);
      const key = req.headers['idempotency-key'] as string | undefined;
      if (method === 'POST' && rest === '/transactions') {
        const command = url.searchParams.get('command');
        if (command !== 'repayment')
          return validation([
            {
              code: 'error.msg.command.unsupported',
              message: `Unrecognized query param command ${command}`,
              parameterName: 'command',
            },
          ]);
        return idempotent(key, () => repayment(index, body!));
      }
      if (method === 'POST' && byId) {
        // Fineract branches only on command=chargeback; any other command (undo) is an adjustment.
        if (url.searchParams.get('command') === 'chargeback')
          return validation([
            {
              code: 'error.msg.simulator.chargeback.not.supported',
              message: 'Chargebacks are not simulated.',
            },
          ]);
        return idempotent(key, () => undo(index, Number(byId[1]), body!));
      }
    }
    if ((m = /^\/clients\/(\d+)$/.exec(path)) && method === 'GET') {
      const index = portfolio.indexOf(m[1]);
      return index < 0
        ? notFound('error.msg.client.id.invalid', `Client with identifier ${m[1]} does not exist`)
        : { status: 200, body: portfolio.clientJson(index) };
    }
    return notFound('error.msg.resource.not.found', `No resource at ${method} ${path}`);
  }

  return function handle(req: IncomingMessage, res: ServerResponse): void {
    control.requests++;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      let reply: Reply;
      try {
        const url = new URL(req.url ?? '/', 'http://simulator');
        reply = authenticate(req, url) ?? { status: 0, body: '' };
        if (reply.status === 0) {
          let body: Record<string, unknown> | null = null;
          if (tooLarge)
            reply = validation([
              { code: 'error.msg.request.body.too.large', message: 'Request body too large.' },
            ]);
          else {
            if (chunks.length) {
              try {
                const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
                body =
                  parsed && typeof parsed === 'object' && !Array.isArray(parsed)
                    ? (parsed as Record<string, unknown>)
                    : null;
              } catch {
                body = null;
              }
            }
            reply = route(req, url, body);
          }
        }
      } catch (err) {
        reply = envelope(
          500,
          'error.msg.platform.server.side.error',
          `An unexpected error occured on the platform server: ${(err as Error).message}`,
        );
      }
      res.writeHead(reply.status, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(reply.body),
        ...reply.headers,
      });
      res.end(reply.body);
    });
  };
}
