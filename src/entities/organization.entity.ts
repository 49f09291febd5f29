import { Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { newId } from '../domain/ids';

@Entity({ tableName: 'organization' })
export class Organization {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('org');

  @Property({ type: 'text' })
  name!: string;

  /** IANA time zone used for due dates, contact windows and day boundaries. */
  @Property({ type: 'text', default: 'Africa/Nairobi' })
  timeZone: Opt<string> = 'Africa/Nairobi';

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}
