import { ConnectorRegistry } from '../../src/connectors/registry';
import { withPgClient } from '../../src/services/reconciliation/pg-client';
import { financeScope, startTestHub, type TestHub } from '../helpers/hub';
import { stubRailDefinition } from '../helpers/stub-rail';

/**
 * The import writes COPY rows straight into batch buffers (256 KB each). Whatever a line holds, multi-byte text,
 * backslashes, tabs, ids at the length limit, it must arrive in settlement_line byte for byte, on both sides of every
 * batch boundary.
 */
describe('settlement import: every byte of every line', () => {
  let hub: TestHub;
  let orgId: string;
  let sourceId: string;

  beforeAll(async () => {
    hub = await startTestHub({
      registry: new ConnectorRegistry().registerRail(stubRailDefinition('STRIPE')),
    });
    orgId = (await hub.createOrg()).orgId;
    const res = await hub.gql(
      'mutation($i: RegisterPaymentSourceInput!) { registerPaymentSource(input: $i) { id } }',
      { i: { kind: 'STRIPE', name: 'bytes', credentials: { any: 'thing' } } },
      await hub.createKey(orgId, 'ADMIN'),
    );
    sourceId = res.body.data.registerPaymentSource.id;
  }, 60_000);
  afterAll(async () => hub.close());

  it('stores multi-byte, escaped and longest ids and references exactly, across batch boundaries', async () => {
    const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
    const expected: Array<{ ptx: string; reference: string }> = [];
    const rows = ['provider_transaction_id,kind,amount,currency,occurred_at,reference'];
    for (let i = 0; i < 12_000; i++) {
      // Mixed widths: 1-, 2-, 3- and 4-byte characters, COPY's escapes (backslash, tab), and every 500th line an id
      // at the 100-character limit made of 4-byte characters.
      const ptx =
        i % 500 === 0
          ? `${'😀'.repeat(49)}${i}`.slice(0, 100)
          : `TX-Ñ€😀-${i}-\\-${i % 7 === 0 ? '\t' : ''}x`;
      const reference = `LN-ü\\N-${i}-Ω`;
      expected.push({ ptx, reference });
      rows.push([quote(ptx), 'PAYMENT', '100.00', 'UGX', '2026-10-02T10:00:00Z', quote(reference)].join(','));
    }
    const file = Buffer.from(`${rows.join('\n')}\n`, 'utf8');
    expect(file.length).toBeGreaterThan(3 * 256 * 1024);
    const imp = await hub.runtime.services.settlements.importSettlement(
      financeScope(hub, orgId, 'bytes test'),
      {
        sourceId,
        format: 'LIPA_CSV',
        // Odd-sized chunks, so multi-byte characters are split between reads too.
        chunks: Array.from({ length: Math.ceil(file.length / 7_919) }, (_, k) =>
          file.subarray(k * 7_919, (k + 1) * 7_919),
        ),
      },
    );
    expect(imp.status).toBe('COMPLETED');
    const stored = await withPgClient(
      hub.runtime.orm,
      async (c) =>
        (
          await c.query<{ ptx: string; reference: string }>(
            `select provider_transaction_id as ptx, reference from settlement_line where import_id = $1
            order by line_number`,
            [imp.id],
          )
        ).rows,
    );
    expect(stored).toHaveLength(expected.length);
    const wrong = stored.filter((r, i) => r.ptx !== expected[i].ptx || r.reference !== expected[i].reference);
    expect(wrong).toEqual([]);
  }, 60_000);
});
