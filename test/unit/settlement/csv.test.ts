import fc from 'fast-check';
import { CsvReader, MAX_CSV_RECORD_BYTES, readCsv, type CsvRecord } from '../../../src/domain/settlement/csv';
import { SettlementParseError } from '../../../src/domain/settlement';

async function records(
  chunks: Iterable<Buffer | string> | AsyncIterable<Buffer | string>,
): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const r of readCsv(chunks)) out.push(r);
  return out;
}

/** Splits `buf` at the given byte offsets. */
function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    out.push(buf.subarray(from, p));
    from = p;
  }
  out.push(buf.subarray(from));
  return out;
}

/** `s` in 1 KiB text chunks. */
function kib(s: string): string[] {
  return Array.from({ length: Math.ceil(s.length / 1024) }, (_, i) => s.slice(i * 1024, i * 1024 + 1024));
}

function bytewise(buf: Buffer): Buffer[] {
  return [...buf].map((b) => Buffer.from([b]));
}

/** A file with every hard case: BOM, CRLF and LF, quotes, commas, line breaks and multi-byte text in fields. */
const TRICKY = Buffer.concat([
  Buffer.from([0xef, 0xbb, 0xbf]),
  Buffer.from(
    'id,name,note\r\n' +
      '1,"Wanjikũ, Jane","said ""asante""\r\nthen left"\r\n' +
      '\r\n' +
      '2,Ñandú,€1\n' +
      '3,"😀 emoji","a\rb"\r' +
      '4,,"multi\nline\nfield"\n' +
      '5,"x"y,end',
    'utf8',
  ),
]);

const TRICKY_RECORDS: CsvRecord[] = [
  { lineNumber: 1, fields: ['id', 'name', 'note'] },
  { lineNumber: 2, fields: ['1', 'Wanjikũ, Jane', 'said "asante"\r\nthen left'] },
  { lineNumber: 5, fields: ['2', 'Ñandú', '€1'] },
  { lineNumber: 6, fields: ['3', '😀 emoji', 'a\rb'] },
  { lineNumber: 8, fields: ['4', '', 'multi\nline\nfield'] },
  { lineNumber: 11, fields: ['5', 'xy', 'end'] },
];

