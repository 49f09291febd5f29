import 'reflect-metadata';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import http from 'node:http';
import type { GraphQLContext } from './context';
import { AppError } from './errors/app-error';
import { HTTP_STATUS_BY_CODE } from './errors/codes';
import { formatGraphQLError, toAppError } from './errors/graphql';
import { reconciliationRouter } from './http/reconciliation-routes';
import { complexityLimitPlugin, depthLimitRule } from './http/graphql-limits';
import { Metrics } from './http/metrics';
import { createHookHandler } from './http/hooks';
import { loggablePath, startRequest } from './http/request-context';
import { opsRouter } from './http/routes';
import { createLoaders } from './resolvers/loaders';
import { buildLipaSchema } from './schema/build-schema';
import type { Services } from './services/container';
import { scopedFork } from './services/scope';

export interface LipaApp {
  app: express.Express;
  httpServer: http.Server;
  apollo: ApolloServer<GraphQLContext>;
  schema: GraphQLSchema;
  metrics: Metrics;
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

/** Builds the HTTP app (express + Apollo) without listening; tests and `lipa serve` both use it. */
export async function buildApp(services: Services): Promise<LipaApp> {
  const { config, logger } = services;
  const schema = await buildLipaSchema();
  const metrics = new Metrics();
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('trust proxy', 'loopback');
  // Rail callbacks take the plain node:http path (src/http/hooks.ts); everything else goes through express.
  const hooks = createHookHandler(services, metrics, logger);
  const httpServer = http.createServer((req, res) => {
    if (hooks.matches(req)) hooks.handle(req, res);
    else app(req, res);
  });

  // One log line per request, with a request id (echoed back) and no personal data.
  app.use((req, res, next) => {
    const ctx = startRequest(req, res, logger, metrics);
    res.locals.requestId = ctx.requestId;
    Object.defineProperty(res.locals, 'logger', { get: () => ctx.logger, enumerable: true });
    next();
  });

  app.use(opsRouter(services, metrics));
  app.use('/v1', reconciliationRouter(services));

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: config.graphql.playground || config.env !== 'production',
    validationRules: [depthLimitRule(config.graphql.maxDepth)],
    formatError: formatGraphQLError(logger),
    includeStacktraceInErrorResponses: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      complexityLimitPlugin(schema, config.graphql.maxComplexity),
      config.graphql.playground
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true })
        : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  app.use(
    '/graphql',
    express.json({ limit: config.bodyLimit }),
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<GraphQLContext> => {
        const requestLogger = (res.locals.logger as typeof logger) ?? logger;
        let principal = null;
        try {
          principal = await services.authenticator.authenticate(req.header('authorization'));
        } catch (err) {
          // Bad credentials fail the whole request with 401 (not a partial GraphQL result).
          const app = toAppError(err) ?? new AppError('UNAUTHENTICATED', 'Invalid credentials');
          throw new GraphQLError(app.message, {
            extensions: { code: app.code, http: { status: HTTP_STATUS_BY_CODE[app.code] } },
          });
        }
        const em = scopedFork(services.orm.em, principal?.organizationId ?? '__anonymous__');
        const ctx: GraphQLContext = {
          requestId: String(res.locals.requestId),
          principal,
          em,
          logger: principal
            ? requestLogger.child({ org: principal.organizationId, role: principal.role })
            : requestLogger,
          services,
          loaders: undefined as never,
          idempotencyKey: req.header('idempotency-key') ?? null,
        };
        ctx.loaders = createLoaders(services, () => ({ em, principal: principal!, logger: ctx.logger }));
        return ctx;
      },
    }),
  );

  app.use((_req, res) => {
    res.status(404).json({ error: 'NOT_FOUND', message: 'No such endpoint' });
  });

  // Errors outside GraphQL execution: malformed JSON, oversized bodies, failed authentication, bugs.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    void _next;
    const e = err as { type?: string; status?: number; appError?: AppError; message?: string };
    let code: keyof typeof HTTP_STATUS_BY_CODE = 'INTERNAL_SERVER_ERROR';
    let message = 'Something went wrong on our side';
    let status = 500;
    if (e.appError) {
      code = e.appError.code;
      message = e.appError.message;
      status = HTTP_STATUS_BY_CODE[code];
    } else if (e.type === 'entity.too.large') {
      code = 'BAD_USER_INPUT';
      message = `Request body is larger than ${config.bodyLimit}`;
      status = 413;
    } else if (e.type === 'entity.parse.failed') {
      code = 'BAD_USER_INPUT';
      message = 'Request body is not valid JSON';
      status = 400;
    } else if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
      code = 'BAD_USER_INPUT';
      message = 'Unsupported request encoding';
      status = 415;
    } else {
      ((res.locals.logger as typeof logger) ?? logger).error(
        { err, path: loggablePath(req.originalUrl) },
        'unhandled error',
      );
    }
    if (res.headersSent) return;
    if (req.originalUrl.startsWith('/graphql'))
      res.status(status).json({ errors: [{ message, extensions: { code } }] });
    else res.status(status).json({ error: code, message });
  });

  return {
    app,
    httpServer,
    apollo,
    schema,
    metrics,
    listen: (port, host = '0.0.0.0') =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => resolve((httpServer.address() as { port: number }).port));
      }),
    close: async () => {
      await apollo.stop();
      if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}
