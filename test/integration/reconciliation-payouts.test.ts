import { ConnectorRegistry } from '../../src/connectors/registry';
import { Organization } from '../../src/entities/organization.entity';
import { Payment } from '../../src/entities/payment.entity';
import { PaymentSource } from '../../src/entities/payment-source.entity';
import type { RailKind } from '../../src/connectors/types';
import { SecretBox } from '../../src/services/crypto';
import { withPgClient } from '../../src/services/reconciliation/pg-client';
import { scopedFork } from '../../src/services/scope';
import { financeScope, startTestHub, TEST_ENCRYPTION_KEY, type TestHub } from '../helpers/hub';
import { stubRailDefinition } from '../helpers/stub-rail';

/**
 * A payout (1:N) against its items, read from the rails' own files: the payout must equal what its items did to the
 * balance. Amounts are magnitudes, so an item that credits against its kind's usual direction (Stripe's dispute won
 * back, with its fee refunded; GoCardless's refund funds returned) is counted by the sign its file gave it, not as a
 * debit, and the payout matches instead of showing as short.
 */
describe('reconciliation: payouts against items that credit', () => {
  let hub: TestHub;
  let orgId: string;
  const box = new SecretBox(Buffer.from(TEST_ENCRYPTION_KEY, 'base64'));
  const from = new Date('2026-10-01T00:00:00Z');
  const to = new Date('2026-10-08T00:00:00Z');
  const unix = (d: number) => Date.UTC(2026, 9, d, 10) / 1000;
  const sources: Partial<Record<RailKind, PaymentSource>> = {};

  const scope = () => financeScope(hub, orgId, 'payouts test');
  const sql = async <T>(text: string, values: unknown[]): Promise<T[]> =>
    withPgClient(hub.runtime.orm, async (c) => (await c.query(text, values)).rows as T[]);

  beforeAll(async () => {
    hub = await startTestHub({
      registry: new ConnectorRegistry()
        .registerRail(stubRailDefinition('STRIPE'))
        .registerRail(stubRailDefinition('GOCARDLESS')),
    });
    orgId = (await hub.createOrg()).orgId;
    const em = scopedFork(hub.runtime.orm.em, orgId);
    for (const kind of ['STRIPE', 'GOCARDLESS'] as const) {
      sources[kind] = em.create(PaymentSource, {
        organization: em.getReference(Organization, orgId),
        kind,
        name: `${kind} account`,
        credentialsEncrypted: box.sealJson({}),
        callbackTokenEncrypted: box.seal(`${kind}-token`),
      });
    }
    const payment = (kind: RailKind, ptx: string, amountMinor: bigint, currency: string) =>
      em.create(Payment, {
        organization: em.getReference(Organization, orgId),
        paymentSource: sources[kind]!,
        rail: kind,
        providerTransactionId: ptx,
        amountMinor,
        currency,
        status: 'SUCCEEDED',
        reconciliationState: 'POSTED',
        receivedAt: new Date(unix(2) * 1000),
      });
    payment('STRIPE', 'ch_A', 150000n, 'KES');
    payment('STRIPE', 'ch_B', 100000n, 'KES');
    payment('GOCARDLESS', 'PM1', 1500n, 'GBP');
    payment('GOCARDLESS', 'PM2', 2000n, 'GBP');
    payment('GOCARDLESS', 'PM3', 2000n, 'GBP');
    await em.flush();
  }, 60_000);
  afterAll(async () => hub.close());

  type Format = 'STRIPE_BALANCE_TRANSACTIONS' | 'GOCARDLESS_PAYOUT_ITEMS';

  async function importFile(kind: RailKind, format: Format, doc: unknown) {
    const imp = await hub.runtime.services.settlements.importSettlement(scope(), {
      sourceId: sources[kind]!.id,
      format,
      chunks: [JSON.stringify(doc)],
    });
    expect(imp.status).toBe('COMPLETED');
  }

  /** Runs the source's period (lender not read) to COMPLETED. */
  async function run(kind: RailKind) {
    const started = await hub.runtime.services.reconciliation.start(scope(), {
      sourceId: sources[kind]!.id,
      from,
      to,
      checkLender: false,
    });
    const done = await hub.runtime.services.reconciliation.execute(orgId, started.id);
    expect(done.status).toBe('COMPLETED');
    return done;
  }

  /** Runs the period and returns the payout line's outcome and the expected amount of any shortfall it raised. */
  async function runPeriod(kind: RailKind, payout?: string) {
    const { id } = await run(kind);
    const [line] = await sql<{ outcome: string; rule: string }>(
      `select o.outcome, o.rule from reconciliation_line_outcome o join settlement_line l on l.id = o.settlement_line_id
       where o.reconciliation_run_id = $1 and l.kind = 'PAYOUT' and ($2::text is null or l.payout_reference = $2)`,
      [id, payout ?? null],
    );
    const short = await sql<{ expected: string }>(
      `select evidence->'payout'->>'expectedAmountMinor' as expected from discrepancy
       where reconciliation_run_id = $1 and type = 'SETTLEMENT_AMOUNT_MISMATCH' and status = 'OPEN'
         and ($2::text is null or evidence->'payout'->>'reference' = $2)`,
      [id, payout ?? null],
    );
    return { ...line, expected: short.map((s) => s.expected) };
  }

  /** Imports the file, runs the period, and returns the payout's outcome (see runPeriod). */
  async function reconcile(kind: RailKind, format: Format, doc: unknown, payout?: string) {
    await importFile(kind, format, doc);
    return runPeriod(kind, payout);
  }

  const MATCHED_PAYOUT = { outcome: 'MATCHED', rule: 'PAYOUT_ITEMS', expected: [] };

  /** A GoCardless payout of `amount` (GBP pence) with its items, reconciled; returns the payout's outcome. */
  const goCardlessPayout = (
    id: string,
    amount: number,
    deductedFees: number,
    createdAt: string,
    items: Array<{ amount: string; type: string; links: Record<string, string> }>,
  ) =>
    reconcile(
      'GOCARDLESS',
      'GOCARDLESS_PAYOUT_ITEMS',
      {
        payout_items: items,
        payouts: { id, amount, deducted_fees: deductedFees, currency: 'GBP', created_at: createdAt },
      },
      id,
    );

  const bt = (fields: Record<string, unknown>) => ({
    object: 'balance_transaction',
    currency: 'kes',
    created: unix(3),
    status: 'available',
    fee: 0,
    ...fields,
  });

  it('matches a Stripe payout that includes a dispute won back, its fee refunded', async () => {
    // 144,750 + 96,500 - 21,500 (dispute, fee 1,500) + 21,500 (won back, fee refunded) = 241,250.
    const stripe = {
      object: 'list',
      has_more: false,
      data: [
        bt({ id: 'txn_1', type: 'charge', amount: 150000, fee: 5250, net: 144750, source: 'ch_A' }),
        bt({ id: 'txn_2', type: 'charge', amount: 100000, fee: 3500, net: 96500, source: 'ch_B' }),
        bt({
          id: 'txn_3',
          type: 'adjustment',
          reporting_category: 'dispute',
          amount: -20000,
          fee: 1500,
          net: -21500,
          source: { id: 'dp_1', object: 'dispute', charge: 'ch_B' },
        }),
        bt({
          id: 'txn_4',
          type: 'adjustment',
          reporting_category: 'dispute_reversal',
          amount: 20000,
          fee: -1500,
          net: 21500,
          source: { id: 'dp_1', object: 'dispute', charge: 'ch_B' },
        }),
        bt({ id: 'txn_5', type: 'payout', amount: -241250, net: -241250, source: 'po_1' }),
      ],
    };
    expect(await reconcile('STRIPE', 'STRIPE_BALANCE_TRANSACTIONS', stripe)).toEqual(MATCHED_PAYOUT);
  });

  it("counts Stripe's own fee once when two overlapping exports both list it", async () => {
    const radar = bt({ id: 'txn_radar', type: 'stripe_fee', amount: -999, net: -999, source: null });
    const billing = bt({ id: 'txn_billing', type: 'stripe_fee', amount: -500, net: -500, source: null });
    for (const data of [[radar], [radar, billing]])
      await importFile('STRIPE', 'STRIPE_BALANCE_TRANSACTIONS', { object: 'list', has_more: false, data });
    const { id: runId } = await run('STRIPE');
    const rows = await sql<{ ptx: string; outcome: string }>(
      `select l.provider_transaction_id as ptx, o.outcome from reconciliation_line_outcome o
       join settlement_line l on l.id = o.settlement_line_id
       where o.reconciliation_run_id = $1 and l.kind = 'FEE' order by l.import_id, l.line_number`,
      [runId],
    );
    expect(rows).toEqual([
      { ptx: 'txn_radar', outcome: 'INFORMATIONAL' },
      { ptx: 'txn_radar', outcome: 'COUNTED_IN_EARLIER_IMPORT' },
      { ptx: 'txn_billing', outcome: 'INFORMATIONAL' },
    ]);
  });

  it('matches a GoCardless payout with refund funds returned to it', async () => {
    // 1,500 - 13 (the fee, "-12.5" rounded per item) + 250 returned = 1,737.
    expect(
      await goCardlessPayout('PO1', 1737, 13, '2026-10-03T10:00:00Z', [
        { amount: '1500.0', type: 'payment_paid_out', links: { payment: 'PM1' } },
        { amount: '-12.5', type: 'gocardless_fee', links: { payment: 'PM1' } },
        { amount: '250.0', type: 'refund_funds_returned', links: { payment: 'PM0', refund: 'RF1' } },
      ]),
    ).toEqual(MATCHED_PAYOUT);
  });

  it('counts every fee on a payment: the rail fee and the app fee on one payment are two items', async () => {
    // 2,000 - 13 - 8 = 1,979: both fees name payment PM2, and neither is a repeat of the other.
    expect(
      await goCardlessPayout('PO2', 1979, 21, '2026-10-03T11:00:00Z', [
        { amount: '2000.0', type: 'payment_paid_out', links: { payment: 'PM2' } },
        { amount: '-12.5', type: 'gocardless_fee', links: { payment: 'PM2' } },
        { amount: '-7.5', type: 'app_fee', links: { payment: 'PM2' } },
      ]),
    ).toEqual(MATCHED_PAYOUT);
  });

  it('counts a fee refunded in a later payout, though the fee itself came in an earlier one', async () => {
    // PO1 carried PM1's fee; PO3 refunds it (+13) alongside a new payment: 2,000 + 13 = 2,013. The two fee items share
    // PM1's id but not the payout, so the later one is no repeat of the earlier.
    expect(
      await goCardlessPayout('PO3', 2013, 0, '2026-10-04T10:00:00Z', [
        { amount: '2000.0', type: 'payment_paid_out', links: { payment: 'PM3' } },
        { amount: '12.5', type: 'gocardless_fee', links: { payment: 'PM1' } },
      ]),
    ).toEqual(MATCHED_PAYOUT);
  });

  it('reads lines imported before their net was recorded by their kind, as before', async () => {
    // Without the sign, the returned funds count as a debit: 1,500 - 13 - 250 = 1,237, and the payout looks long.
    await sql(
      `update settlement_line set net_minor = null
       where organization_id = $1 and kind <> 'PAYOUT' and payout_reference = 'PO1'`,
      [orgId],
    );
    expect(await runPeriod('GOCARDLESS', 'PO1')).toEqual({
      outcome: 'PAYOUT_MISMATCH',
      rule: 'PAYOUT_ITEMS',
      expected: ['1237'],
    });
  });

  it('still finds a payout short of its items', async () => {
    await sql(
      `update settlement_line set net_minor = case kind when 'FEE' then -13 when 'ADJUSTMENT' then 250 else 1500 end
       where organization_id = $1 and kind <> 'PAYOUT' and payout_reference = 'PO1'`,
      [orgId],
    );
    // 1,737 expected; take 100 off the payout line itself.
    await sql(
      `update settlement_line set amount_minor = 1637 where organization_id = $1 and kind = 'PAYOUT'
         and payout_reference = 'PO1'`,
      [orgId],
    );
    expect(await runPeriod('GOCARDLESS', 'PO1')).toEqual({
      outcome: 'PAYOUT_MISMATCH',
      rule: 'PAYOUT_ITEMS',
      expected: ['1737'],
    });
  });
});
