import type { ParsedSettlementLine } from './types';

/** Between a fee's id and its payout in its key: a control character, which no rail puts in an id. */
const KEY_SEPARATOR = '\u001f';

/**
 * What makes two statement lines (of one kind) the same transaction: the rail's id, or a payout's reference. A fee's
 * or adjustment's id is often the payment it concerns (GoCardless), which a later payout can name again (a fee
 * refunded): its payout, when it has one, is part of its key. Null when a line has no id (it cannot repeat). The
 * reconciliation run's LINE_KEY says the same in SQL.
 */
export function settlementLineKey(
  line: Pick<ParsedSettlementLine, 'kind' | 'providerTransactionId' | 'payoutReference'>,
): string | null {
  const id = line.providerTransactionId ?? (line.kind === 'PAYOUT' ? line.payoutReference : null);
  if (id !== null && line.payoutReference !== null && (line.kind === 'FEE' || line.kind === 'ADJUSTMENT'))
    return `${id}${KEY_SEPARATOR}${line.payoutReference}`;
  return id;
}

export interface RepeatedKey {
  kind: string;
  key: string;
}

/**
 * Finds the keys a statement lists more than once while it streams past, so a run over that one statement need not
 * group a million lines by key to find the few that repeat.
 *
 * Each (kind, key) is hashed to 32 bits into an open-addressing table of hashes (4 bytes a line, no strings kept).
 * A key whose hash is already in the table is a candidate. Every key listed twice is a candidate; so is a key that
 * merely shares a hash with an earlier one (about n²/2³³ of them: ~116 for a million lines). The run ranks the
 * candidates' lines exactly, by key, so a stray candidate is one line ranked first of one, as if it were not listed.
 *
 * More than `maxCandidates` candidates (a file of mostly repeats) and the finder gives up: `result()` is null and the
 * run groups the lines itself.
 */
export class RepeatedKeyFinder {
  private table = new Int32Array(1 << 16);
  private used = 0;
  private readonly candidates = new Map<string, RepeatedKey>();
  private overflowed = false;

  constructor(
    private readonly maxCandidates = 100_000,
    /** FNV-1a of kind and key; replaceable only so tests can force collisions. */
    private readonly hash: (kind: string, key: string) => number = fnv1a,
  ) {}

  add(kind: string, key: string | null): void {
    if (key === null || this.overflowed) return;
    const h = this.hash(kind, key) | 0 || 1; // 0 marks an empty slot
    const mask = this.table.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const slot = this.table[i];
      if (slot === 0) {
        this.table[i] = h;
        if (++this.used * 2 > this.table.length) this.grow();
        return;
      }
      if (slot === h) {
        const id = `${kind}\u0000${key}`;
        if (!this.candidates.has(id)) {
          if (this.candidates.size >= this.maxCandidates) {
            this.overflowed = true;
            this.candidates.clear();
            this.table = new Int32Array(0);
            return;
          }
          this.candidates.set(id, { kind, key });
        }
        return;
      }
    }
  }

  /** The candidate keys (each once), or null if there were too many to list. */
  result(): RepeatedKey[] | null {
    return this.overflowed ? null : [...this.candidates.values()];
  }

  private grow(): void {
    const old = this.table;
    const table = new Int32Array(old.length * 2);
    const mask = table.length - 1;
    for (const h of old) {
      if (h === 0) continue;
      let i = h & mask;
      while (table[i] !== 0) i = (i + 1) & mask;
      table[i] = h;
    }
    this.table = table;
  }
}

function fnv1a(kind: string, key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < kind.length; i++) h = Math.imul(h ^ kind.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0xff, 0x01000193); // between kind and key
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  // Mixed (murmur3's finaliser): the table indexes by the low bits, which FNV alone spreads poorly.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}
