import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { GraphQLContext } from '../context';
import { IdempotencyRecord } from '../entities/idempotency-record.entity';
import { Organization } from '../entities/organization.entity';
import { badInput, conflict, unauthenticated } from '../errors/app-error';
import { sha256Hex } from './crypto';
import { scopedFork } from './scope';

const TTL_MS = 24 * 3600 * 1000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * CONTRACT "Idempotency-Key": a repeat of a money-moving mutation with the same key and caller returns the first
 * result for 24 hours; a repeat while the first is still running gets CONFLICT; the same key with different input
 * is a CONFLICT too. Without the header the mutation simply runs.
 */
export async function withIdempotency<T extends object>(
  ctx: GraphQLContext,
  operation: string,
  input: unknown,
  run: () => Promise<T>,
  ResultClass: new () => T,
): Promise<T> {
  const key = ctx.idempotencyKey;
  if (!key) return run();
  if (!KEY_PATTERN.test(key)) throw badInput('Idempotency-Key must be 1 to 255 printable characters');
  const principal = ctx.principal;
  if (!principal) throw unauthenticated();
  const requestHash = sha256Hex(JSON.stringify({ operation, input }));
  const em = scopedFork(ctx.services.orm.em, principal.organizationId);

  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // A plain INSERT (not the unit of work): the unique constraint decides who runs first, atomically.
      const record = Object.assign(new IdempotencyRecord(), {
        organization: em.getReference(Organization, principal.organizationId),
        principalId: principal.actorId,
        key,
        operation,
        requestHash,
        state: 'IN_PROGRESS' as const,
        expiresAt: new Date(Date.now() + TTL_MS),
      });
      await em.insert(record);
      break;
    } catch (err) {
      if (!(err instanceof UniqueConstraintViolationException)) throw err;
      const existing = await em.findOneOrFail(
        IdempotencyRecord,
        { principalId: principal.actorId, key },
        { refresh: true },
      );
      if (existing.expiresAt.getTime() < Date.now()) {
        await em.nativeDelete(IdempotencyRecord, { id: existing.id });
        continue;
      }
      if (existing.operation !== operation || existing.requestHash !== requestHash) {
        throw conflict('This Idempotency-Key was already used with different input');
      }
      if (existing.state === 'IN_PROGRESS')
        throw conflict('A request with this Idempotency-Key is still being processed; retry shortly');
      return Object.assign(new ResultClass(), existing.response as object);
    }
  }

  try {
    const result = await run();
    await em.nativeUpdate(
      IdempotencyRecord,
      { principalId: principal.actorId, key },
      { state: 'COMPLETED', response: JSON.parse(JSON.stringify(result)) },
    );
    return result;
  } catch (err) {
    // A failed attempt is not cached: the caller may fix the input or retry with the same key.
    await em.nativeDelete(IdempotencyRecord, { principalId: principal.actorId, key });
    throw err;
  }
}
