import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';

/** Rejects operations nested deeper than `maxDepth` (depth bombs) before execution. */
export function depthLimitRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) {
      if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    }
    const measure = (set: SelectionSetNode | undefined, depth: number, seen: Set<string>): number => {
      if (!set) return depth;
      let max = depth;
      for (const sel of set.selections) {
        if (max > maxDepth) return max;
        if (sel.kind === Kind.FIELD) {
          if (sel.name.value.startsWith('__')) continue;
          max = Math.max(max, measure(sel.selectionSet, depth + 1, seen));
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          max = Math.max(max, measure(sel.selectionSet, depth, seen));
        } else if (sel.kind === Kind.FRAGMENT_SPREAD) {
          const name = sel.name.value;
          if (seen.has(name)) continue;
          const frag = fragments.get(name);
          if (frag) max = Math.max(max, measure(frag.selectionSet, depth, new Set([...seen, name])));
        }
      }
      return max;
    };
    return {
      OperationDefinition(node) {
        const depth = measure(node.selectionSet, 0, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(
              `Query is nested ${depth > maxDepth + 1 ? 'more than' : ''} ${depth} levels deep; the limit is ${maxDepth}`.replace(
                '  ',
                ' ',
              ),
              {
                nodes: [node],
                extensions: { code: 'BAD_USER_INPUT' },
              },
            ),
          );
        }
      },
    };
  };
}

/** Connection fields cost their children times the page size asked for. */
const connectionEstimator: ComplexityEstimator = ({ args, childComplexity }) => {
  const first = typeof args.first === 'number' ? args.first : undefined;
  if (first !== undefined) return 1 + childComplexity * Math.max(1, first);
  return undefined;
};

/** Rejects operations whose estimated cost exceeds `maxComplexity` (breadth bombs, huge pages of nested lists). */
export function complexityLimitPlugin(schema: GraphQLSchema, maxComplexity: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          let complexity: number;
          try {
            complexity = getComplexity({
              schema,
              operationName: request.operationName,
              query: document,
              variables: request.variables,
              estimators: [connectionEstimator, simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch (err) {
            // Variables that do not coerce: graphql-js reports them as BAD_USER_INPUT during execution.
            if (err instanceof GraphQLError)
              throw new GraphQLError(err.message, {
                extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
              });
            throw err;
          }
          if (complexity > maxComplexity) {
            throw new GraphQLError(
              `Query is too complex (${complexity}); the limit is ${maxComplexity}. Ask for fewer items or fields.`,
              {
                extensions: { code: 'BAD_USER_INPUT' },
              },
            );
          }
        },
      };
    },
  };
}
