import { Migration } from '@mikro-orm/migrations';

export class Migration20261208000000 extends Migration {

  override async up(): Promise<void> {
    // What each payment counts toward a promise to pay, so a reversal can take exactly that back (and re-open or
    // break the promise), and so applying the same payment twice counts it once.
    this.addSql(`create table "promise_to_pay_match" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "promise_to_pay_id" text not null, "payment_id" text not null, "amount_minor" bigint not null, constraint "promise_to_pay_match_pkey" primary key ("id"));`);
    this.addSql(`create index "promise_to_pay_match_payment_id_index" on "promise_to_pay_match" ("payment_id");`);
    this.addSql(`alter table "promise_to_pay_match" add constraint "promise_to_pay_match_promise_to_pay_id_payment_id_unique" unique ("promise_to_pay_id", "payment_id");`);

    this.addSql(`alter table "promise_to_pay_match" add constraint "promise_to_pay_match_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "promise_to_pay_match" add constraint "promise_to_pay_match_promise_to_pay_id_foreign" foreign key ("promise_to_pay_id") references "promise_to_pay" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "promise_to_pay_match" add constraint "promise_to_pay_match_payment_id_foreign" foreign key ("payment_id") references "payment" ("id") on update cascade on delete cascade;`);

    // A payment looks up its loan's promises; the sweep looks for open promises by date.
    this.addSql(`create index "promise_to_pay_loan_account_id_status_index" on "promise_to_pay" ("loan_account_id", "status");`);
    this.addSql(`create index "promise_to_pay_status_promised_date_index" on "promise_to_pay" ("status", "promised_date");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "promise_to_pay_match" cascade;`);

    this.addSql(`drop index "promise_to_pay_loan_account_id_status_index";`);
    this.addSql(`drop index "promise_to_pay_status_promised_date_index";`);
  }

}
