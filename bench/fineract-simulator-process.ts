/**
 * The Fineract simulator in a process of its own for the lending-sync benchmark: a lender is another system, so its
 * JSON encoding should not share the sync's CPU and memory. Started with IPC by bench/lending-sync.ts; answers
 * `{ type: 'mutate', count }` with `{ type: 'mutated', ids }`. Options come as JSON in argv[2].
 */
import { startFineractSimulator } from '../src/simulators/fineract';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}');
  const sim = await startFineractSimulator({ ...options, port: 0 });
  process.on('message', (msg: { type: string; count?: number }) => {
    if (msg.type === 'mutate') process.send!({ type: 'mutated', ids: sim.state.mutate(msg.count ?? 0) });
  });
  process.on('disconnect', () => void sim.close().finally(() => process.exit(0)));
  process.send!({ type: 'ready', url: sim.url });
}

void main();
