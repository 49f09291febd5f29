import { ConnectorRegistry } from './registry';

/** A registry holding every connector shipped with Lipa. */
export function builtinRegistry(): ConnectorRegistry {
  const registry = new ConnectorRegistry();
  return registry;
}
