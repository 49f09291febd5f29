import { unwrapResolverError } from '@apollo/server/errors';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError, AuthenticationError, AuthorizationError } from 'type-graphql';
import { ConnectorError } from '../connectors/errors';
import { MoneyError } from '../domain/money';
import type { Logger } from '../logger';
import { AppError } from './app-error';
import { ERROR_CODES, type ErrorCode } from './codes';

const GENERIC_INTERNAL =
  'Something went wrong on our side. It has been logged; please retry or contact support.';

/** Connector failures as clients see them: the provider's own message is logged, not returned. */
export function connectorErrorToAppError(err: ConnectorError): AppError {
  switch (err.code) {
    case 'AUTH_CONFIG_INVALID':
      return new AppError('BAD_USER_INPUT', `${err.connector}: ${err.message}`, { cause: err });
    case 'CURRENCY_UNSUPPORTED':
    case 'REQUEST_ENCODING_FAILED':
    case 'DECLINED':
    case 'FLOW_NOT_SUPPORTED':
      return new AppError('BAD_USER_INPUT', `${err.connector}: ${err.message}`, {
        cause: err,
        details: { providerCode: err.providerCode },
      });
    case 'NOT_FOUND':
      return new AppError('NOT_FOUND', `${err.connector}: the resource was not found at the provider`, {
        cause: err,
      });
    case 'RATE_LIMITED':
      return new AppError('RATE_LIMITED', `${err.connector} is rate limiting; retry later`, { cause: err });
    default:
      return new AppError(
        'UPSTREAM_UNAVAILABLE',
        `${err.connector} is unavailable or answered unexpectedly; retry later`,
        { cause: err },
      );
  }
}

/** class-validator's error tree: nested inputs (`amount: MoneyInput`) report their problems as children. */
interface FieldValidationError {
  property: string;
  constraints?: Record<string, string>;
  children?: FieldValidationError[];
}

function validationMessages(errors: readonly FieldValidationError[]): string[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}),
    ...validationMessages(e.children ?? []),
  ]);
}

/** Maps anything thrown during a request to a public code and a safe message. The one place this happens. */
export function toAppError(raw: unknown): AppError | null {
  const err = unwrapResolverError(raw);
  if (err instanceof AppError) return err;
  if (err instanceof ArgumentValidationError) {
    const fields = err.extensions.validationErrors as FieldValidationError[] | undefined;
    const messages = validationMessages(fields ?? []);
    return new AppError('BAD_USER_INPUT', messages.length ? messages.join('; ') : 'Invalid input', {
      details: { fields: (fields ?? []).map((f) => f.property) },
    });
  }
  if (err instanceof AuthenticationError)
    return new AppError('UNAUTHENTICATED', 'A valid API key or token is required');
  if (err instanceof AuthorizationError) return new AppError('FORBIDDEN', 'Your role may not do this');
  if (err instanceof MoneyError) return new AppError('BAD_USER_INPUT', err.message);
  if (err instanceof ConnectorError) return connectorErrorToAppError(err);
  if (err instanceof UniqueConstraintViolationException)
    return new AppError('CONFLICT', 'This already exists');
  return null;
}

/** Apollo `formatError`: known errors keep their code; anything else is logged once and leaves as INTERNAL. */
export function formatGraphQLError(logger: Logger) {
  return (formatted: GraphQLFormattedError, raw: unknown): GraphQLFormattedError => {
    const app = toAppError(raw);
    if (app) {
      return {
        message: app.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: app.code, ...(app.details ? { details: app.details } : {}) },
      };
    }
    const code = formatted.extensions?.code as string | undefined;
    // Errors Apollo/graphql-js raise before execution (syntax, unknown fields, bad variables) are the client's.
    if (
      code === 'GRAPHQL_PARSE_FAILED' ||
      code === 'GRAPHQL_VALIDATION_FAILED' ||
      code === 'BAD_USER_INPUT' ||
      code === 'BAD_REQUEST'
    ) {
      return {
        message: formatted.message,
        locations: formatted.locations,
        extensions: { code: 'BAD_USER_INPUT' },
      };
    }
    if (code && (ERROR_CODES as readonly string[]).includes(code) && code !== 'INTERNAL_SERVER_ERROR') {
      return {
        message: formatted.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code },
      };
    }
    const original = unwrapResolverError(raw);
    if (raw instanceof GraphQLError && !raw.originalError && !formatted.path) {
      // A request-level error graphql-js produced (e.g. variable coercion): safe to show, it is about the input.
      return {
        message: formatted.message,
        locations: formatted.locations,
        extensions: { code: 'BAD_USER_INPUT' },
      };
    }
    logger.error({ err: original, path: formatted.path }, 'unhandled error in GraphQL operation');
    return {
      message: GENERIC_INTERNAL,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' satisfies ErrorCode },
    };
  };
}
