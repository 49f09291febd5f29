import type { MikroORM } from '@mikro-orm/postgresql';
import type { PoolClient } from 'pg';

/**
 * Borrows one raw `pg` client from MikroORM's pool for work the ORM cannot express (COPY, multi-statement
 * set-based SQL with temp tables). The client is always returned to the pool; use {@link inTransaction} for
 * transactions, which rolls back on any error so the client never goes back inside a failed transaction.
 */
export async function withPgClient<T>(orm: MikroORM, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const knex = orm.em.getKnex();
  const client = (await knex.client.acquireConnection()) as PoolClient;
  try {
    return await fn(client);
  } finally {
    await knex.client.releaseConnection(client);
  }
}

/** Runs `fn` inside BEGIN/COMMIT on `client`, rolling back on any error. */
export async function inTransaction<T>(client: PoolClient, fn: () => Promise<T>): Promise<T> {
  await client.query('begin');
  try {
    const out = await fn();
    await client.query('commit');
    return out;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
}
