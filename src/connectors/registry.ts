import { AppError } from '../errors/app-error';
import type {
  ConnectorRuntime,
  LendingConnectorDefinition,
  LendingSystemConnector,
  LendingSystemKind,
  MobileMoneyConnector,
  MobileMoneyConnectorDefinition,
  RailKind,
} from './types';

/**
 * Builds connectors from validated options by kind. Built-in definitions are registered at boot
 * (`connectors/builtin.ts`); tests may register their own. Services are the only callers.
 */
export class ConnectorRegistry {
  private readonly lending = new Map<LendingSystemKind, LendingConnectorDefinition>();
  private readonly rails = new Map<RailKind, MobileMoneyConnectorDefinition>();

  registerLending(def: LendingConnectorDefinition): this {
    this.lending.set(def.kind, def);
    return this;
  }

  registerRail(def: MobileMoneyConnectorDefinition): this {
    this.rails.set(def.kind, def);
    return this;
  }

  lendingDefinition(kind: LendingSystemKind): LendingConnectorDefinition {
    const def = this.lending.get(kind);
    if (!def)
      throw new AppError('BAD_USER_INPUT', `Lending system ${kind} is not supported by this Lipa build`);
    return def;
  }

  railDefinition(kind: RailKind): MobileMoneyConnectorDefinition {
    const def = this.rails.get(kind);
    if (!def)
      throw new AppError('BAD_USER_INPUT', `Payment rail ${kind} is not supported by this Lipa build yet`);
    return def;
  }

  createLending(
    kind: LendingSystemKind,
    baseUrl: string,
    credentials: unknown,
    runtime: ConnectorRuntime,
  ): LendingSystemConnector {
    const def = this.lendingDefinition(kind);
    return def.create({ baseUrl, credentials: def.parseCredentials(credentials) }, runtime);
  }

  createRail(
    kind: RailKind,
    baseUrl: string | null,
    credentials: unknown,
    runtime: ConnectorRuntime,
  ): MobileMoneyConnector {
    const def = this.railDefinition(kind);
    return def.create({ baseUrl, credentials: def.parseCredentials(credentials) }, runtime);
  }

  supportedRails(): RailKind[] {
    return [...this.rails.keys()];
  }
}
