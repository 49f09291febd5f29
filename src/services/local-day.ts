import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { addDays, knownTimeZone, localDate } from '../domain/calendar';
import { Organization } from '../entities/organization.entity';

/**
 * An organization's days: due dates, promise windows and "overdue" are its local calendar days, not UTC's. A lender in
 * Nairobi (UTC+3) starts a new day at 21:00 UTC.
 */

/** The organization's IANA time zone, UTC if it has none the runtime knows. */
export async function organizationTimeZone(em: EntityManager, organizationId: string): Promise<string> {
  const org = await em.findOne(Organization, { id: organizationId });
  return knownTimeZone(org?.timeZone);
}

/** The organization's local date (`YYYY-MM-DD`) at `now`. */
export async function organizationToday(
  em: EntityManager,
  organizationId: string,
  now = new Date(),
): Promise<string> {
  return localDate(now, await organizationTimeZone(em, organizationId));
}

/**
 * The local date at `now` of every organization `candidates` selects, for sweeps that run across organizations.
 * `candidates` is SQL returning organization ids and takes one parameter: UTC's tomorrow, the latest date that can be
 * any time zone's today (so rows due later are skipped). Returns JSON rows `{ organization_id, day }` for
 * `jsonb_to_recordset`, or null when no organization qualifies.
 */
export async function organizationDays(
  orm: MikroORM,
  candidates: string,
  now = new Date(),
): Promise<string | null> {
  const tomorrowUtc = addDays(now.toISOString().slice(0, 10), 1);
  const orgs = await orm.em
    .getConnection()
    .execute<Array<{ id: string; time_zone: string | null }>>(
      `select o.id, o.time_zone from organization o where o.id in (${candidates})`,
      [tomorrowUtc],
    );
  if (orgs.length === 0) return null;
  return JSON.stringify(
    orgs.map((o) => ({ organization_id: o.id, day: localDate(now, knownTimeZone(o.time_zone)) })),
  );
}
