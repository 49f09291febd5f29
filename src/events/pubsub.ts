import { createPubSub } from '@graphql-yoga/subscription';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import type { Redis } from 'ioredis';
import type { PublishedEvent } from './outbox';

/** Topics are per organization, so a subscriber can only ever be handed its own tenant's events. */
export type LipaTopics = {
  [topic: `events:${string}`]: [PublishedEvent];
};

export type LipaPubSub = ReturnType<typeof createPubSub<LipaTopics>>;

/** Redis-backed pub/sub shared by every API and worker process. */
export function createLipaPubSub(publishClient: Redis, subscribeClient: Redis): LipaPubSub {
  return createPubSub<LipaTopics>({
    eventTarget: createRedisEventTarget({ publishClient, subscribeClient }),
  });
}

export const eventsTopic = (organizationId: string): `events:${string}` => `events:${organizationId}`;
