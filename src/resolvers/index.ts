import type { NonEmptyArray } from 'type-graphql';
import { ApiKeyResolver } from './api-key.resolver';
import { BorrowerResolver } from './borrower.resolver';
import { ExpectedPaymentResolver, LoanAccountExpectationsResolver } from './expected-payment.resolver';
import { LoanAccountResolver } from './loan-account.resolver';
import { MeResolver } from './me.resolver';
import { PaymentResolver } from './payment.resolver';
import { SourceResolver } from './source.resolver';
import { SyncResolver } from './sync.resolver';
import { PaymentRequestResolver } from './payment-request.resolver';
import { LoanAccountPromisesResolver, PromiseToPayResolver } from './promise-to-pay.resolver';
import {
  DiscrepancyFieldsResolver,
  LoanAccountDiscrepanciesResolver,
  PaymentDiscrepanciesResolver,
  ReconciliationResolver,
} from './reconciliation.resolver';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const RESOLVERS: NonEmptyArray<Function> = [
  MeResolver,
  ApiKeyResolver,
  SourceResolver,
  LoanAccountResolver,
  BorrowerResolver,
  PaymentResolver,
  SyncResolver,
  PaymentRequestResolver,
  ReconciliationResolver,
  DiscrepancyFieldsResolver,
  PaymentDiscrepanciesResolver,
  LoanAccountDiscrepanciesResolver,
  ExpectedPaymentResolver,
  LoanAccountExpectationsResolver,
  PromiseToPayResolver,
  LoanAccountPromisesResolver,
];
