import { CopyBatch } from '../../src/services/reconciliation/settlement-import.service';

describe('CopyBatch', () => {
  const rows = ['abc\n', 'Ñ€😀\\t\n', 'x'.repeat(40) + '\n', '😀'.repeat(30) + '\n', 'ü\n'];

  /** Fills batches of `capacity` bytes the way the import does and returns every byte handed over. */
  function run(capacity: number): { chunks: Buffer[]; bytes: Buffer } {
    const batch = new CopyBatch(capacity);
    const chunks: Buffer[] = [];
    for (const row of rows) {
      if (!batch.fits(row) && batch.length > 0) chunks.push(batch.take());
      batch.add(row);
    }
    if (batch.length > 0) chunks.push(batch.take());
    return { chunks, bytes: Buffer.concat(chunks) };
  }

  it('hands over exactly the UTF-8 bytes of the rows, in order, whatever the capacity', () => {
    const expected = Buffer.from(rows.join(''), 'utf8');
    for (const capacity of [1, 7, 16, 64, 1024]) expect(run(capacity).bytes.equals(expected)).toBe(true);
  });

  it('never cuts a row: one longer than the capacity gets a buffer of its own', () => {
    const { chunks } = run(16);
    const texts = chunks.map((c) => c.toString('utf8'));
    // The long row (121 bytes) starts a chunk of its own; every chunk holds whole rows.
    expect(texts.some((t) => t.startsWith(`${'😀'.repeat(30)}\n`))).toBe(true);
    for (const t of texts) expect(t.endsWith('\n')).toBe(true);
  });

  it('starts a fresh buffer after take(), so a chunk still queued is never overwritten', () => {
    const batch = new CopyBatch(64);
    batch.add('first\n');
    const first = batch.take();
    batch.add('second\n');
    expect(first.toString()).toBe('first\n');
    expect(batch.take().toString()).toBe('second\n');
  });

  it('refuses to add a row that does not fit a batch already holding rows', () => {
    const batch = new CopyBatch(8);
    batch.add('ab\n');
    expect(() => batch.add('x'.repeat(10))).toThrow(/take\(\)/);
  });
});
