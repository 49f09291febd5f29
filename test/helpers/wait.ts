/**
 * Polls `fn` every 50 ms until it returns something truthy, and returns that; fails after `ms`. For state that
 * workers change in the background (queued jobs, callbacks), where a fixed sleep would be either slow or flaky.
 */
export async function until<T>(fn: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
