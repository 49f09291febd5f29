import type { MikroORM } from '@mikro-orm/postgresql';
import { Borrower } from '../../src/entities/borrower.entity';
import { LendingSource } from '../../src/entities/lending-source.entity';
import { LoanAccount } from '../../src/entities/loan-account.entity';
import { Organization } from '../../src/entities/organization.entity';
import { PaymentSource } from '../../src/entities/payment-source.entity';
import { Payment } from '../../src/entities/payment.entity';
import { SecretBox } from '../../src/services/crypto';
import { scopedFork } from '../../src/services/scope';
import { TEST_ENCRYPTION_KEY } from '../helpers/hub';

const box = new SecretBox(Buffer.from(TEST_ENCRYPTION_KEY, 'base64'));

/** Seeds one organization's lending source, borrower, loan, payment source and payment with readable values. */
export async function seedLoanWithPayment(
  orm: MikroORM,
  orgId: string,
  opts: {
    accountNumber?: string;
    phone?: string;
    amountMinor?: bigint;
    currency?: string;
    assignedAgentId?: string | null;
    railKind?: PaymentSource['kind'];
  } = {},
) {
  const em = scopedFork(orm.em, orgId);
  const organization = em.getReference(Organization, orgId);
  const currency = opts.currency ?? 'UGX';
  const lending = em.create(LendingSource, {
    organization,
    kind: 'FINERACT',
    name: 'Fineract test',
    baseUrl: 'https://fineract.test/fineract-provider/api/v1',
    credentialsEncrypted: box.sealJson({ username: 'mifos', password: 'password', tenantId: 'default' }),
  });
  const borrower = em.create(Borrower, {
    organization,
    lendingSource: lending,
    externalId: '7',
    displayName: 'Aisha Namuli',
    phoneNumber: opts.phone ?? '256772123456',
    email: 'aisha@example.com',
  });
  const loan = em.create(LoanAccount, {
    organization,
    lendingSource: lending,
    borrower,
    externalId: '42',
    accountNumber: opts.accountNumber ?? '000000042',
    externalReference: 'LN-UG-2024-0042',
    currency,
    status: 'ACTIVE',
    rawStatus: '300',
    principalMinor: 1_200_000n,
    lenderOutstandingMinor: 1_056_000n,
    overdueMinor: 188_000n,
    daysPastDue: 50,
    daysInArrears: 50,
    nextDueDate: '2024-09-01',
    assignedAgentId: opts.assignedAgentId ?? null,
  });
  const paymentSource = em.create(PaymentSource, {
    organization,
    kind: opts.railKind ?? 'MTN_MOMO',
    name: 'MTN test',
    credentialsEncrypted: box.sealJson({}),
    callbackTokenEncrypted: box.seal('test-token'),
    lendingSource: lending,
  });
  const payment = em.create(Payment, {
    organization,
    paymentSource,
    rail: paymentSource.kind,
    providerTransactionId: `TX-${orgId.slice(-6)}-${Math.floor(Math.random() * 1e9)}`,
    amountMinor: opts.amountMinor ?? 50_000n,
    currency,
    status: 'SUCCEEDED',
    reconciliationState: 'MATCHED',
    accountReference: opts.accountNumber ?? '000000042',
    payerReference: opts.phone ?? '256772123456',
    receivedAt: new Date('2024-08-20T09:30:00Z'),
    loanAccount: loan,
  });
  em.persist([lending, borrower, loan, paymentSource, payment]);
  await em.flush();
  return { lending, borrower, loan, paymentSource, payment };
}
