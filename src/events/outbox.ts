import type { EntityManager } from '@mikro-orm/postgresql';
import type { EventType } from '../domain/enums';
import { Organization } from '../entities/organization.entity';
import { OutboxEvent } from '../entities/outbox-event.entity';

export interface DomainEvent {
  organizationId: string;
  type: EventType;
  aggregateType:
    | 'payment'
    | 'loan_account'
    | 'discrepancy'
    | 'promise_to_pay'
    | 'reversal'
    | 'sync_run'
    | 'expected_payment'
    | 'reconciliation_run';
  aggregateId: string;
  /** Ids, amounts (minor units as strings) and states only: never personal data. */
  payload: Record<string, unknown>;
}

/**
 * Queues an event for the relay. Call inside the unit of work that makes the change it describes: the row is
 * flushed in the same transaction, so the state change and its event commit (or roll back) together.
 */
export function recordEvent(em: EntityManager, event: DomainEvent): OutboxEvent {
  const row = em.create(OutboxEvent, {
    organization: em.getReference(Organization, event.organizationId),
    type: event.type,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    payload: event.payload,
  });
  em.persist(row);
  return row;
}

/** The envelope published to subscribers and partners (CONTRACT.md "Partner events and webhooks"). */
export interface PublishedEvent {
  id: string;
  type: string;
  createdAt: string;
  organizationId: string;
  data: Record<string, unknown> & { aggregateType: string; aggregateId: string };
}
