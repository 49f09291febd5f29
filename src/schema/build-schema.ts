import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { authChecker } from '../auth/auth-checker';
import { RESOLVERS } from '../resolvers';
import { DateTimeScalar } from './common/scalars';
import './common/enums';

let cached: Promise<GraphQLSchema> | undefined;

/** Builds the executable schema once per process (type-graphql metadata is global). */
export function buildLipaSchema(): Promise<GraphQLSchema> {
  cached ??= buildSchema({
    resolvers: RESOLVERS,
    authChecker,
    authMode: 'error',
    validate: { forbidUnknownValues: false, whitelist: false },
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    emitSchemaFile: false,
  });
  return cached;
}
