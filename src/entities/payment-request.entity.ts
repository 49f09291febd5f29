import {
  BigIntType,
  Entity,
  Enum,
  Index,
  ManyToOne,
  PrimaryKey,
  Property,
  Unique,
  type Opt,
} from '@mikro-orm/core';
import { newId } from '../domain/ids';
import { PAYMENT_REQUEST_STATUSES, type PaymentRequestStatus } from '../domain/enums';
import { TenantEntity } from './base';
import { LoanAccount } from './loan-account.entity';
import { PaymentSource } from './payment-source.entity';

/** A pay-now prompt sent to a borrower (STK push, request-to-pay, USSD push); its status follows the rail. */
@Entity({ tableName: 'payment_request' })
@Unique({ properties: ['paymentSource', 'providerRequestId'] })
@Index({ properties: ['status', 'expiresAt'] })
export class PaymentRequest extends TenantEntity {
  @PrimaryKey({ type: 'text' })
  id: Opt<string> = newId('preq');

  @ManyToOne(() => PaymentSource, { deleteRule: 'cascade' })
  paymentSource!: PaymentSource;

  @ManyToOne(() => LoanAccount, { deleteRule: 'cascade' })
  loanAccount!: LoanAccount;

  @Property({ type: new BigIntType('bigint') })
  amountMinor!: bigint;

  @Property({ type: 'string', length: 3 })
  currency!: string;

  /** Masked payer phone (the full number is only held for the initiate call). */
  @Property({ type: 'text' })
  phoneMasked!: string;

  /** UUIDv4 sent as the rail's idempotency key (MTN X-Reference-Id), reused on every retry. */
  @Property({ type: 'uuid' })
  idempotencyKey!: string;

  @Property({ type: 'text', nullable: true })
  providerRequestId?: string | null;

  @Enum({ items: () => PAYMENT_REQUEST_STATUSES, type: 'text', default: 'PENDING' })
  status: Opt<PaymentRequestStatus> = 'PENDING';

  @Property({ type: 'text', nullable: true })
  failureCode?: string | null;

  @Property({ type: 'text', nullable: true })
  failureMessage?: string | null;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'integer', default: 0 })
  statusQueries: Opt<number> = 0;

  @Property({ type: 'text', nullable: true })
  paymentId?: string | null;

  @Property({ type: 'text', nullable: true })
  checkoutUrl?: string | null;

  @Property({ type: 'text', nullable: true })
  createdBy?: string | null;
}
