/**
 * A streaming RFC 4180 CSV reader for statement files.
 *
 * - Chunks may split the input anywhere: inside a quoted field, between `\r` and `\n`, inside a multi-byte UTF-8
 *   character (bytes are decoded with a streaming `TextDecoder`), or inside the UTF-8 byte-order mark.
 * - Records end at CRLF, LF or a lone CR. Quoted fields may hold commas, line breaks and doubled quotes (`""`).
 *   Text after a closing quote and before the next delimiter is kept as is (`"ab"c` reads `abc`), as spreadsheet
 *   programs do, rather than failing the whole file.
 * - Blank lines are skipped. `lineNumber` is the 1-based physical line on which a record starts, so a record after a
 *   quoted multi-line field reports the line a text editor shows.
 * - Hostile input is bounded: a record (its fields' UTF-8 bytes plus separators) larger than
 *   {@link MAX_CSV_RECORD_BYTES} and a quote left open at the end of the file throw {@link SettlementParseError}.
 *   Bytes that are not valid UTF-8 are read as U+FFFD rather than failing the file.
 *
 * Speed: whole lines without quotes are split with `indexOf`/`split` in one step; quoted fields are copied with
 * `indexOf('"')` and `slice`. Strings are only concatenated where a field crosses a chunk boundary or holds an
 * escaped quote, never per character.
 */
import { SettlementParseError } from './types';

/** The largest record (and so the largest field) accepted, in UTF-8 bytes of its content: 64 KiB. */
export const MAX_CSV_RECORD_BYTES = 64 * 1024;

export interface CsvRecord {
  /** 1-based physical line on which the record starts. */
  lineNumber: number;
  fields: string[];
}

export type CsvChunk = Buffer | Uint8Array | string;
export type CsvInput = AsyncIterable<CsvChunk> | Iterable<CsvChunk>;

const LF = 10;
const CR = 13;
const QUOTE = 34;
const COMMA = 44;

/** A UTF-16 code unit is at most 3 UTF-8 bytes, so a record this short (in code units) cannot be too large. */
const SAFE_CHARS = Math.floor(MAX_CSV_RECORD_BYTES / 3);

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** Inside a quoted field, just after a `"`: a second `"` is an escaped quote, anything else closes the field. */
const QUOTE_SEEN = 3;

function tooLarge(line: number): SettlementParseError {
  return new SettlementParseError(
    `The record starting on line ${line} is larger than ${MAX_CSV_RECORD_BYTES} bytes (limit for one CSV record)`,
  );
}

/**
 * The incremental parser behind {@link readCsv}: feed it chunks with {@link push} and call {@link end} once; each
 * call appends the records it completed to `out`. Synchronous, so callers can consume a chunk's records in a batch.
 */
export class CsvReader {
  private readonly decoder = new TextDecoder('utf-8');
  private decodedBytes = false;
  private started = false;
  private state = FIELD_START;
  private fields: string[] = [];
  private field = '';
  private fieldQuoted = false;
  /** The previous chunk ended a record with `\r`: skip a `\n` at the start of the next one. */
  private pendingCR = false;
  /** A quoted field's content ended a chunk with `\r`: whether it was a line break depends on the next character. */
  private quotedCR = false;
  /** Physical line (1-based) of the current position. */
  private line = 1;
  private recordLine = 1;
  private recordChars = 0;
  /** Exact UTF-8 size of the current record, tracked only once it could exceed the limit (-1 until then). */
  private recordBytes = -1;
  private ended = false;

