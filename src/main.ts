import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { embeddedEnvironment } from './cli/embedded';
import { ConfigError, loadConfig, type Config } from './config';
import { createOrm, migrate } from './db';
import { ROLES, type Role } from './domain/enums';
import { AppError } from './errors/app-error';
import { createLogger } from './logger';
import { OrganizationService } from './services/organization.service';

const out = (line = '') => process.stdout.write(line + '\n');

/**
 * Loads a module when a command first needs it. The HTTP app, GraphQL schema, queues and simulators are only
 * required by the commands that run them, so `migrate`, `org:create` and `apikey:create` start in about a third of
 * the time (each CLI call compiles only what it loads).
 */
function lazy<T>(id: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(id) as T;
}
const err = (line: string) => process.stderr.write(line + '\n');

const USAGE = `Usage: lipa <command> [options]

Commands:
  start                         API + workers; with no DATABASE_URL/REDIS_URL starts embedded PostgreSQL and Redis (.lipa/)
  demo                          start with a demo organization served by local Fineract and MTN MoMo simulators
  serve                         API + workers (LIPA_WORKERS=false for API only)
  worker                        workers only
  migrate                       apply pending migrations
  org:create --name N           create an organization and print an ADMIN API key
  apikey:create --org ID --role ROLE [--name N]
  schema:emit                   write schema.graphql
  schema:check                  fail if schema.graphql is stale
`;

function parseFlags(args: string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) throw new AppError('BAD_USER_INPUT', `Unexpected argument "${a}"`);
    const [key, inline] = a.slice(2).split('=', 2);
    const value = inline ?? args[++i];
    if (value === undefined || value.startsWith('--'))
      throw new AppError('BAD_USER_INPUT', `--${key} needs a value`);
    flags[key] = value;
  }
  return flags;
}

async function configFor(
  command: string,
): Promise<{ config: Config; stopEmbedded: () => void; embedded: boolean }> {
  const env: Record<string, string | undefined> = { ...process.env };
  const embedded = await embeddedEnvironment(env);
  for (const note of embedded.notes) err(`lipa: ${note}`);
  Object.assign(env, {
    DATABASE_URL: env.DATABASE_URL ?? embedded.DATABASE_URL,
    REDIS_URL: env.REDIS_URL ?? embedded.REDIS_URL,
    LIPA_ENCRYPTION_KEY: env.LIPA_ENCRYPTION_KEY ?? embedded.LIPA_ENCRYPTION_KEY,
  });
  const config = loadConfig(env);
  // Servers started only for a one-shot command are left running for the next command (and npm start) to reuse.
  const stopEmbedded = () => {
    if (command === 'start' || command === 'demo') for (const stop of embedded.started.reverse()) stop();
  };
  return { config, stopEmbedded, embedded: !!embedded.DATABASE_URL };
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help') {
    out(USAGE);
    return command ? 0 : 1;
  }
  if (command === 'schema:emit' || command === 'schema:check') {
    const { lexicographicSortSchema, printSchema } = lazy<typeof import('graphql')>('graphql');
    const { buildLipaSchema } = lazy<typeof import('./schema/build-schema.js')>('./schema/build-schema');
    // Sorted, so the file depends on the API alone, not on the order modules happened to load in.
    const sdl = printSchema(lexicographicSortSchema(await buildLipaSchema())) + '\n';
    const file = path.resolve(__dirname, '..', 'schema.graphql');
    if (command === 'schema:emit') {
      fs.writeFileSync(file, sdl);
      out(`wrote ${file}`);
      return 0;
    }
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (current !== sdl) {
      err('schema.graphql is stale: run `npm run schema:emit` and commit the result');
      return 1;
    }
    out('schema.graphql is up to date');
    return 0;
  }

  const known = ['start', 'demo', 'serve', 'worker', 'migrate', 'org:create', 'apikey:create'];
  if (!known.includes(command)) {
    err(`Unknown command "${command}"\n\n${USAGE}`);
    return 1;
  }
  const flags = parseFlags(rest);
  const { config, stopEmbedded, embedded } = await configFor(command);
  const logger = createLogger({ level: config.logLevel });

  if (command === 'migrate' || command === 'org:create' || command === 'apikey:create') {
    const orm = await createOrm(config.databaseUrl, logger, 2);
    try {
      if (command === 'migrate' || embedded) {
        const applied = await migrate(orm);
        if (command === 'migrate')
          out(
            applied.length
              ? `applied ${applied.length} migration(s): ${applied.join(', ')}`
              : 'no pending migrations',
          );
      }
      const orgs = new OrganizationService(orm);
      if (command === 'org:create') {
        if (!flags.name) throw new AppError('BAD_USER_INPUT', 'org:create needs --name');
        const { organization, admin } = await orgs.createOrganization(flags.name, flags.timezone);
        out(`organization: ${organization.id} (${organization.name})`);
        out(`admin API key (shown once, store it now): ${admin.key}`);
      } else if (command === 'apikey:create') {
        if (!flags.org) throw new AppError('BAD_USER_INPUT', 'apikey:create needs --org');
        const role = (flags.role ?? '').toUpperCase();
        if (!ROLES.includes(role as Role))
          throw new AppError('BAD_USER_INPUT', `--role must be one of ${ROLES.join(', ')}`);
        const created = await orgs.createKeyForOrganization(
          flags.org,
          role as Role,
          flags.name ?? `${role.toLowerCase()} key`,
        );
        out(`API key ${created.apiKey.id} (${role}, shown once, store it now): ${created.key}`);
      }
    } finally {
      await orm.close(true);
    }
    return 0;
  }

  if (command === 'demo') {
    const { runDemo } = lazy<typeof import('./cli/demo.js')>('./cli/demo');
    const stopDemo = await runDemo(config, logger);
    await new Promise<void>((resolve) => {
      const stop = () => {
        stopDemo()
          .catch((e) => logger.error({ err: e }, 'error during shutdown'))
          .finally(() => {
            stopEmbedded();
            resolve();
          });
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    return 0;
  }

  // Long-running commands.
  if (embedded) {
    const orm = await createOrm(config.databaseUrl, logger, 2);
    const applied = await migrate(orm);
    await orm.close(true);
    if (applied.length) logger.info({ applied }, 'applied migrations to the embedded database');
  }
  // Loaded only by the commands that run the hub: migrate, org:create and apikey:create start much faster.
  const { createRuntime } = lazy<typeof import('./runtime.js')>('./runtime');
  const runtime = await createRuntime(config, {
    http: command !== 'worker',
    workers: command === 'worker' || command === 'start' || config.runWorkers,
    logger,
  });
  const { port } = await runtime.start();
  // Listen for the stop signals before saying the hub is running: whoever waits for that line may signal at once.
  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      runtime
        .stop()
        .catch((e) => logger.error({ err: e }, 'error during shutdown'))
        .finally(() => {
          stopEmbedded();
          resolve();
        });
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  if (port !== undefined) {
    out(
      `Lipa is running: GraphQL at http://localhost:${port}/graphql  (health: /healthz, readiness: /readyz)`,
    );
    if (embedded)
      out('Create an organization and API key in another terminal: npx lipa org:create --name "My Lender"');
  } else {
    out('Lipa workers are running');
  }

  await stopped;
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2))
    .then((code) => process.exit(code))
    .catch((e: unknown) => {
      if (e instanceof ConfigError) err(e.message);
      else if (e instanceof AppError) err(`lipa: ${e.message}`);
      else err(`lipa: ${(e as Error).stack ?? String(e)}`);
      process.exit(1);
    });
}
