import { Field, ObjectType } from 'type-graphql';
import { formatMoney, money, type Money } from '../../domain/money';

/** Exact money: minor units as a string, the decimal amount at the ISO exponent, and the currency. */
@ObjectType('Money')
export class MoneyType {
  @Field({
    description:
      'Integer amount in minor units at the ISO 4217 exponent, as a string (UGX 50,000 -> "50000")',
  })
  amountMinor!: string;

  @Field({ description: 'Decimal amount at the ISO exponent ("500.00" for KES)' })
  amount!: string;

  @Field({ description: 'ISO 4217 code' })
  currency!: string;

  static of(amountMinor: bigint, currency: string): MoneyType {
    return MoneyType.from(money(amountMinor, currency));
  }

  static from(m: Money): MoneyType {
    const t = new MoneyType();
    t.amountMinor = m.amountMinor.toString();
    t.amount = formatMoney(m);
    t.currency = m.currency;
    return t;
  }
}
