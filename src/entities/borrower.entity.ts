import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { TenantEntity } from './base';
import { LendingSource } from './lending-source.entity';

/** A lender's client. Contact fields are personal data: masked in the API for roles that may not see them. */
@Entity({ tableName: 'borrower' })
@Unique({ properties: ['lendingSource', 'externalId'] })
export class Borrower extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('bor');

  @ManyToOne(() => LendingSource, { deleteRule: 'cascade' })
  lendingSource!: LendingSource;

  @Property({ type: 'text' })
  externalId!: string;

  @Property({ type: 'text', nullable: true })
  displayName?: string | null;

  /** E.164 digits without '+', normalised at sync (e.g. 256772123456). */
  @Index()
  @Property({ type: 'text', nullable: true })
  phoneNumber?: string | null;

  @Property({ type: 'text', nullable: true })
  email?: string | null;
}
