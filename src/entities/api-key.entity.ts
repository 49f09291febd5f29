import { Entity, Enum, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { ROLES, type Role } from '../domain/enums';
import { TenantEntity } from './base';

/** An API key: `lipa_<prefix>_<secret>`. Only the prefix (to find the row) and a SHA-256 hash are stored. */
@Entity({ tableName: 'api_key' })
export class ApiKey extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('key');

  @Property({ type: 'text' })
  name!: string;

  @Enum({ items: () => ROLES, type: 'text' })
  role!: Role;

  @Unique()
  @Property({ type: 'text' })
  prefix!: string;

  @Property({ type: 'text', hidden: true })
  hash!: string;

  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  createdBy?: string | null;
}
