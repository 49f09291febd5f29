import { airtelMoneyDefinition } from './mobile-money/airtel-money';
import { mtnMomoDefinition } from './mobile-money/mtn-momo';
import { ConnectorRegistry } from './registry';

/** A registry holding every connector shipped with Lipa. */
export function builtinRegistry(): ConnectorRegistry {
  return new ConnectorRegistry().registerRail(mtnMomoDefinition).registerRail(airtelMoneyDefinition);
}
