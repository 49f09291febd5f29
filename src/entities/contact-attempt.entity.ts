import { Entity, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { TenantEntity } from './base';
import { LoanAccount } from './loan-account.entity';

@Entity({ tableName: 'contact_attempt' })
export class ContactAttempt extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('cta');

  @ManyToOne(() => LoanAccount, { deleteRule: 'cascade' })
  loanAccount!: LoanAccount;

  /** CALL, SMS, EMAIL, VISIT, WHATSAPP, LETTER. */
  @Property({ type: 'text' })
  channel!: string;

  /** CONNECTED_RPC, CONNECTED_THIRD_PARTY, NO_ANSWER, VOICEMAIL, WRONG_NUMBER, SENT, FAILED. */
  @Property({ type: 'text' })
  outcome!: string;

  @Property({ type: 'text', nullable: true })
  agentId?: string | null;

  @Property({ type: 'text', nullable: true })
  note?: string | null;

  @Property({ type: 'timestamptz' })
  occurredAt!: Date;
}
