import { Migration } from '@mikro-orm/migrations';

export class Migration20261122231937 extends Migration {

  override async up(): Promise<void> {
    // Sortable ids for rows made in bulk by SQL (reconciliation discrepancies and their events): the same shape as
    // src/domain/ids.ts (prefix, 10 chars of ms time, 16 chars) with a per-statement sequence so a batch sorts in order.
    // Ids for rows written in bulk by SQL (reconciliation runs), shaped like the app's: prefix_ + 26 Crockford
    // base32 characters, time first so they sort by creation. Written out term by term (no loops, no aggregates):
    // the function is inlined and costs about as much as now() per row.
    this.addSql(`create or replace function lipa_id(prefix text, seq bigint) returns text language sql volatile as $$
      select prefix || '_'
        || substr(a, ((t >> 45) & 31)::int + 1, 1) || substr(a, ((t >> 40) & 31)::int + 1, 1)
        || substr(a, ((t >> 35) & 31)::int + 1, 1) || substr(a, ((t >> 30) & 31)::int + 1, 1)
        || substr(a, ((t >> 25) & 31)::int + 1, 1) || substr(a, ((t >> 20) & 31)::int + 1, 1)
        || substr(a, ((t >> 15) & 31)::int + 1, 1) || substr(a, ((t >> 10) & 31)::int + 1, 1)
        || substr(a, ((t >> 5) & 31)::int + 1, 1) || substr(a, (t & 31)::int + 1, 1)
        || upper(lpad(to_hex(seq & 4294967295), 8, '0')) || upper(substr(md5(random()::text), 1, 8))
      from (select (extract(epoch from clock_timestamp()) * 1000)::bigint as t,
                   '0123456789ABCDEFGHJKMNPQRSTVWXYZ'::text as a) x
    $$;`);
    this.addSql(`create table "settlement_import" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "payment_source_id" text not null, "format" text not null, "status" text not null default 'LOADING', "content_sha256" text null, "duplicate_of" text null, "bytes_read" bigint not null default 0, "lines_read" int not null default 0, "lines_rejected" int not null default 0, "totals" jsonb null, "period_from" timestamptz null, "period_to" timestamptz null, "errors" jsonb null, "created_by" text null, "completed_at" timestamptz null, constraint "settlement_import_pkey" primary key ("id"));`);
    this.addSql(`alter table "settlement_import" add constraint "settlement_import_payment_source_id_content_sha256_unique" unique ("payment_source_id", "content_sha256");`);

    this.addSql(`alter table "settlement_import" add constraint "settlement_import_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "settlement_import" add constraint "settlement_import_payment_source_id_foreign" foreign key ("payment_source_id") references "payment_source" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "discrepancy" add column "payment_source_id" text null;`);
    this.addSql(`create index "discrepancy_reconciliation_run_id_index" on "discrepancy" ("reconciliation_run_id");`);
    this.addSql(`create index "discrepancy_payment_source_id_status_index" on "discrepancy" ("payment_source_id", "status");`);

    this.addSql(`alter table "reconciliation_run" add column "options" jsonb null;`);

    this.addSql(`alter table "settlement_line" add column "fee_minor" bigint not null default 0, add column "linked_transaction_id" text null, add column "status" text not null default 'COMPLETED';`);
    this.addSql(`create index "settlement_line_payment_source_id_occurred_at_index" on "settlement_line" ("payment_source_id", "occurred_at");`);
    // Runs join lines to payments by hash, never through this index; dropping it makes COPY of large files cheaper.
    this.addSql(`drop index "settlement_line_payment_source_id_provider_transaction_id_index";`);
    // Lines are written only by the import, which checks the organization and source in the same transaction;
    // two foreign-key checks per row were two thirds of COPY's time at a million lines.
    this.addSql(`alter table "settlement_line" drop constraint "settlement_line_organization_id_foreign";`);
    this.addSql(`alter table "settlement_line" drop constraint "settlement_line_payment_source_id_foreign";`);

    this.addSql(`create table "reconciliation_line" ("reconciliation_run_id" text not null, "settlement_line_id" bigint not null, "organization_id" text not null, "outcome" text not null, "rule" text null, "payment_id" text null, constraint "reconciliation_line_pkey" primary key ("reconciliation_run_id", "settlement_line_id"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists lipa_id(text, bigint);`);
    this.addSql(`drop table if exists "settlement_import" cascade;`);

    this.addSql(`drop index "discrepancy_reconciliation_run_id_index";`);
    this.addSql(`drop index "discrepancy_payment_source_id_status_index";`);
    this.addSql(`alter table "discrepancy" drop column "payment_source_id";`);

    this.addSql(`alter table "reconciliation_run" drop column "options";`);

    this.addSql(`drop table if exists "reconciliation_line" cascade;`);
    this.addSql(`alter table "settlement_line" add constraint "settlement_line_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "settlement_line" add constraint "settlement_line_payment_source_id_foreign" foreign key ("payment_source_id") references "payment_source" ("id") on update cascade on delete cascade;`);
    this.addSql(`create index "settlement_line_payment_source_id_provider_transaction_id_index" on "settlement_line" ("payment_source_id", "provider_transaction_id");`);
    this.addSql(`drop index "settlement_line_payment_source_id_occurred_at_index";`);
    this.addSql(`alter table "settlement_line" drop column "fee_minor", drop column "linked_transaction_id", drop column "status";`);
  }

}
