/**
 * Groups concurrent calls into one batch (group commit): each `submit` resolves with its own result once the batch
 * it joined has been flushed. A batch is flushed when it reaches `maxSize` or `maxDelayMs` after its first item;
 * while a flush runs, new items gather for the next one, so under load batches grow and round trips shrink.
 */
export class Batcher<T, R> {
  private pending: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private timer: NodeJS.Timeout | null = null;
  private inflight = 0;

  constructor(
    private readonly flushFn: (items: T[]) => Promise<R[]>,
    private readonly options: { maxSize: number; maxDelayMs: number; maxConcurrentFlushes?: number },
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.options.maxSize) this.flushSoon(0);
      else if (!this.timer) this.flushSoon(this.options.maxDelayMs);
    });
  }

  private flushSoon(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, delay);
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    if (this.inflight >= (this.options.maxConcurrentFlushes ?? 4)) {
      this.flushSoon(1);
      return;
    }
    const batch = this.pending.splice(0, this.options.maxSize);
    if (this.pending.length > 0) this.flushSoon(0);
    this.inflight++;
    try {
      const results = await this.flushFn(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(results[i]));
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      this.inflight--;
    }
  }
}
