import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import { createOrm, migrate } from '../db';
import { freePort } from '../db/servers';
import type { Logger } from '../logger';
import { createRuntime } from '../runtime';
import { scopedFork, type Scope } from '../services/scope';
import { startFineractSimulator } from '../simulators/fineract';
import { startMtnMomoSimulator } from '../simulators/mtn-momo';

const out = (line = '') => process.stdout.write(line + '\n');

/**
 * `npm run demo`: a hub on the embedded database with a demo organization whose lending system (Fineract) and rail
 * (MTN MoMo Uganda) are local simulators on loopback. It syncs the loan book, replays a batch of pay-now requests
 * (most succeed, some are declined), prints an ADMIN key and example queries, and runs until Ctrl-C.
 */
export async function runDemo(config: Config, logger: Logger): Promise<() => Promise<void>> {
  const orm = await createOrm(config.databaseUrl, logger, 2);
  await migrate(orm);
  await orm.close(true);

  const port = config.port || (await freePort());
  const demoConfig: Config = Object.freeze({ ...config, port, publicUrl: `http://127.0.0.1:${port}` });
  const fineract = await startFineractSimulator({
    port: 0,
    loans: 500,
    seed: 2026,
    currency: 'UGX',
    tenantId: 'default',
    username: 'mifos',
    password: 'password',
  });
  const momoCreds = {
    apiUser: randomUUID(),
    apiKey: randomUUID().replace(/-/g, ''),
    subscriptionKey: randomUUID().replace(/-/g, ''),
  };
  // Phones ending in 0 are declined by the simulated payer (insufficient funds); the rest pay.
  const momo = await startMtnMomoSimulator({
    port: 0,
    ...momoCreds,
    callbackDelayMs: 200,
    outcome: (r) => (r.msisdn.endsWith('0') ? 'FAILED' : 'SUCCESSFUL'),
    failureReason: 'NOT_ENOUGH_FUNDS',
  });
  const runtime = await createRuntime(demoConfig, { http: true, workers: true, logger });
  await runtime.start();

  const services = runtime.services;
  const { organization, admin } = await services.organizations.createOrganization(
    `Demo Lender ${new Date().toISOString().slice(0, 16)}`,
    'Africa/Kampala',
  );
  const scope = (): Scope => ({
    em: scopedFork(runtime.orm.em, organization.id),
    principal: {
      organizationId: organization.id,
      role: 'ADMIN',
      actorType: 'API_KEY',
      actorId: admin.apiKey.id,
      name: 'demo',
    },
    logger,
  });
  const lending = await services.sources.registerLendingSource(scope(), {
    kind: 'FINERACT',
    name: 'Fineract (simulator)',
    baseUrl: fineract.url,
    credentials: { username: 'mifos', password: 'password', tenantId: 'default' },
  });
  const run = await services.sync.startSync(scope(), lending.id, 'FULL');
  for (let i = 0; i < 600; i++) {
    const r = await services.sync.getRun(scope(), run.id);
    if (r.status !== 'QUEUED' && r.status !== 'RUNNING') break;
    await new Promise((res) => setTimeout(res, 100));
  }
  const rail = await services.sources.registerPaymentSource(scope(), {
    kind: 'MTN_MOMO',
    name: 'MTN MoMo Uganda (simulator)',
    baseUrl: momo.url,
    credentials: { ...momoCreds, targetEnvironment: 'mtnuganda' },
    lendingSourceId: lending.id,
  });

  // A day of pay-now requests: 40 active loans, one prompt each.
  const loans = await runtime.orm.em
    .getConnection()
    .execute<Array<{ id: string; lender_outstanding_minor: string }>>(
      `select id, lender_outstanding_minor::text from loan_account where organization_id = ? and status = 'ACTIVE' and lender_outstanding_minor > 20000 order by id limit 40`,
      [organization.id],
    );
  let sent = 0;
  for (const [i, loan] of loans.entries()) {
    const amount = String(5_000 + (i % 8) * 2_500);
    try {
      await services.paymentRequests.requestPayment(scope(), {
        loanAccountId: loan.id,
        sourceId: rail.id,
        amount: { amount, currency: 'UGX' },
        phoneNumber: `2567721234${String(i).padStart(2, '0')}`,
      });
      sent++;
    } catch (err) {
      logger.warn({ err }, 'demo payment request failed');
    }
  }
  await new Promise((res) => setTimeout(res, 3_000));

  out('');
  out(`Lipa demo is running: GraphQL at http://localhost:${port}/graphql`);
  out(`Organization: ${organization.name} (${organization.id})`);
  out(`ADMIN API key (shown once): ${admin.key}`);
  out(
    `Simulators: Fineract ${fineract.url}, MTN MoMo ${momo.url}; ${loans.length ? sent : 0} pay-now requests replayed.`,
  );
  out('');
  out('Try:');
  out(
    `  curl -s localhost:${port}/graphql -H 'content-type: application/json' -H 'authorization: Bearer ${admin.key}' \\`,
  );
  out(
    `    -d '{"query":"{ payments(first: 5) { totalCount edges { node { status reconciliationState amount { amount currency } loanAccount { accountNumber balance { amount } } } } } }"}'`,
  );
  out(
    '  Other queries: { loanAccounts(first: 5, filter: { agingBucket: D31_60 }) { edges { node { accountNumber balance { amount } daysPastDue } } } }',
  );
  out(
    '                 { sources { name status } }   { discrepancies(first: 5) { edges { node { type summary } } } }',
  );
  out('Press Ctrl-C to stop.');

  return async () => {
    await runtime.stop();
    await fineract.close();
    await momo.close();
  };
}