describe('readCsv', () => {
  it('reads plain records with physical line numbers, skipping blank lines', async () => {
    expect(await records(['a,b,c\n\n1,2,3\n   \n4,5,6'])).toEqual([
      { lineNumber: 1, fields: ['a', 'b', 'c'] },
      { lineNumber: 3, fields: ['1', '2', '3'] },
      { lineNumber: 4, fields: ['   '] },
      { lineNumber: 5, fields: ['4', '5', '6'] },
    ]);
  });

  it('reads quoted fields with commas, line breaks and doubled quotes', async () => {
    const text = '"x, y","line1\nline2","say ""hi"""\nnext,"",here\n';
    expect(await records([text])).toEqual([
      { lineNumber: 1, fields: ['x, y', 'line1\nline2', 'say "hi"'] },
      { lineNumber: 3, fields: ['next', '', 'here'] },
    ]);
  });

  it('accepts CRLF, LF and lone CR line ends, and a last line without one', async () => {
    expect(await records(['a,b\r\nc,d\ne,f\rg,h'])).toEqual([
      { lineNumber: 1, fields: ['a', 'b'] },
      { lineNumber: 2, fields: ['c', 'd'] },
      { lineNumber: 3, fields: ['e', 'f'] },
      { lineNumber: 4, fields: ['g', 'h'] },
    ]);
  });

  it('keeps empty fields, including a trailing one', async () => {
    expect(await records(['a,,b,\n,\n'])).toEqual([
      { lineNumber: 1, fields: ['a', '', 'b', ''] },
      { lineNumber: 2, fields: ['', ''] },
    ]);
    expect(await records(['a,'])).toEqual([{ lineNumber: 1, fields: ['a', ''] }]);
  });

  it('keeps text after a closing quote, as spreadsheets do', async () => {
    expect(await records(['"ab"c,d\n'])).toEqual([{ lineNumber: 1, fields: ['abc', 'd'] }]);
  });

  it('reads the tricky file in one chunk', async () => {
    expect(await records([TRICKY])).toEqual(TRICKY_RECORDS);
  });

  it('reads the tricky file byte by byte', async () => {
    expect(await records(bytewise(TRICKY))).toEqual(TRICKY_RECORDS);
  });

  it('reads the same records however the bytes are chunked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: TRICKY.length }), { maxLength: 40 }), async (cuts) => {
        expect(await records(splitAt(TRICKY, cuts))).toEqual(TRICKY_RECORDS);
      }),
      { numRuns: 300 },
    );
  });

  it('reads the same records however text chunks are cut', async () => {
    const text = TRICKY.toString('utf8');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: text.length }), { maxLength: 40 }), async (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: string[] = [];
        let from = 0;
        for (const p of points) {
          chunks.push(text.slice(from, p));
          from = p;
        }
        chunks.push(text.slice(from));
        expect(await records(chunks)).toEqual(TRICKY_RECORDS);
      }),
      { numRuns: 200 },
    );
  });

  it('decodes a multi-byte character split across chunks', async () => {
    const buf = Buffer.from('name\nNjeri Wanjikũ 😀\n', 'utf8');
    const start = buf.indexOf(Buffer.from('ũ', 'utf8'));
    const emoji = buf.indexOf(Buffer.from('😀', 'utf8'));
    const chunks = [buf.subarray(0, start + 1), buf.subarray(start + 1, emoji + 2), buf.subarray(emoji + 2)];
    expect(await records(chunks)).toEqual([
      { lineNumber: 1, fields: ['name'] },
      { lineNumber: 2, fields: ['Njeri Wanjikũ 😀'] },
    ]);
  });

  it('drops a UTF-8 byte-order mark, whole or split, in bytes or text', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const body = Buffer.from('id,amount\n1,2\n');
    const expected = [
      { lineNumber: 1, fields: ['id', 'amount'] },
      { lineNumber: 2, fields: ['1', '2'] },
    ];
    expect(await records([Buffer.concat([bom, body])])).toEqual(expected);
    expect(await records([bom.subarray(0, 1), bom.subarray(1), body])).toEqual(expected);
    expect(await records(['\uFEFFid,amount\n1,2\n'])).toEqual(expected);
  });

  it('accepts async chunk sources and mixed strings and buffers', async () => {
    async function* source() {
      yield Buffer.from('a,"b');
      yield '\n",c\r';
      yield Buffer.from('\nd,e\n');
    }
    expect(await records(source())).toEqual([
      { lineNumber: 1, fields: ['a', 'b\n', 'c'] },
      { lineNumber: 3, fields: ['d', 'e'] },
    ]);
  });

  it('reads nothing from an empty input', async () => {
    expect(await records([])).toEqual([]);
    expect(await records(['', Buffer.alloc(0)])).toEqual([]);
    expect(await records(['\n\r\n\n'])).toEqual([]);
  });

  it('refuses an unterminated quote at the end of the file', async () => {
    await expect(records(['a,b\n1,"never closed\n2,3\n'])).rejects.toThrow(SettlementParseError);
    await expect(records(['a,b\n1,"never closed\n2,3\n'])).rejects.toThrow(
      /Unterminated quoted field.*line 2/,
    );
  });

  it('accepts a record of exactly the limit and refuses one byte more', async () => {
    const exact = 'x'.repeat(MAX_CSV_RECORD_BYTES - 2);
    expect(await records([`a,${exact}\n`])).toHaveLength(1);
    expect(await records(kib(`a,${exact}\n`))).toHaveLength(1);
    expect(await records(kib(`a,"${exact}"\n`))).toHaveLength(1);
    await expect(records([`a,${exact}x\n`])).rejects.toThrow(/line 1 is larger than 65536 bytes/);
    await expect(records(kib(`a,${exact}x\n`))).rejects.toThrow(/line 1 is larger than 65536 bytes/);
    await expect(records(kib(`a,"${exact}x"\n`))).rejects.toThrow(/line 1 is larger than 65536 bytes/);
  });

  it('refuses an oversized field however it arrives', async () => {
    const big = 'y'.repeat(70_000);
    await expect(records(['id\n1\n', big])).rejects.toThrow(/line 3 is larger than 65536 bytes/);
    await expect(records([`id\n"${big}"\n`])).rejects.toThrow(SettlementParseError);
    // 1 KiB chunks of an unquoted field, and of a quoted one with a comma in it.
    await expect(records(kib(`id\n${big}`))).rejects.toThrow(SettlementParseError);
    await expect(records(kib(`id\n"a,${big}"`))).rejects.toThrow(SettlementParseError);
    // A line of nothing but separators is bounded too.
    await expect(records([','.repeat(70_000)])).rejects.toThrow(SettlementParseError);
  });

  it('counts the limit in UTF-8 bytes, not characters', async () => {
    // 21,000 x '€' is 63,000 bytes; 22,000 is 66,000 bytes but only 22,000 characters.
    expect(await records([`${'€'.repeat(21_000)}\n`])).toHaveLength(1);
    await expect(records([`${'€'.repeat(22_000)}\n`])).rejects.toThrow(SettlementParseError);
    await expect(records([`"${'€'.repeat(22_000)}"\n`])).rejects.toThrow(SettlementParseError);
  });

  it('hands over records in batches with CsvReader', () => {
    const reader = new CsvReader();
    const out: CsvRecord[] = [];
    reader.push('a,b\n1,', out);
    expect(out).toEqual([{ lineNumber: 1, fields: ['a', 'b'] }]);
    reader.push('2', out);
    reader.end(out);
    expect(out).toEqual([
      { lineNumber: 1, fields: ['a', 'b'] },
      { lineNumber: 2, fields: ['1', '2'] },
    ]);
  });
});
