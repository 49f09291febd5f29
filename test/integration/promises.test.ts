import { ConnectorRegistry } from '../../src/connectors/registry';
import { addDays, localDate } from '../../src/domain/calendar';
import { AuditLog } from '../../src/entities/audit-log.entity';
import { InboundEvent } from '../../src/entities/inbound-event.entity';
import { OutboxEvent } from '../../src/entities/outbox-event.entity';
import { Payment } from '../../src/entities/payment.entity';
import { PromiseToPay, PromiseToPayMatch } from '../../src/entities/promise-to-pay.entity';
import { applyPaymentToPromises, sweepPromises } from '../../src/services/promises';
import { scopedFork } from '../../src/services/scope';
import { seedLoanWithPayment } from '../factories';
import { startTestHub, type TestHub } from '../helpers/hub';
import { stubRailDefinition } from '../helpers/stub-rail';

/**
 * Promises to pay over the real ingest, matching and reversal paths (PostgreSQL and Redis, no workers: each
 * callback is processed and matched in the test, in the order the workers would). Organizations use the default
 * time zone, Africa/Nairobi. A promise's window "closing" is simulated by moving its dates back, or by sweeping
 * with a later clock.
 */
describe('promises to pay', () => {
  const TZ = 'Africa/Nairobi';
  let hub: TestHub;
  let org: { orgId: string; adminKey: string };
  let other: { orgId: string; adminKey: string };
  let hookUrl: string;
  let loanCount = 0;
  let eventCount = 0;

  const em = () => scopedFork(hub.runtime.orm.em, org.orgId);
  const today = () => localDate(new Date(), TZ);
  const promise = (id: string) => em().findOneOrFail(PromiseToPay, { id });
  const events = (promiseId: string, type?: string) =>
    em().find(OutboxEvent, type ? { aggregateId: promiseId, type } : { aggregateId: promiseId }, {
      orderBy: { id: 'asc' },
    });

  /** A fresh UGX (or other currency) loan with a unique account number. */
  async function newLoan(
    currency = 'UGX',
    orgId = org.orgId,
  ): Promise<{ id: string; accountNumber: string }> {
    const accountNumber = `PTP-${String(++loanCount).padStart(4, '0')}`;
    const { loan } = await seedLoanWithPayment(hub.runtime.orm, orgId, { accountNumber, currency });
    return { id: loan.id, accountNumber };
  }

  /** Stores and processes one stub-rail callback, as the inbound-events worker would. */
  async function deliver(body: Record<string, unknown>): Promise<void> {
    const res = await fetch(hookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    const event = await em().findOneOrFail(InboundEvent, { providerEventId: body.id as string });
    await hub.runtime.services.paymentEvents.processInboundEvent(org.orgId, event.id, { finalAttempt: true });
  }

  /** A succeeded payment at the rail, referencing `account`, then matched as the posting worker would. */
  async function pay(
    account: string,
    amount: string,
    opts: { currency?: string; at?: Date } = {},
  ): Promise<Payment> {
    const txId = `PTP-TX-${++eventCount}`;
    await deliver({
      id: `cb-${eventCount}`,
      txId,
      status: 'SUCCEEDED',
      amount,
      currency: opts.currency ?? 'UGX',
      account,
      occurredAt: (opts.at ?? new Date()).toISOString(),
    });
    const payment = await em().findOneOrFail(Payment, { providerTransactionId: txId });
    expect(await hub.runtime.services.matching.matchPayment(org.orgId, payment.id)).toBe(true);
    return payment;
  }

  /** The rail reverses (part of) a payment. */
  async function reverse(payment: Payment, amount: string): Promise<void> {
    await deliver({
      id: `cb-${++eventCount}`,
      type: 'reversal',
      reversalId: `RV-${eventCount}`,
      txId: payment.providerTransactionId,
      status: 'SUCCEEDED',
      amount,
      currency: payment.currency,
    });
  }

  const RECORD = `mutation($i: RecordPromiseToPayInput!) {
    recordPromiseToPay(input: $i) {
      id loanAccountId status promisedDate graceDays thresholdPct createdBy createdAt evaluatedAt
      amount { amountMinor amount currency } required { amountMinor amount currency } paid { amountMinor }
    }
  }`;

  const record = (
    input: Record<string, unknown>,
    key: string | null = org.adminKey,
    headers: Record<string, string> = {},
  ) => hub.gql(RECORD, { i: input }, key, headers);

  /** Records a promise through the API and returns its id. */
  async function promiseOn(
    loanId: string,
    amount: string,
    extra: Record<string, unknown> = {},
  ): Promise<string> {
    const res = await record({
      loanAccountId: loanId,
      amount: { amount, currency: 'UGX' },
      promisedDate: addDays(today(), 3),
      ...extra,
    });
    expect(res.body.errors).toBeUndefined();
    return res.body.data.recordPromiseToPay.id;
  }

  /** Moves a promise's dates back by `days`, as if it had been made that long ago. */
  async function age(promiseId: string, days: number): Promise<void> {
    await hub.runtime.orm.em
      .getConnection()
      .execute(
        `update promise_to_pay set created_at = created_at - (? || ' days')::interval, promised_date = promised_date - ?::int where id = ?`,
        [String(days), days, promiseId],
      );
  }

  beforeAll(async () => {
    hub = await startTestHub({
      registry: new ConnectorRegistry().registerRail(stubRailDefinition('STRIPE')),
    });
    org = await hub.createOrg();
    other = await hub.createOrg();
    const ps = await hub.gql(
      'mutation($i: RegisterPaymentSourceInput!) { registerPaymentSource(input: $i) { callbackUrl } }',
      { i: { kind: 'STRIPE', name: 'Rail', credentials: {} } },
      org.adminKey,
    );
    hookUrl = (ps.body.data.registerPaymentSource.callbackUrl as string).replace(
      'http://127.0.0.1:4000',
      hub.url,
    );
  }, 60_000);
  afterAll(async () => hub.close());

  describe('recording', () => {
    it('records an open promise with its terms, who made it, and an audit entry', async () => {
      const loan = await newLoan();
      const promisedDate = addDays(today(), 7);
      const res = await record({
        loanAccountId: loan.id,
        amount: { amount: '150000', currency: 'UGX' },
        promisedDate,
        graceDays: 2,
        thresholdPct: 90,
        note: 'Will pay after harvest sale',
      });
      expect(res.body.errors).toBeUndefined();
      const me = await hub.gql('{ me { actorId } }', {}, org.adminKey);
      const p = res.body.data.recordPromiseToPay;
      expect(p).toEqual({
        id: expect.stringMatching(/^ptp_/),
        loanAccountId: loan.id,
        status: 'OPEN',
        promisedDate,
        graceDays: 2,
        thresholdPct: 90,
        createdBy: me.body.data.me.actorId,
        createdAt: expect.any(String),
        evaluatedAt: null,
        amount: { amountMinor: '150000', amount: '150000', currency: 'UGX' },
        required: { amountMinor: '135000', amount: '135000', currency: 'UGX' },
        paid: { amountMinor: '0' },
      });
      const entries = await em().find(AuditLog, { entityId: p.id });
      expect(entries).toHaveLength(1);
      expect(entries[0].action).toBe('promise_to_pay.recorded');
      expect(entries[0].data).toMatchObject({
        loanAccountId: loan.id,
        amountMinor: '150000',
        currency: 'UGX',
        promisedDate,
        graceDays: 2,
        thresholdPct: 90,
        note: 'Will pay after harvest sale',
      });
    });

    it('defaults to no grace and a 100% threshold', async () => {
      const loan = await newLoan();
      const res = await record({
        loanAccountId: loan.id,
        amount: { amount: '1000', currency: 'UGX' },
        promisedDate: today(),
      });
      expect(res.body.data.recordPromiseToPay).toMatchObject({
        graceDays: 0,
        thresholdPct: 100,
        required: { amountMinor: '1000' },
      });
    });

    it('supersedes the open promise on the same loan, and only that loan', async () => {
      const loan = await newLoan();
      const neighbour = await newLoan();
      const first = await promiseOn(loan.id, '50000');
      const untouched = await promiseOn(neighbour.id, '50000');
      const second = await promiseOn(loan.id, '40000', { promisedDate: addDays(today(), 10) });
      expect((await promise(first)).status).toBe('CANCELLED');
      expect((await promise(second)).status).toBe('OPEN');
      expect((await promise(untouched)).status).toBe('OPEN');
      const audit = await em().find(AuditLog, { entityId: first, action: 'promise_to_pay.cancelled' });
      expect(audit.map((a) => a.data)).toEqual([{ supersededBy: second }]);

      // A payment now counts toward the current promise only.
      await pay(loan.accountNumber, '40000');
      expect((await promise(first)).paidMinor).toBe(0n);
      expect(await promise(second)).toMatchObject({ status: 'KEPT', paidMinor: 40000n });
    });

    it('replays the first result for the same Idempotency-Key instead of superseding it', async () => {
      const loan = await newLoan();
      const input = {
        loanAccountId: loan.id,
        amount: { amount: '7000', currency: 'UGX' },
        promisedDate: today(),
      };
      const headers = { 'idempotency-key': `ptp-${loan.id}` };
      const a = await record(input, org.adminKey, headers);
      const b = await record(input, org.adminKey, headers);
      expect(b.body.data.recordPromiseToPay.id).toBe(a.body.data.recordPromiseToPay.id);
      expect(await em().count(PromiseToPay, { loanAccount: loan.id })).toBe(1);
      expect((await promise(a.body.data.recordPromiseToPay.id)).status).toBe('OPEN');
    });
  });

  describe('refuses bad input and stores nothing', () => {
    let ugx: { id: string; accountNumber: string };
    let kes: { id: string; accountNumber: string };
    beforeAll(async () => {
      ugx = await newLoan('UGX');
      kes = await newLoan('KES');
    });

    const cases: Array<[string, () => Record<string, unknown>, RegExp]> = [
      ['a negative amount', () => ({ amount: { amount: '-5000', currency: 'UGX' } }), /positive decimal/],
      ['a zero amount', () => ({ amount: { amount: '0', currency: 'UGX' } }), /greater than zero/],
      ['an absurd amount', () => ({ amount: { amount: '9'.repeat(30), currency: 'UGX' } }), /at most/],
      ['an exponent', () => ({ amount: { amount: '1e6', currency: 'UGX' } }), /positive decimal/],
      ['a float in disguise', () => ({ amount: { amount: '1,000', currency: 'UGX' } }), /positive decimal/],
      [
        'decimals on UGX',
        () => ({ amount: { amount: '1000.5', currency: 'UGX' } }),
        /UGX amounts have at most 0 decimal places/,
      ],
      [
        'three decimals on KES',
        () => ({ loanAccountId: kes.id, amount: { amount: '1.234', currency: 'KES' } }),
        /KES amounts have at most 2 decimal places/,
      ],
      [
        'another currency than the loan',
        () => ({ amount: { amount: '5000', currency: 'KES' } }),
        /The loan is in UGX/,
      ],
      ['an unknown currency', () => ({ amount: { amount: '5000', currency: 'XQZ' } }), /Unknown currency/],
      ['a date in the past', () => ({ promisedDate: addDays(today(), -1) }), /is in the past/],
      ['a date 91 days ahead', () => ({ promisedDate: addDays(today(), 91) }), /at most 90 days ahead/],
      ['an absurd date', () => ({ promisedDate: '9999-12-31' }), /at most 90 days ahead/],
      ['a date that does not exist', () => ({ promisedDate: '2026-02-30' }), /Date/],
      ['not a date', () => ({ promisedDate: 'tomorrow' }), /Date/],
      ['thresholdPct 0', () => ({ thresholdPct: 0 }), /thresholdPct must be a whole number from 1 to 100/],
      [
        'thresholdPct 101',
        () => ({ thresholdPct: 101 }),
        /thresholdPct must be a whole number from 1 to 100/,
      ],
      ['graceDays -1', () => ({ graceDays: -1 }), /graceDays must be a whole number from 0 to 30/],
      ['graceDays 31', () => ({ graceDays: 31 }), /graceDays must be a whole number from 0 to 30/],
      ['fractional graceDays', () => ({ graceDays: 1.5 }), /Int/],
      [
        'a note of 1,001 characters',
        () => ({ note: 'x'.repeat(1001) }),
        /note must be shorter than or equal to 1000/,
      ],
    ];

    it.each(cases)('%s', async (_label, change, message) => {
      const before = await em().count(PromiseToPay, {});
      const res = await record({
        loanAccountId: ugx.id,
        amount: { amount: '5000', currency: 'UGX' },
        promisedDate: addDays(today(), 3),
        ...change(),
      });
      expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.body.errors?.[0]?.message).toMatch(message);
      expect(res.body.errors?.[0]?.message).not.toMatch(/select|insert|stack|at \w+ \(/i);
      expect(await em().count(PromiseToPay, {})).toBe(before);
    });

    it("answers NOT_FOUND for another organization's loan or a hostile id, and stores nothing", async () => {
      const theirs = await newLoan('UGX', other.orgId);
      for (const loanAccountId of [theirs.id, "loan_x'; drop table promise_to_pay; --"]) {
        const res = await record({
          loanAccountId,
          amount: { amount: '5000', currency: 'UGX' },
          promisedDate: today(),
        });
        expect(res.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      }
      expect(await scopedFork(hub.runtime.orm.em, other.orgId).count(PromiseToPay, {})).toBe(0);
    });

    it.each(['PARTNER', 'FINANCE'] as const)('forbids %s to record', async (role) => {
      const key = await hub.createKey(org.orgId, role);
      const before = await em().count(PromiseToPay, {});
      const res = await record(
        { loanAccountId: ugx.id, amount: { amount: '5000', currency: 'UGX' }, promisedDate: today() },
        key,
      );
      expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(await em().count(PromiseToPay, {})).toBe(before);
    });

    it.each(['AGENT', 'SUPERVISOR'] as const)('lets %s record (collection work)', async (role) => {
      const key = await hub.createKey(org.orgId, role);
      const res = await record(
        { loanAccountId: ugx.id, amount: { amount: '5000', currency: 'UGX' }, promisedDate: today() },
        key,
      );
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.recordPromiseToPay.status).toBe('OPEN');
    });
  });

  describe('payments', () => {
    it('keeps a promise when enough arrives and announces it exactly once', async () => {
      const loan = await newLoan();
      const id = await promiseOn(loan.id, '100000');
      const first = await pay(loan.accountNumber, '60000');
      expect(await promise(id)).toMatchObject({ status: 'OPEN', paidMinor: 60000n, evaluatedAt: null });
      expect(await events(id)).toHaveLength(0);

      const second = await pay(loan.accountNumber, '40000');
      const kept = await promise(id);
      expect(kept).toMatchObject({ status: 'KEPT', paidMinor: 100000n });
      expect(kept.evaluatedAt).toBeInstanceOf(Date);
      const announced = await events(id);
      expect(announced.map((e) => e.type)).toEqual(['promise.kept']);
      expect(announced[0].aggregateType).toBe('promise_to_pay');
      expect(announced[0].payload).toEqual({
        promiseId: id,
        loanAccountId: loan.id,
        status: 'KEPT',
        paidMinor: '100000',
        requiredMinor: '100000',
        amountMinor: '100000',
        currency: 'UGX',
        promisedDate: addDays(today(), 3),
        graceDays: 0,
        reason: 'payment',
        paymentId: second.id,
      });
      expect(JSON.stringify(announced[0].payload)).not.toMatch(/Aisha|Namuli|256772/);

      // More money in the window is counted, but the promise is not announced again.
      await pay(loan.accountNumber, '10000');
      expect(await promise(id)).toMatchObject({ status: 'KEPT', paidMinor: 110000n });
      expect(await events(id)).toHaveLength(1);

      // Applying a payment again (a replayed match) counts it once.
      await em().transactional(async (tx) => {
        const p = await tx.findOneOrFail(Payment, { id: first.id });
        expect(await applyPaymentToPromises(tx, org.orgId, p, loan.id)).toBe(0);
      });
      expect((await promise(id)).paidMinor).toBe(110000n);
      expect(await em().count(PromiseToPayMatch, { promiseToPay: id })).toBe(3);
    });

    it('leaves a partly paid promise open, and keeps it at exactly the threshold', async () => {
      const loan = await newLoan();
      const id = await promiseOn(loan.id, '100000', { thresholdPct: 50 });
      await pay(loan.accountNumber, '49999');
      expect(await promise(id)).toMatchObject({ status: 'OPEN', paidMinor: 49999n });
      await pay(loan.accountNumber, '1');
      expect(await promise(id)).toMatchObject({ status: 'KEPT', paidMinor: 50000n });
      expect((await events(id, 'promise.kept')).length).toBe(1);
    });

    it('counts nothing from a payment in another currency', async () => {
      const loan = await newLoan();
      const id = await promiseOn(loan.id, '5000');
      const kes = await pay(loan.accountNumber, '5000', { currency: 'KES' });
      expect(await promise(id)).toMatchObject({ status: 'OPEN', paidMinor: 0n });
      expect(await em().count(PromiseToPayMatch, { payment: kes.id })).toBe(0);
    });

    it('counts nothing from a payment outside the window', async () => {
      const loan = await newLoan();
      const id = await promiseOn(loan.id, '5000');
      // Received before the day the promise was made (Nairobi time)...
      await pay(loan.accountNumber, '5000', { at: new Date(Date.now() - 2 * 86_400_000) });
      expect(await promise(id)).toMatchObject({ status: 'OPEN', paidMinor: 0n });
      // ...or after its last day.
      await pay(loan.accountNumber, '5000', { at: new Date(Date.now() + 5 * 86_400_000) });
      expect(await promise(id)).toMatchObject({ status: 'OPEN', paidMinor: 0n });
      expect(await events(id)).toHaveLength(0);
    });

    it('moves what a payment counted when finance re-matches it to another loan', async () => {
      const from = await newLoan();
      const to = await newLoan();
      const fromPromise = await promiseOn(from.id, '30000');
      const toPromise = await promiseOn(to.id, '30000');
      const payment = await pay(from.accountNumber, '30000');
      expect((await promise(fromPromise)).status).toBe('KEPT');
      const res = await hub.gql(
        `mutation { matchPayment(paymentId: "${payment.id}", loanAccountId: "${to.id}") { id } }`,
        {},
        org.adminKey,
      );
      expect(res.body.errors).toBeUndefined();
      expect(await promise(fromPromise)).toMatchObject({ status: 'OPEN', paidMinor: 0n, evaluatedAt: null });
      expect(await promise(toPromise)).toMatchObject({ status: 'KEPT', paidMinor: 30000n });
      expect(await em().count(PromiseToPayMatch, { payment: payment.id })).toBe(1);
    });
  });

  describe('reversals', () => {
    it('re-opens a kept promise while its window is open, and announces nothing', async () => {
      const loan = await newLoan();
      const id = await promiseOn(loan.id, '50000');
      const payment = await pay(loan.accountNumber, '50000');
      expect((await promise(id)).status).toBe('KEPT');

      await reverse(payment, '50000');
      expect((await em().findOneOrFail(Payment, { id: payment.id })).status).toBe('REVERSED');
      expect(await promise(id)).toMatchObject({ status: 'OPEN', paidMinor: 0n, evaluatedAt: null });
      expect((await events(id)).map((e) => e.type)).toEqual(['promise.kept']);
      expect(await em().count(PromiseToPayMatch, { payment: payment.id })).toBe(0);

      // The borrower can still keep it.
      await pay(loan.accountNumber, '50000');
      expect((await promise(id)).status).toBe('KEPT');
      expect((await events(id)).map((e) => e.type)).toEqual(['promise.kept', 'promise.kept']);
    });

    it('re-opens on a partial refund that takes it below the threshold', async () => {
      const loan = await newLoan();
      const id = await promiseOn(loan.id, '50000');
      const payment = await pay(loan.accountNumber, '60000');
      await reverse(payment, '10000');
      expect(await promise(id)).toMatchObject({ status: 'KEPT', paidMinor: 50000n });
      await reverse(payment, '1');
      expect(await promise(id)).toMatchObject({ status: 'OPEN', paidMinor: 49999n });
    });

    it('breaks a kept promise once its window has closed, with promise.broken', async () => {
      const loan = await newLoan();
      const id = await promiseOn(loan.id, '80000', { graceDays: 1 });
      const a = await pay(loan.accountNumber, '30000');
      const b = await pay(loan.accountNumber, '50000');
      expect((await promise(id)).status).toBe('KEPT');
      await age(id, 10); // the window (promised date + 1 day of grace) is now over

      await reverse(b, '50000');
      const partly = await promise(id);
      expect(partly).toMatchObject({ status: 'PARTIALLY_KEPT', paidMinor: 30000n });
      expect(partly.evaluatedAt).toBeInstanceOf(Date);
      const broken = await events(id, 'promise.broken');
      expect(broken).toHaveLength(1);
      expect(broken[0].payload).toEqual({
        promiseId: id,
        loanAccountId: loan.id,
        status: 'PARTIALLY_KEPT',
        paidMinor: '30000',
        requiredMinor: '80000',
        amountMinor: '80000',
        currency: 'UGX',
        promisedDate: addDays(today(), 3 - 10),
        graceDays: 1,
        reason: 'reversal',
        paymentId: b.id,
      });

      // The rest reversed too: broken, but it was already announced.
      await reverse(a, '30000');
      expect(await promise(id)).toMatchObject({ status: 'BROKEN', paidMinor: 0n });
      expect(await events(id, 'promise.broken')).toHaveLength(1);
    });
  });

  describe('queries', () => {
    it('pages promisesToPay newest first, filters them, and shows a loan its own', async () => {
      const loan = await newLoan();
      const ids = [
        await promiseOn(loan.id, '1000', { promisedDate: addDays(today(), 1) }),
        await promiseOn(loan.id, '2000', { promisedDate: addDays(today(), 2) }),
        await promiseOn(loan.id, '3000', { promisedDate: addDays(today(), 3) }),
      ];
      const q = `query($f: PromiseToPayFilter, $after: String) {
        promisesToPay(filter: $f, first: 2, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id status amount { amountMinor } } }
        }
      }`;
      const page1 = await hub.gql(q, { f: { loanAccountId: loan.id } }, org.adminKey);
      expect(page1.body.errors).toBeUndefined();
      const c1 = page1.body.data.promisesToPay;
      expect(c1.totalCount).toBe(3);
      expect(c1.pageInfo.hasNextPage).toBe(true);
      expect(c1.edges.map((e: any) => e.node.id)).toEqual([ids[2], ids[1]]);
      const page2 = await hub.gql(
        q,
        { f: { loanAccountId: loan.id }, after: c1.pageInfo.endCursor },
        org.adminKey,
      );
      const c2 = page2.body.data.promisesToPay;
      expect(c2.edges.map((e: any) => e.node.id)).toEqual([ids[0]]);
      expect(c2.pageInfo.hasNextPage).toBe(false);

      const cancelled = await hub.gql(
        q,
        {
          f: {
            loanAccountId: loan.id,
            status: ['CANCELLED'],
            promisedFrom: addDays(today(), 2),
            promisedTo: addDays(today(), 2),
          },
        },
        org.adminKey,
      );
      expect(cancelled.body.data.promisesToPay.edges.map((e: any) => e.node.id)).toEqual([ids[1]]);

      const onLoan = await hub.gql(
        `{ loanAccount(id: "${loan.id}") { promisesToPay { id status } } }`,
        {},
        org.adminKey,
      );
      expect(onLoan.body.data.loanAccount.promisesToPay).toEqual([
        { id: ids[2], status: 'OPEN' },
        { id: ids[1], status: 'CANCELLED' },
        { id: ids[0], status: 'CANCELLED' },
      ]);

      const agent = await hub.createKey(org.orgId, 'AGENT');
      expect(
        (await hub.gql(q, { f: { loanAccountId: loan.id } }, agent)).body.data.promisesToPay.totalCount,
      ).toBe(3);
      const partner = await hub.createKey(org.orgId, 'PARTNER');
      expect((await hub.gql(q, {}, partner)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const badCursor = await hub.gql(q, { after: 'bm90LWEtY3Vyc29y' }, org.adminKey);
      expect(badCursor.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('never shows another organization its promises', async () => {
      const mine = await em().count(PromiseToPay, {});
      expect(mine).toBeGreaterThan(0);
      const theirs = await hub.gql(
        '{ promisesToPay(first: 100) { totalCount edges { node { id } } } }',
        {},
        other.adminKey,
      );
      expect(theirs.body.data.promisesToPay).toEqual({ totalCount: 0, edges: [] });
      const own = await hub.gql('{ promisesToPay(first: 1) { totalCount } }', {}, org.adminKey);
      expect(own.body.data.promisesToPay.totalCount).toBe(mine);
      const anyPromise = (await em().find(PromiseToPay, {}, { limit: 1 }))[0];
      const peek = await hub.gql(
        `{ loanAccount(id: "${anyPromise.loanAccount.id}") { promisesToPay { id } } }`,
        {},
        other.adminKey,
      );
      expect(peek.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    });
  });

  describe('sweep', () => {
    // Runs last: a sweep with a later clock judges every open promise in this database.
    it('judges open promises once their window has closed in the organization time zone, once', async () => {
      const partLoan = await newLoan();
      const noneLoan = await newLoan();
      const promisedDate = addDays(today(), 1);
      const part = await promiseOn(partLoan.id, '40000', { promisedDate, graceDays: 2 });
      const none = await promiseOn(noneLoan.id, '40000', { promisedDate, graceDays: 2 });
      await pay(partLoan.accountNumber, '10000');
      const lastDay = addDays(promisedDate, 2);

      await sweepPromises(hub.runtime.orm, new Date());
      // 23:30 in Nairobi on the last day of the window (20:30 UTC): the borrower can still pay.
      await sweepPromises(hub.runtime.orm, new Date(`${lastDay}T20:30:00Z`));
      expect((await promise(part)).status).toBe('OPEN');
      expect((await promise(none)).status).toBe('OPEN');

      // 00:30 the next day in Nairobi, though still the last day in UTC: closed.
      const closedAt = new Date(`${lastDay}T21:30:00Z`);
      expect(await sweepPromises(hub.runtime.orm, closedAt)).toBeGreaterThanOrEqual(2);
      expect(await promise(part)).toMatchObject({
        status: 'PARTIALLY_KEPT',
        paidMinor: 10000n,
        evaluatedAt: closedAt,
      });
      expect(await promise(none)).toMatchObject({ status: 'BROKEN', paidMinor: 0n, evaluatedAt: closedAt });
      const [partEvent] = await events(part, 'promise.broken');
      expect(partEvent.payload).toEqual({
        promiseId: part,
        loanAccountId: partLoan.id,
        status: 'PARTIALLY_KEPT',
        paidMinor: '10000',
        requiredMinor: '40000',
        amountMinor: '40000',
        currency: 'UGX',
        promisedDate,
        graceDays: 2,
        reason: 'window_closed',
        paymentId: null,
      });
      expect((await events(none, 'promise.broken')).map((e) => e.payload.status)).toEqual(['BROKEN']);

      // Again: nothing is open any more, nothing is announced twice.
      expect(await sweepPromises(hub.runtime.orm, new Date(closedAt.getTime() + 86_400_000))).toBe(0);
      expect(await events(part)).toHaveLength(1);
      expect(await events(none)).toHaveLength(1);
      // Kept and cancelled promises are never judged by the sweep.
      const kept = await em().find(PromiseToPay, { status: 'KEPT' });
      expect(kept.length).toBeGreaterThan(0);
      for (const p of kept) expect(await events(p.id, 'promise.broken')).toHaveLength(0);
    });
  });
});
