import { DateTimeResolver, JSONResolver, LocalDateResolver } from 'graphql-scalars';
import { GraphQLScalarType } from 'graphql';

/** ISO 8601 timestamp. */
export const DateTimeScalar = DateTimeResolver;
/** Calendar date `YYYY-MM-DD` (due dates are dates, not instants). */
export const DateScalar = new GraphQLScalarType({ ...LocalDateResolver.toConfig(), name: 'Date' });
/** Arbitrary JSON (connector credentials on input; evidence on output). */
export const JSONScalar = JSONResolver;
