import { Redis } from 'ioredis';
import { recordEvent } from '../../src/events/outbox';
import { OutboxEvent } from '../../src/entities/outbox-event.entity';
import { Payment } from '../../src/entities/payment.entity';
import { OutboxRelay } from '../../src/events/relay';
import { createLogger } from '../../src/logger';
import { scopedFork } from '../../src/services/scope';
import { seedLoanWithPayment } from '../factories';
import { startTestHub, type TestHub } from '../helpers/hub';
import { sweepPostings } from '../../src/jobs/processors';

describe('transactional outbox and relay', () => {
  let hub: TestHub;
  let orgId: string;
  let seed: Awaited<ReturnType<typeof seedLoanWithPayment>>;

  beforeAll(async () => {
    hub = await startTestHub();
    orgId = (await hub.createOrg()).orgId;
    seed = await seedLoanWithPayment(hub.runtime.orm, orgId);
  });
  afterAll(async () => hub.close());

  it('commits a state change and its event together', async () => {
    const em = scopedFork(hub.runtime.orm.em, orgId);
    await em.transactional(async (tx) => {
      const p = await tx.findOneOrFail(Payment, { id: seed.payment.id });
      p.reconciliationState = 'POSTED';
      recordEvent(tx, {
        organizationId: orgId,
        type: 'payment.posted',
        aggregateType: 'payment',
        aggregateId: p.id,
        payload: { paymentId: p.id },
      });
    });
    const check = scopedFork(hub.runtime.orm.em, orgId);
    expect((await check.findOneOrFail(Payment, { id: seed.payment.id })).reconciliationState).toBe('POSTED');
    expect(await check.count(OutboxEvent, { type: 'payment.posted', aggregateId: seed.payment.id })).toBe(1);
  });

  it('rolls the event back with the state change', async () => {
    const em = scopedFork(hub.runtime.orm.em, orgId);
    await expect(
      em.transactional(async (tx) => {
        const p = await tx.findOneOrFail(Payment, { id: seed.payment.id });
        p.reconciliationState = 'POSTING_FAILED';
        recordEvent(tx, {
          organizationId: orgId,
          type: 'payment.failed',
          aggregateType: 'payment',
          aggregateId: p.id,
          payload: {},
        });
        await tx.flush();
        throw new Error('boom after flush');
      }),
    ).rejects.toThrow('boom after flush');
    const check = scopedFork(hub.runtime.orm.em, orgId);
    expect((await check.findOneOrFail(Payment, { id: seed.payment.id })).reconciliationState).toBe('POSTED');
    expect(await check.count(OutboxEvent, { type: 'payment.failed', aggregateId: seed.payment.id })).toBe(0);
  });

  it('publishes pending events to Redis once, in order, scoped to the organization channel', async () => {
    const EVENTS = 450;
    const sub = new Redis(hub.config.redisUrl);
    const received: Array<{ id: string; type: string; organizationId: string }> = [];
    await sub.subscribe(`events:${orgId}`);
    sub.on('message', (_ch, msg) => received.push(JSON.parse(msg)));
    const em = scopedFork(hub.runtime.orm.em, orgId);
    // More than two batches of 200, each published without waiting for every reply: the order must hold anyway.
    for (let i = 0; i < EVENTS; i++) {
      recordEvent(em, {
        organizationId: orgId,
        type: 'loan.balance_changed',
        aggregateType: 'loan_account',
        aggregateId: seed.loan.id,
        payload: { n: i },
      });
    }
    await em.flush();
    const publisher = new Redis(hub.config.redisUrl);
    const relay = new OutboxRelay(
      hub.runtime.orm,
      (ch, ev) => publisher.publish(ch, JSON.stringify(ev)),
      createLogger({ level: 'silent' }),
    );
    let published = 0;
    for (let n = await relay.relayOnce(); n > 0; n = await relay.relayOnce()) published += n;
    expect(published).toBeGreaterThanOrEqual(EVENTS);
    expect(await relay.relayOnce()).toBe(0);
    const deadline = Date.now() + 5000;
    while (received.filter((e) => e.type === 'loan.balance_changed').length < EVENTS && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const balanceEvents = received.filter((e) => e.type === 'loan.balance_changed');
    expect(balanceEvents).toHaveLength(EVENTS);
    expect(balanceEvents.every((e) => e.organizationId === orgId)).toBe(true);
    expect([...balanceEvents.map((e) => e.id)].sort()).toEqual(balanceEvents.map((e) => e.id));
    await sub.quit();
    await publisher.quit();
  });

  it('keeps events unpublished when Redis is unreachable (nothing lost)', async () => {
    const em = scopedFork(hub.runtime.orm.em, orgId);
    const ev = recordEvent(em, {
      organizationId: orgId,
      type: 'payment.matched',
      aggregateType: 'payment',
      aggregateId: seed.payment.id,
      payload: {},
    });
    await em.flush();
    const relay = new OutboxRelay(
      hub.runtime.orm,
      async () => {
        throw new Error('ECONNREFUSED');
      },
      createLogger({ level: 'silent' }),
    );
    await expect(relay.relayOnce()).rejects.toThrow('ECONNREFUSED');
    const check = scopedFork(hub.runtime.orm.em, orgId);
    expect((await check.findOneOrFail(OutboxEvent, { id: ev.id })).publishedAt ?? null).toBeNull();
  });
});

describe('sweepers', () => {
  let hub: TestHub;
  let orgId: string;
  beforeAll(async () => {
    hub = await startTestHub();
    orgId = (await hub.createOrg()).orgId;
  });
  afterAll(async () => hub.close());

  it('re-enqueues matched payments and pending lender reversals whose jobs were lost, once each', async () => {
    const seed = await seedLoanWithPayment(hub.runtime.orm, orgId);
    const undo = await seedLoanWithPayment(hub.runtime.orm, orgId, { accountNumber: 'UNDO-1' });
    const conn = hub.runtime.orm.em.getConnection();
    await conn.execute(`update payment set updated_at = now() - interval '5 minutes' where id in (?, ?)`, [
      seed.payment.id,
      undo.payment.id,
    ]);
    await conn.execute(
      `update payment set reconciliation_state = 'REVERSAL_PENDING', status = 'REVERSED' where id = ?`,
      [undo.payment.id],
    );
    await conn.execute(`update payment set updated_at = now() - interval '5 minutes' where id = ?`, [
      undo.payment.id,
    ]);
    expect(await sweepPostings(hub.runtime.services)).toBe(2);
    expect(await sweepPostings(hub.runtime.services)).toBe(2);
    const jobs = await hub.runtime.queues.posting.getJobs(['waiting', 'delayed', 'prioritized']);
    expect(jobs.map((j) => `${j.name}:${j.id}`).sort()).toEqual(
      [`match-and-post:post-${seed.payment.id}`, `undo:undo-${undo.payment.id}`].sort(),
    );
  });
});
