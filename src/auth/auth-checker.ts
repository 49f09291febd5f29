import type { AuthChecker } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { forbidden, unauthenticated } from '../errors/app-error';

/** The one auth checker: a principal is required, and its role must be among the roles the field lists. */
export const authChecker: AuthChecker<GraphQLContext> = ({ context }, roles) => {
  if (!context.principal) throw unauthenticated();
  if (roles.length > 0 && !roles.includes(context.principal.role))
    throw forbidden(`Role ${context.principal.role} may not do this`);
  return true;
};
