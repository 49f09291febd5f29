import { fineractDefinition } from './lending/fineract';
import { mambuDefinition } from './lending/mambu';
import { airtelMoneyDefinition } from './mobile-money/airtel-money';
import { mpesaDefinition } from './mobile-money/mpesa';
import { mtnMomoDefinition } from './mobile-money/mtn-momo';
import { ConnectorRegistry } from './registry';

/** A registry holding every connector shipped with Lipa. */
export function builtinRegistry(): ConnectorRegistry {
  return new ConnectorRegistry()
    .registerLending(fineractDefinition)
    .registerLending(mambuDefinition)
    .registerRail(mpesaDefinition)
    .registerRail(mtnMomoDefinition)
    .registerRail(airtelMoneyDefinition);
}
