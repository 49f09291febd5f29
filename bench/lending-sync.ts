/**
 * Issue "Lending systems" performance: full sync of 100,000 loans from the Fineract simulator on loopback in <= 60 s
 * with RSS <= 512 MB, and an incremental sync of 1,000 changed loans in <= 5 s. The sync runs in this process
 * (service call, as the job would run it); the simulator runs in a child process, as a lender is another system
 * (BENCH_SIM_IN_PROCESS=true puts it back in this process, sharing its CPU and memory, for comparison).
 * RSS is this process's peak, plus the simulator's when it shares the process.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { builtinRegistry } from '../src/connectors/builtin';
import { createLogger } from '../src/logger';
import { createRuntime } from '../src/runtime';
import { scopedFork } from '../src/services/scope';
import { startFineractSimulator } from '../src/simulators/fineract';
import { ENCRYPTION_KEY, REDIS_URL, dropDatabase, out, scratchDatabase, table, verdict } from './lib';

const LOANS = Number(process.env.BENCH_LOANS ?? 100_000);
const CHANGED = Number(process.env.BENCH_CHANGED ?? 1_000);
const SIM_IN_PROCESS = process.env.BENCH_SIM_IN_PROCESS === 'true';

interface SimHandle {
  url: string;
  inProcess: boolean;
  mutate(count: number): Promise<void>;
  close(): Promise<void>;
}

async function startSimulator(
  options: Omit<Parameters<typeof startFineractSimulator>[0], 'port'>,
): Promise<SimHandle> {
  if (SIM_IN_PROCESS) {
    const sim = await startFineractSimulator({ ...options, port: 0 });
    return {
      url: sim.url,
      inProcess: true,
      mutate: async (count) => void sim.state.mutate(count),
      close: () => sim.close(),
    };
  }
  const child = fork(path.join(__dirname, 'fineract-simulator-process.ts'), [JSON.stringify(options)], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exited: Error | null = null;
  child.once('exit', (code) => (exited = new Error(`simulator exited (${code})`)));
  const next = (type: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const onMessage = (msg: Record<string, unknown>) => {
        if (msg.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(msg);
      };
      const onExit = () => reject(exited);
      if (exited) return reject(exited);
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ready = await next('ready');
  return {
    url: String(ready.url),
    inProcess: false,
    mutate: async (count) => {
      const done = next('mutated');
      child.send({ type: 'mutate', count });
      await done;
    },
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.disconnect();
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

export async function run(): Promise<void> {
  const dbName = 'lipa_bench_sync';
  const databaseUrl = await scratchDatabase(dbName);
  const sim = await startSimulator({
    loans: LOANS,
    seed: 42,
    currency: 'UGX',
    tenantId: 'default',
    username: 'mifos',
    password: 'password',
  });
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    LIPA_ENCRYPTION_KEY: ENCRYPTION_KEY,
    LOG_LEVEL: 'silent',
    PORT: '0',
    LIPA_QUEUE_PREFIX: 'lipabench-sync',
    NODE_ENV: 'production',
  });
  const runtime = await createRuntime(config, {
    http: false,
    workers: false,
    logger: createLogger({ level: 'silent' }),
    registry: builtinRegistry(),
    connectorRuntime: { http: { timeoutMs: 30_000, maxRetries: 2 } },
  });
  try {
    const { organization } = await runtime.services.organizations.createOrganization('Bench Lender');
    const em = scopedFork(runtime.orm.em, organization.id);
    const scope = {
      em,
      principal: {
        organizationId: organization.id,
        role: 'ADMIN' as const,
        actorType: 'API_KEY' as const,
        actorId: 'bench',
        name: 'bench',
      },
      logger: runtime.logger,
    };
    const source = await runtime.services.sources.registerLendingSource(scope, {
      kind: 'FINERACT',
      name: 'Simulator',
      baseUrl: sim.url,
      credentials: { username: 'mifos', password: 'password', tenantId: 'default' },
    });

    let peakRss = 0;
    const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
    const fullRun = await runtime.services.sync.startSync(
      { ...scope, em: scopedFork(runtime.orm.em, organization.id) },
      source.id,
      'FULL',
    );
    const t0 = process.hrtime.bigint();
    const full = await runtime.services.sync.runSync(organization.id, fullRun.id);
    const fullSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    clearInterval(rssTimer);

    await sim.mutate(CHANGED);
    const incRun = await runtime.services.sync.startSync(
      { ...scope, em: scopedFork(runtime.orm.em, organization.id) },
      source.id,
      'INCREMENTAL',
    );
    const t1 = process.hrtime.bigint();
    const inc = await runtime.services.sync.runSync(organization.id, incRun.id);
    const incSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
    const changedRows = await runtime.orm.em
      .getConnection()
      .execute<Array<{ n: string }>>(`select count(*)::text as n from loan_account where updated_at >= ?`, [
        inc.startedAt,
      ]);

    const rssMb = Math.round(peakRss / 1024 / 1024);
    out(
      `loans: ${LOANS}, changed for incremental: ${CHANGED}; PostgreSQL and the simulator on loopback ` +
        `(simulator ${sim.inProcess ? 'in this process' : 'in its own process'})`,
    );
    table([
      {
        measure: 'full sync',
        loans: full.processed,
        seconds: fullSeconds.toFixed(2),
        'loans/s': Math.round(full.processed / fullSeconds),
        target: '<= 60 s',
        result: verdict(fullSeconds <= 60),
      },
      {
        measure: sim.inProcess ? 'peak RSS (sync + simulator)' : 'peak RSS (sync process)',
        loans: '',
        seconds: '',
        'loans/s': `${rssMb} MB`,
        target: '<= 512 MB',
        result: verdict(rssMb <= 512),
      },
      {
        measure: 'incremental sync',
        loans: `${changedRows[0].n} rewritten / ${inc.processed} scanned`,
        seconds: incSeconds.toFixed(2),
        'loans/s': Math.round(inc.processed / incSeconds),
        target: '<= 5 s',
        result: verdict(incSeconds <= 5),
      },
    ]);
    out(`full sync status ${full.status} (failed ${full.failed}); incremental status ${inc.status}`);
  } finally {
    await runtime.stop();
    await sim.close();
    await dropDatabase(dbName);
  }
}
