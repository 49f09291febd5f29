import {
  BigIntType,
  Collection,
  Entity,
  Enum,
  Index,
  ManyToOne,
  OneToMany,
  PrimaryKey,
  Property,
  Unique,
  type Opt,
} from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { LOAN_STATUSES, type LoanStatus } from '../domain/enums';
import { TenantEntity } from './base';
import { Borrower } from './borrower.entity';
import { LendingSource } from './lending-source.entity';
import { Installment } from './installment.entity';

/**
 * Lipa's snapshot of a lender's loan. The lender owns the ledger: these balances are copied from it at sync and
 * never edited by Lipa (ARCHITECTURE invariant 4).
 */
@Entity({ tableName: 'loan_account' })
@Unique({ properties: ['lendingSource', 'externalId'] })
export class LoanAccount extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('loan');

  @ManyToOne(() => LendingSource, { deleteRule: 'cascade' })
  lendingSource!: LendingSource;

  @ManyToOne(() => Borrower, { nullable: true, deleteRule: 'set null' })
  borrower?: Borrower | null;

  /** The lender's id for the loan. */
  @Property({ type: 'text' })
  externalId!: string;

  /** Human account number; what borrowers type as a payment reference. Stored upper-case. */
  @Index()
  @Property({ type: 'text' })
  accountNumber!: string;

  @Index()
  @Property({ type: 'text', nullable: true })
  externalReference?: string | null;

  @Property({ type: 'string', length: 3 })
  currency!: string;

  @Enum({ items: () => LOAN_STATUSES, type: 'text' })
  status!: LoanStatus;

  @Property({ type: 'text' })
  rawStatus!: string;

  @Property({ type: new BigIntType('bigint') })
  principalMinor!: bigint;

  @Property({ type: new BigIntType('bigint') })
  lenderOutstandingMinor!: bigint;

  @Property({ type: new BigIntType('bigint') })
  overdueMinor!: bigint;

  @Property({ type: 'integer', default: 0 })
  daysPastDue: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  daysInArrears: Opt<number> = 0;

  @Property({ type: 'text', nullable: true })
  delinquencyClass?: string | null;

  @Property({ type: 'date', nullable: true })
  nextDueDate?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  lastSyncedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  lenderModifiedAt?: Date | null;

  /** Hash of the lender fields last stored: a scan-based incremental sync skips loans whose fingerprint is unchanged. */
  @Property({ type: 'text', nullable: true })
  fingerprint?: string | null;

  /** Set when the loan could not be read at the last sync (the rest of the sync went on). */
  @Property({ type: 'text', nullable: true })
  syncError?: string | null;

  /** Set when the loan vanished from the lender's list; never deleted. */
  @Property({ type: 'timestamptz', nullable: true })
  missingUpstreamSince?: Date | null;

  /** Collection agent assigned to the loan (API key id or JWT subject): AGENTs see contact data of these only. */
  @Index()
  @Property({ type: 'text', nullable: true })
  assignedAgentId?: string | null;

  @Property({ type: 'boolean', default: false })
  hardship: Opt<boolean> = false;

  @OneToMany(() => Installment, (i) => i.loanAccount, { orderBy: { number: 'asc' } })
  installments = new Collection<Installment>(this);
}
