import type { MikroORM } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import type { Config } from '../config';
import type { ConnectorRegistry } from '../connectors/registry';
import type { ConnectorRuntime } from '../connectors/types';
import { sharedTokenCache } from '../connectors/token-cache';
import { Authenticator } from '../auth/authenticate';
import type { Queues } from '../jobs/queues';
import type { Logger } from '../logger';
import { SecretBox } from './crypto';
import { IngestService } from './ingest.service';
import { LoanQueryService } from './loan-query.service';
import { OrganizationService } from './organization.service';
import { PaymentEventService } from './payment-event.service';
import { PaymentQueryService } from './payment-query.service';
import { SourceService } from './source.service';
import { SyncService } from './sync.service';
import { MatchingService } from './matching.service';
import { PostingService } from './posting.service';
import { PaymentRequestService } from './payment-request.service';
import { SettlementImportService } from './reconciliation/settlement-import.service';
import { ReconciliationService } from './reconciliation/reconciliation.service';
import { DiscrepancyService } from './reconciliation/discrepancy.service';

/** Every service, built once per process from the shared infrastructure. */
export interface Services {
  config: Config;
  orm: MikroORM;
  logger: Logger;
  queues: Queues;
  redis: Redis;
  secrets: SecretBox;
  registry: ConnectorRegistry;
  connectorRuntime: ConnectorRuntime;
  authenticator: Authenticator;
  organizations: OrganizationService;
  sources: SourceService;
  loanQuery: LoanQueryService;
  paymentQuery: PaymentQueryService;
  ingest: IngestService;
  paymentEvents: PaymentEventService;
  sync: SyncService;
  matching: MatchingService;
  posting: PostingService;
  paymentRequests: PaymentRequestService;
  settlements: SettlementImportService;
  reconciliation: ReconciliationService;
  discrepancies: DiscrepancyService;
}

export interface Infrastructure {
  config: Config;
  orm: MikroORM;
  logger: Logger;
  queues: Queues;
  /** A client for commands (readiness pings, publishing). */
  redis: Redis;
  registry: ConnectorRegistry;
  connectorRuntime?: Partial<ConnectorRuntime>;
}

export function createServices(infra: Infrastructure): Services {
  const { config, orm, logger, queues, redis, registry } = infra;
  const secrets = new SecretBox(config.encryptionKey);
  const connectorRuntime: ConnectorRuntime = {
    logger: logger.child({ component: 'connector' }),
    tokenCache: sharedTokenCache,
    ...infra.connectorRuntime,
  };
  const sources = new SourceService(orm, secrets, registry, connectorRuntime, config.publicUrl);
  const services: Services = {
    config,
    orm,
    logger,
    queues,
    redis,
    secrets,
    registry,
    connectorRuntime,
    authenticator: new Authenticator(orm, config),
    organizations: new OrganizationService(orm),
    sources,
    loanQuery: new LoanQueryService(orm),
    paymentQuery: new PaymentQueryService(),
    ingest: new IngestService(orm, sources, queues, logger.child({ component: 'ingest' })),
    paymentEvents: new PaymentEventService(
      orm,
      sources,
      queues,
      logger.child({ component: 'payment-events' }),
    ),
    sync: new SyncService(orm, sources, queues, logger.child({ component: 'sync' })),
    matching: new MatchingService(orm, queues, logger.child({ component: 'matching' })),
    posting: new PostingService(orm, sources, logger.child({ component: 'posting' })),
    paymentRequests: undefined as never,
    settlements: new SettlementImportService(
      orm,
      logger.child({ component: 'settlements' }),
      config.settlementMaxBytes,
    ),
    reconciliation: new ReconciliationService(
      orm,
      queues,
      logger.child({ component: 'reconciliation' }),
      sources,
    ),
    discrepancies: new DiscrepancyService(),
  };
  services.paymentRequests = new PaymentRequestService(
    orm,
    sources,
    services.paymentEvents,
    queues,
    logger.child({ component: 'payment-requests' }),
    config.paymentRequestTimeoutSeconds,
  );
  return services;
}
