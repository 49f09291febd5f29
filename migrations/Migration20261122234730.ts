import { Migration } from '@mikro-orm/migrations';

export class Migration20261122234730 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "expected_payment" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "loan_account_id" text not null, "installment_number" int not null, "due_date" date not null, "amount_minor" bigint not null, "currency" varchar(3) not null, "met_minor" bigint not null default 0, "lender_paid_minor" bigint not null default 0, "status" text check ("status" in ('OPEN', 'MET', 'PARTLY_MET', 'OVERDUE')) not null default 'OPEN', "met_at" timestamptz null, "overdue_notified_at" timestamptz null, constraint "expected_payment_pkey" primary key ("id"));`);
    this.addSql(`create index "expected_payment_status_due_date_index" on "expected_payment" ("status", "due_date");`);
    this.addSql(`alter table "expected_payment" add constraint "expected_payment_loan_account_id_installment_number_unique" unique ("loan_account_id", "installment_number");`);

    this.addSql(`create table "expected_payment_match" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "expected_payment_id" text not null, "payment_id" text not null, "amount_minor" bigint not null, constraint "expected_payment_match_pkey" primary key ("id"));`);
    this.addSql(`create index "expected_payment_match_payment_id_index" on "expected_payment_match" ("payment_id");`);
    this.addSql(`alter table "expected_payment_match" add constraint "expected_payment_match_expected_payment_id_payment_id_unique" unique ("expected_payment_id", "payment_id");`);

    this.addSql(`alter table "expected_payment" add constraint "expected_payment_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "expected_payment" add constraint "expected_payment_loan_account_id_foreign" foreign key ("loan_account_id") references "loan_account" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "expected_payment_match" add constraint "expected_payment_match_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "expected_payment_match" add constraint "expected_payment_match_expected_payment_id_foreign" foreign key ("expected_payment_id") references "expected_payment" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "expected_payment_match" add constraint "expected_payment_match_payment_id_foreign" foreign key ("payment_id") references "payment" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "expected_payment_match" drop constraint "expected_payment_match_expected_payment_id_foreign";`);

    this.addSql(`drop table if exists "expected_payment" cascade;`);

    this.addSql(`drop table if exists "expected_payment_match" cascade;`);
  }

}
