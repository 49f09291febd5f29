/**
 * `npm run bench` runs every benchmark; `npm run bench -- <name> [...]` runs the named ones.
 * Benchmarks use the machine's PostgreSQL and Redis on loopback (BENCH_DATABASE_URL / BENCH_REDIS_URL override).
 */
import { out } from './lib';

// Loaded lazily (CommonJS require) so one benchmark's dependencies do not slow or break the others.
const BENCHES: Record<string, () => Promise<void>> = {
  'lending-sync': () => (require('./lending-sync') as { run: () => Promise<void> }).run(),
  ingest: () => (require('./ingest') as { run: () => Promise<void> }).run(),
  reconciliation: () => (require('./reconciliation') as { run: () => Promise<void> }).run(),
};

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const selected = names.length ? names : Object.keys(BENCHES);
  for (const name of selected) {
    const bench = BENCHES[name];
    if (!bench) {
      out(`unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(', ')}`);
      process.exitCode = 1;
      continue;
    }
    out(`\n=== ${name} ===`);
    await bench();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
