import { ExpectedPayment } from '../../src/entities/expected-payment.entity';
import { Organization } from '../../src/entities/organization.entity';
import { OutboxEvent } from '../../src/entities/outbox-event.entity';
import { expectationsFromInstallments, sweepOverdueExpectations } from '../../src/services/expectations';
import { organizationToday } from '../../src/services/local-day';
import { scopedFork } from '../../src/services/scope';
import { seedLoanWithPayment } from '../factories';
import { startTestHub, type TestHub } from '../helpers/hub';

/**
 * "Overdue" is the lender's day, not UTC's: an installment due on 1 December in Nairobi (UTC+3) is overdue from
 * 00:00 on the 2nd there, which is 21:00 UTC on the 1st; a lender keeping UTC waits until 00:00 UTC. Promises to pay
 * already judged in local days; expected payments now do too.
 */
describe('expected payments in the organization’s local days', () => {
  let hub: TestHub;
  const orgs: Record<'nairobi' | 'utc', { id: string; loanId: string }> = {} as never;

  beforeAll(async () => {
    hub = await startTestHub();
    for (const [name, zone] of [
      ['nairobi', 'Africa/Nairobi'],
      ['utc', 'UTC'],
    ] as const) {
      const id = (await hub.createOrg()).orgId;
      const em = scopedFork(hub.runtime.orm.em, id);
      const org = await em.findOneOrFail(Organization, { id });
      org.timeZone = zone;
      await em.flush();
      const { loan } = await seedLoanWithPayment(hub.runtime.orm, id);
      await scopedFork(hub.runtime.orm.em, id).transactional((tx) =>
        expectationsFromInstallments(
          tx,
          id,
          loan,
          [
            {
              number: 1,
              dueDate: '2026-12-01',
              totalDue: { amountMinor: 100_000n },
              totalPaid: { amountMinor: 0n },
            },
          ],
          '2026-11-30',
        ),
      );
      orgs[name] = { id, loanId: loan.id };
    }
  }, 60_000);
  afterAll(async () => hub.close());

  const statusOf = async (name: 'nairobi' | 'utc') =>
    (
      await scopedFork(hub.runtime.orm.em, orgs[name].id).findOneOrFail(ExpectedPayment, {
        loanAccount: orgs[name].loanId,
      })
    ).status;
  const overdueEvents = async (name: 'nairobi' | 'utc') =>
    scopedFork(hub.runtime.orm.em, orgs[name].id).count(OutboxEvent, { type: 'expected_payment.overdue' });

  it('knows each organization’s day', async () => {
    const em = hub.runtime.orm.em.fork();
    const at = new Date('2026-12-01T21:30:00Z');
    expect(await organizationToday(em, orgs.nairobi.id, at)).toBe('2026-12-02');
    expect(await organizationToday(em, orgs.utc.id, at)).toBe('2026-12-01');
  });

  it('is not overdue on its due day anywhere', async () => {
    // 23:30 on the 1st in Nairobi, 20:30 in UTC.
    await sweepOverdueExpectations(hub.runtime.orm, new Date('2026-12-01T20:30:00Z'));
    expect(await statusOf('nairobi')).toBe('OPEN');
    expect(await statusOf('utc')).toBe('OPEN');
  });

  it('is overdue in Nairobi from its midnight, while UTC is still on the due day', async () => {
    await sweepOverdueExpectations(hub.runtime.orm, new Date('2026-12-01T21:30:00Z'));
    expect(await statusOf('nairobi')).toBe('OVERDUE');
    expect(await overdueEvents('nairobi')).toBe(1);
    expect(await statusOf('utc')).toBe('OPEN');
    expect(await overdueEvents('utc')).toBe(0);
  });

  it('is overdue in UTC from UTC midnight, announced once each', async () => {
    await sweepOverdueExpectations(hub.runtime.orm, new Date('2026-12-02T00:30:00Z'));
    expect(await statusOf('utc')).toBe('OVERDUE');
    expect(await overdueEvents('utc')).toBe(1);
    expect(await overdueEvents('nairobi')).toBe(1);
  });
});