  push(chunk: CsvChunk, out: CsvRecord[]): void {
    if (this.ended) throw new Error('CsvReader: push after end');
    let text: string;
    if (typeof chunk === 'string') {
      // A string after bytes that ended inside a character: flush the decoder (the broken character reads U+FFFD).
      text = this.decodedBytes ? this.decoder.decode() + chunk : chunk;
      this.decodedBytes = false;
      if (!this.started && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    } else {
      text = this.decoder.decode(chunk, { stream: true });
      this.decodedBytes = true;
    }
    if (text.length > 0) {
      this.started = true;
      this.scan(text, out);
    }
  }

  end(out: CsvRecord[]): void {
    if (this.ended) return;
    if (this.decodedBytes) {
      const rest = this.decoder.decode();
      if (rest) this.scan(rest, out);
    }
    this.ended = true;
    switch (this.state) {
      case QUOTED:
        throw new SettlementParseError(
          `Unterminated quoted field: the quote opened in the record starting on line ${this.recordLine} is never closed`,
        );
      case QUOTE_SEEN:
      case UNQUOTED:
        this.endRecord(out);
        break;
      case FIELD_START:
        // After a trailing comma the record has one more (empty) field; at a record start there is nothing.
        if (this.fields.length > 0) this.endRecord(out);
        break;
    }
  }

  private scan(s: string, out: CsvRecord[]): void {
    const n = s.length;
    let i = 0;
    /** Position of the next `\n` at or after i; -2 unknown, -1 none left in `s`. */
    let nl = -2;
    while (i < n) {
      if (this.pendingCR) {
        this.pendingCR = false;
        if (s.charCodeAt(i) === LF) {
          i++;
          continue;
        }
      }
      if (this.state === FIELD_START && this.fields.length === 0) {
        // At a record start: a whole line without quotes or stray CRs is split in one go.
        if (nl !== -1 && nl < i) nl = s.indexOf('\n', i);
        if (nl !== -1) {
          const end = nl > i && s.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
          const lineText = s.slice(i, end);
          if (lineText.indexOf('"') === -1 && lineText.indexOf('\r') === -1) {
            if (lineText.length > SAFE_CHARS && Buffer.byteLength(lineText) > MAX_CSV_RECORD_BYTES)
              throw tooLarge(this.line);
            if (lineText.length > 0) out.push({ lineNumber: this.line, fields: lineText.split(',') });
            this.line++;
            i = nl + 1;
            continue;
          }
        }
      }
      i = this.step(s, i, out);
    }
  }

  /** Reads from `i` until the current record ends or `s` runs out; returns the next position. */
  private step(s: string, i: number, out: CsvRecord[]): number {
    const n = s.length;
    if (this.state === FIELD_START && this.fields.length === 0) this.recordLine = this.line;
    while (i < n) {
      switch (this.state) {
        case FIELD_START:
          if (s.charCodeAt(i) === QUOTE) {
            this.state = QUOTED;
            this.fieldQuoted = true;
            i++;
          } else {
            this.state = UNQUOTED;
          }
          break;
        case UNQUOTED: {
          let j = i;
          let c = 0;
          while (j < n) {
            c = s.charCodeAt(j);
            if (c === COMMA || c === LF || c === CR) break;
            j++;
          }
          if (j > i) this.append(s.slice(i, j));
          if (j === n) return n;
          if (c === COMMA) {
            this.endField();
            i = j + 1;
            break;
          }
          this.endRecord(out);
          this.line++;
          if (c === CR) this.pendingCR = true;
          return j + 1;
        }
        case QUOTED: {
          if (this.quotedCR) {
            this.quotedCR = false;
            if (s.charCodeAt(i) !== LF) this.line++;
          }
          const q = s.indexOf('"', i);
          const end = q === -1 ? n : q;
          if (end > i) {
            const part = s.slice(i, end);
            this.append(part);
            this.countBreaks(part, q === -1 ? -1 : QUOTE);
          }
          if (q === -1) return n;
          this.state = QUOTE_SEEN;
          i = q + 1;
          break;
        }
        case QUOTE_SEEN:
          if (s.charCodeAt(i) === QUOTE) {
            this.append('"');
            this.state = QUOTED;
            i++;
          } else {
            this.state = UNQUOTED;
          }
          break;
      }
    }
    return i;
  }

  /** Advances the line count for line breaks inside quoted content; `next` is the character after it (-1 unknown). */
  private countBreaks(part: string, next: number): void {
    let k = part.indexOf('\n');
    while (k !== -1) {
      this.line++;
      k = part.indexOf('\n', k + 1);
    }
    k = part.indexOf('\r');
    while (k !== -1) {
      const after = k + 1 < part.length ? part.charCodeAt(k + 1) : next;
      if (after === -1) this.quotedCR = true;
      else if (after !== LF) this.line++;
      k = part.indexOf('\r', k + 1);
    }
  }

  private append(text: string): void {
    this.field += text;
    this.account(text);
  }

  private account(text: string): void {
    if (this.recordBytes < 0) {
      this.recordChars += text.length;
      if (this.recordChars <= SAFE_CHARS) return;
      // From here on count exact bytes: the fields so far, one separator after each, and the current field.
      this.recordBytes =
        (this.fields.length > 0 ? Buffer.byteLength(this.fields.join(',')) + 1 : 0) +
        Buffer.byteLength(this.field);
    } else {
      this.recordBytes += Buffer.byteLength(text);
    }
    if (this.recordBytes > MAX_CSV_RECORD_BYTES) throw tooLarge(this.recordLine);
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.fieldQuoted = false;
    this.state = FIELD_START;
    this.account(',');
  }

  private endRecord(out: CsvRecord[]): void {
    const fields = this.fields;
    const blank = fields.length === 0 && this.field === '' && !this.fieldQuoted;
    fields.push(this.field);
    if (!blank) out.push({ lineNumber: this.recordLine, fields });
    this.fields = [];
    this.field = '';
    this.fieldQuoted = false;
    this.state = FIELD_START;
    this.recordChars = 0;
    this.recordBytes = -1;
  }
}

/** The records of a CSV stream, one array per input chunk (only non-empty arrays are yielded). */
export async function* readCsvBatches(chunks: CsvInput): AsyncGenerator<CsvRecord[]> {
  const reader = new CsvReader();
  for await (const chunk of chunks) {
    const out: CsvRecord[] = [];
    reader.push(chunk, out);
    if (out.length > 0) yield out;
  }
  const out: CsvRecord[] = [];
  reader.end(out);
  if (out.length > 0) yield out;
}

/** Reads RFC 4180 CSV from chunks of bytes (UTF-8) or text; see the module comment for the rules. */
export async function* readCsv(
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
): AsyncGenerator<CsvRecord> {
  for await (const batch of readCsvBatches(chunks)) {
    for (const record of batch) yield record;
  }
}
