import type { EntityClass, FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput } from '../errors/app-error';

/** Cursors are opaque: base64url of "v1:<id>". Ids are ULIDs, so id order is creation order. */
export function encodeCursor(id: string): string {
  return Buffer.from(`v1:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!decoded.startsWith('v1:') || decoded.length > 100 || !/^v1:[a-z]+_[0-9A-Z]{26}$/.test(decoded)) {
    throw badInput('Invalid cursor: pass the endCursor of a previous page');
  }
  return decoded.slice(3);
}

export interface PageArgs {
  first: number;
  after?: string | null;
}

export interface EntityPage<T> {
  items: T[];
  hasNextPage: boolean;
  totalCount: number;
}

/** Newest-first keyset page of `entity` matching `where` (the tenant filter applies on top). */
export async function findPage<T extends { id: string }>(
  em: EntityManager,
  entity: EntityClass<T>,
  where: FilterQuery<T>,
  args: PageArgs,
  populate: string[] = [],
): Promise<EntityPage<T>> {
  const afterId = args.after ? decodeCursor(args.after) : null;
  const pageWhere = (afterId ? { $and: [where, { id: { $lt: afterId } }] } : where) as FilterQuery<T>;
  const [rows, totalCount] = await Promise.all([
    em.find(entity, pageWhere, {
      orderBy: { id: 'desc' } as never,
      limit: args.first + 1,
      populate: populate as never,
    }),
    em.count(entity, where),
  ]);
  return { items: rows.slice(0, args.first), hasNextPage: rows.length > args.first, totalCount };
}

export function toConnection<T extends { id: string }, N>(page: EntityPage<T>, map: (item: T) => N) {
  const edges = page.items.map((item) => ({ cursor: encodeCursor(item.id), node: map(item) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      endCursor: edges.length ? edges[edges.length - 1].cursor : null,
    },
    totalCount: page.totalCount,
  };
}
