import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { RailKind } from '../../connectors/types';
import type { PaymentRequestStatus } from '../../domain/enums';
import { PaymentRequestStatusEnum, RailKindEnum } from '../common/enums';
import { MoneyType } from '../common/money.type';

@ObjectType('PaymentRequest', {
  description: 'A pay-now prompt sent to a borrower; its status follows the rail',
})
export class PaymentRequestType {
  @Field(() => ID)
  id!: string;

  @Field(() => PaymentRequestStatusEnum)
  status!: PaymentRequestStatus;

  @Field(() => RailKindEnum)
  rail!: RailKind;

  @Field(() => MoneyType)
  amount!: MoneyType;

  @Field(() => ID)
  loanAccountId!: string;

  @Field({ description: 'Masked phone the prompt went to' })
  phoneNumber!: string;

  @Field(() => String, {
    nullable: true,
    description: "The rail's id for the request (CheckoutRequestID, X-Reference-Id, ...)",
  })
  providerRequestId!: string | null;

  @Field(() => String, { nullable: true, description: 'Hosted payment page, for link-based rails' })
  checkoutUrl!: string | null;

  @Field(() => String, { nullable: true, description: 'QR code of checkoutUrl as SVG, for link-based rails' })
  qrCodeSvg!: string | null;

  @Field()
  expiresAt!: Date;

  @Field(() => String, { nullable: true })
  failureCode!: string | null;

  @Field(() => String, { nullable: true })
  failureMessage!: string | null;

  @Field(() => ID, { nullable: true, description: 'The payment this request produced' })
  paymentId!: string | null;

  @Field(() => Int)
  statusQueries!: number;

  @Field()
  createdAt!: Date;
}
