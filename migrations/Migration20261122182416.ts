import { Migration } from '@mikro-orm/migrations';

export class Migration20261122182416 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "organization" ("id" text not null, "name" text not null, "time_zone" text not null default 'Africa/Nairobi', "created_at" timestamptz not null default now(), constraint "organization_pkey" primary key ("id"));`);

    this.addSql(`create table "lending_source" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "kind" text check ("kind" in ('FINERACT', 'MAMBU')) not null, "name" text not null, "base_url" text not null, "credentials_encrypted" text not null, "status" text check ("status" in ('ACTIVE', 'UNHEALTHY', 'DISABLED')) not null default 'ACTIVE', "status_reason" text null, "sync_interval_seconds" int null, "last_synced_at" timestamptz null, "sync_watermark" timestamptz null, constraint "lending_source_pkey" primary key ("id"));`);

    this.addSql(`create table "idempotency_record" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "principal_id" text not null, "key" text not null, "operation" text not null, "request_hash" text not null, "state" text not null default 'IN_PROGRESS', "response" jsonb null, "expires_at" timestamptz not null, constraint "idempotency_record_pkey" primary key ("id"));`);
    this.addSql(`alter table "idempotency_record" add constraint "idempotency_record_organization_id_principal_id_key_unique" unique ("organization_id", "principal_id", "key");`);

    this.addSql(`create table "borrower" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "lending_source_id" text not null, "external_id" text not null, "display_name" text null, "phone_number" text null, "email" text null, constraint "borrower_pkey" primary key ("id"));`);
    this.addSql(`create index "borrower_phone_number_index" on "borrower" ("phone_number");`);
    this.addSql(`alter table "borrower" add constraint "borrower_lending_source_id_external_id_unique" unique ("lending_source_id", "external_id");`);

    this.addSql(`create table "loan_account" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "lending_source_id" text not null, "borrower_id" text null, "external_id" text not null, "account_number" text not null, "external_reference" text null, "currency" varchar(3) not null, "status" text check ("status" in ('PENDING', 'APPROVED', 'ACTIVE', 'CLOSED', 'WRITTEN_OFF', 'OVERPAID', 'REJECTED', 'WITHDRAWN', 'UNKNOWN')) not null, "raw_status" text not null, "principal_minor" bigint not null, "lender_outstanding_minor" bigint not null, "overdue_minor" bigint not null, "days_past_due" int not null default 0, "days_in_arrears" int not null default 0, "delinquency_class" text null, "next_due_date" date null, "last_synced_at" timestamptz null, "lender_modified_at" timestamptz null, "fingerprint" text null, "sync_error" text null, "missing_upstream_since" timestamptz null, "assigned_agent_id" text null, "hardship" boolean not null default false, constraint "loan_account_pkey" primary key ("id"));`);
    this.addSql(`create index "loan_account_account_number_index" on "loan_account" ("account_number");`);
    this.addSql(`create index "loan_account_external_reference_index" on "loan_account" ("external_reference");`);
    this.addSql(`create index "loan_account_assigned_agent_id_index" on "loan_account" ("assigned_agent_id");`);
    this.addSql(`alter table "loan_account" add constraint "loan_account_lending_source_id_external_id_unique" unique ("lending_source_id", "external_id");`);

    this.addSql(`create table "installment" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "loan_account_id" text not null, "number" int not null, "due_date" date not null, "total_due_minor" bigint not null, "total_paid_minor" bigint not null, "total_outstanding_minor" bigint not null, "principal_due_minor" bigint not null, "interest_due_minor" bigint not null, "complete" boolean not null, constraint "installment_pkey" primary key ("id"));`);
    this.addSql(`alter table "installment" add constraint "installment_loan_account_id_number_unique" unique ("loan_account_id", "number");`);

    this.addSql(`create table "contact_attempt" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "loan_account_id" text not null, "channel" text not null, "outcome" text not null, "agent_id" text null, "note" text null, "occurred_at" timestamptz not null, constraint "contact_attempt_pkey" primary key ("id"));`);

    this.addSql(`create table "audit_log" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "actor_type" text not null, "actor_id" text null, "action" text not null, "entity_type" text not null, "entity_id" text not null, "data" jsonb null, constraint "audit_log_pkey" primary key ("id"));`);
    this.addSql(`create index "audit_log_entity_type_entity_id_index" on "audit_log" ("entity_type", "entity_id");`);

    this.addSql(`create table "api_key" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "name" text not null, "role" text check ("role" in ('ADMIN', 'FINANCE', 'SUPERVISOR', 'AGENT', 'PARTNER')) not null, "prefix" text not null, "hash" text not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, "created_by" text null, constraint "api_key_pkey" primary key ("id"));`);
    this.addSql(`alter table "api_key" add constraint "api_key_prefix_unique" unique ("prefix");`);

    this.addSql(`create table "outbox_event" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "type" text not null, "aggregate_type" text not null, "aggregate_id" text not null, "payload" jsonb not null, "published_at" timestamptz null, constraint "outbox_event_pkey" primary key ("id"));`);
    this.addSql(`create index "outbox_event_unpublished_idx" on "outbox_event" ("id") where "published_at" is null;`);

    this.addSql(`create table "payment_source" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "kind" text check ("kind" in ('MPESA', 'MTN_MOMO', 'AIRTEL_MONEY', 'STRIPE', 'GOCARDLESS')) not null, "name" text not null, "base_url" text null, "credentials_encrypted" text not null, "callback_token_encrypted" text not null, "lending_source_id" text null, "status" text check ("status" in ('ACTIVE', 'UNHEALTHY', 'DISABLED')) not null default 'ACTIVE', "status_reason" text null, constraint "payment_source_pkey" primary key ("id"));`);

    this.addSql(`create table "payment_request" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "payment_source_id" text not null, "loan_account_id" text not null, "amount_minor" bigint not null, "currency" varchar(3) not null, "phone_masked" text not null, "idempotency_key" uuid not null, "provider_request_id" text null, "status" text check ("status" in ('PENDING', 'SUCCEEDED', 'FAILED', 'EXPIRED')) not null default 'PENDING', "failure_code" text null, "failure_message" text null, "expires_at" timestamptz not null, "status_queries" int not null default 0, "payment_id" text null, "checkout_url" text null, "created_by" text null, constraint "payment_request_pkey" primary key ("id"));`);
    this.addSql(`create index "payment_request_status_expires_at_index" on "payment_request" ("status", "expires_at");`);
    this.addSql(`alter table "payment_request" add constraint "payment_request_payment_source_id_provider_request_id_unique" unique ("payment_source_id", "provider_request_id");`);

    this.addSql(`create table "payment" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "payment_source_id" text not null, "rail" text check ("rail" in ('MPESA', 'MTN_MOMO', 'AIRTEL_MONEY', 'STRIPE', 'GOCARDLESS')) not null, "provider_transaction_id" text not null, "provider_request_id" text null, "payment_request_id" text null, "amount_minor" bigint not null, "currency" varchar(3) not null, "status" text check ("status" in ('PENDING', 'SUCCEEDED', 'FAILED', 'REVERSED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'CHARGED_BACK')) not null, "reconciliation_state" text check ("reconciliation_state" in ('UNMATCHED', 'MATCHED', 'POSTED', 'POSTING_FAILED', 'REVERSAL_PENDING', 'REVERSED_IN_LENDER')) not null default 'UNMATCHED', "account_reference" text null, "payer_reference" text null, "received_at" timestamptz not null, "loan_account_id" text null, "match_rule" text null, "match_evidence" jsonb null, "posted_at" timestamptz null, "lender_transaction_id" text null, "posted_amount_minor" bigint null, "posting_attempts" int not null default 0, "posting_error" text null, "posting_claimed_until" timestamptz null, "refunded_minor" bigint not null default 0, "failure_code" text null, "failure_message" text null, constraint "payment_pkey" primary key ("id"));`);
    this.addSql(`create index "payment_provider_request_id_index" on "payment" ("provider_request_id");`);
    this.addSql(`create index "payment_account_reference_index" on "payment" ("account_reference");`);
    this.addSql(`create index "payment_reconciliation_state_index" on "payment" ("reconciliation_state");`);
    this.addSql(`create index "payment_loan_account_id_received_at_index" on "payment" ("loan_account_id", "received_at");`);
    this.addSql(`alter table "payment" add constraint "payment_payment_source_id_provider_transaction_id_unique" unique ("payment_source_id", "provider_transaction_id");`);

    this.addSql(`create table "payment_allocation" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "payment_id" text not null, "loan_account_id" text not null, "installment_id" text null, "amount_minor" bigint not null, "currency" varchar(3) not null, "kind" text not null, constraint "payment_allocation_pkey" primary key ("id"));`);

    this.addSql(`create table "discrepancy" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "type" text check ("type" in ('UNMATCHED_PAYMENT', 'AMOUNT_MISMATCH', 'DUPLICATE_PAYMENT', 'OVERPAYMENT', 'CURRENCY_MISMATCH', 'MISSING_IN_LENDER', 'MISSING_AT_RAIL', 'MISSING_IN_SETTLEMENT', 'SETTLEMENT_AMOUNT_MISMATCH', 'REVERSED_AFTER_POSTING', 'POSTING_FAILED')) not null, "status" text check ("status" in ('OPEN', 'IN_REVIEW', 'RESOLVED', 'DISMISSED')) not null default 'OPEN', "dedupe_key" text not null, "payment_id" text null, "loan_account_id" text null, "reconciliation_run_id" text null, "amount_minor" bigint null, "currency" varchar(3) null, "summary" text not null, "evidence" jsonb not null, "resolution" text null, "note" text null, "resolved_by" text null, "resolved_at" timestamptz null, constraint "discrepancy_pkey" primary key ("id"));`);
    this.addSql(`create index "discrepancy_status_type_index" on "discrepancy" ("status", "type");`);
    this.addSql(`alter table "discrepancy" add constraint "discrepancy_organization_id_dedupe_key_unique" unique ("organization_id", "dedupe_key");`);

    this.addSql(`create table "inbound_event" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "payment_source_id" text not null, "provider_event_id" text not null, "event_type" text not null, "method" text not null, "headers" jsonb not null, "query" jsonb not null, "raw_body" bytea not null, "status" text check ("status" in ('RECEIVED', 'PROCESSED', 'IGNORED', 'FAILED')) not null default 'RECEIVED', "received_at" timestamptz not null default now(), "processed_at" timestamptz null, "duplicate_count" int not null default 0, "attempts" int not null default 0, "error" text null, constraint "inbound_event_pkey" primary key ("id"));`);
    this.addSql(`create index "inbound_event_status_received_at_index" on "inbound_event" ("status", "received_at");`);
    this.addSql(`alter table "inbound_event" add constraint "inbound_event_payment_source_id_provider_event_id_unique" unique ("payment_source_id", "provider_event_id");`);

    this.addSql(`create table "promise_to_pay" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "loan_account_id" text not null, "amount_minor" bigint not null, "currency" varchar(3) not null, "promised_date" date not null, "grace_days" int not null default 0, "threshold_pct" int not null default 100, "status" text check ("status" in ('OPEN', 'KEPT', 'PARTIALLY_KEPT', 'BROKEN', 'CANCELLED')) not null default 'OPEN', "paid_minor" bigint not null default 0, "created_by" text null, "evaluated_at" timestamptz null, constraint "promise_to_pay_pkey" primary key ("id"));`);

    this.addSql(`create table "reconciliation_run" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "payment_source_id" text not null, "period_from" timestamptz not null, "period_to" timestamptz not null, "status" text not null default 'QUEUED', "stats" jsonb null, "started_at" timestamptz null, "completed_at" timestamptz null, "error" text null, "created_by" text null, constraint "reconciliation_run_pkey" primary key ("id"));`);

    this.addSql(`create table "reversal" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "payment_id" text not null, "amount_minor" bigint not null, "currency" varchar(3) not null, "reason" text not null, "origin" text not null, "status" text check ("status" in ('PENDING', 'SUCCEEDED', 'FAILED')) not null default 'PENDING', "provider_reversal_id" text null, "idempotency_key" uuid not null, "lender_state" text not null default 'NOT_NEEDED', "lender_reversed_at" timestamptz null, "failure_code" text null, "requested_by" text null, constraint "reversal_pkey" primary key ("id"));`);
    this.addSql(`alter table "reversal" add constraint "reversal_payment_id_provider_reversal_id_unique" unique ("payment_id", "provider_reversal_id");`);

    this.addSql(`create table "settlement_line" ("id" bigserial primary key, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "payment_source_id" text not null, "import_id" text not null, "line_number" int not null, "provider_transaction_id" text null, "payout_reference" text null, "kind" text not null, "amount_minor" bigint not null, "currency" varchar(3) not null, "occurred_at" timestamptz not null, "reference" text null);`);
    this.addSql(`create index "settlement_line_import_id_index" on "settlement_line" ("import_id");`);
    this.addSql(`create index "settlement_line_payment_source_id_provider_transaction_id_index" on "settlement_line" ("payment_source_id", "provider_transaction_id");`);

    this.addSql(`create table "sync_run" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "lending_source_id" text not null, "mode" text not null, "status" text check ("status" in ('QUEUED', 'RUNNING', 'SUCCEEDED', 'PARTIAL', 'FAILED')) not null default 'QUEUED', "processed" int not null default 0, "total" int null, "failed" int not null default 0, "cursor" text null, "started_at" timestamptz null, "completed_at" timestamptz null, "error" text null, "errors" jsonb null, constraint "sync_run_pkey" primary key ("id"));`);

    this.addSql(`create table "webhook_endpoint" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "url" text not null, "description" text null, "secret_encrypted" text not null, "event_types" text[] not null default '{}', "active" boolean not null default true, constraint "webhook_endpoint_pkey" primary key ("id"));`);

    this.addSql(`create table "webhook_delivery" ("id" text not null, "organization_id" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "endpoint_id" text not null, "event_id" text not null, "event_type" text not null, "status" text check ("status" in ('PENDING', 'SUCCEEDED', 'FAILED', 'DEAD')) not null default 'PENDING', "attempts" int not null default 0, "next_attempt_at" timestamptz null, "last_status_code" int null, "last_error" text null, "delivered_at" timestamptz null, constraint "webhook_delivery_pkey" primary key ("id"));`);
    this.addSql(`create index "webhook_delivery_status_next_attempt_at_index" on "webhook_delivery" ("status", "next_attempt_at");`);
    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_endpoint_id_event_id_unique" unique ("endpoint_id", "event_id");`);

    this.addSql(`alter table "lending_source" add constraint "lending_source_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "idempotency_record" add constraint "idempotency_record_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "borrower" add constraint "borrower_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "borrower" add constraint "borrower_lending_source_id_foreign" foreign key ("lending_source_id") references "lending_source" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "loan_account" add constraint "loan_account_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "loan_account" add constraint "loan_account_lending_source_id_foreign" foreign key ("lending_source_id") references "lending_source" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "loan_account" add constraint "loan_account_borrower_id_foreign" foreign key ("borrower_id") references "borrower" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "installment" add constraint "installment_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "installment" add constraint "installment_loan_account_id_foreign" foreign key ("loan_account_id") references "loan_account" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "contact_attempt" add constraint "contact_attempt_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "contact_attempt" add constraint "contact_attempt_loan_account_id_foreign" foreign key ("loan_account_id") references "loan_account" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "audit_log" add constraint "audit_log_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "api_key" add constraint "api_key_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "outbox_event" add constraint "outbox_event_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "payment_source" add constraint "payment_source_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "payment_source" add constraint "payment_source_lending_source_id_foreign" foreign key ("lending_source_id") references "lending_source" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "payment_request" add constraint "payment_request_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "payment_request" add constraint "payment_request_payment_source_id_foreign" foreign key ("payment_source_id") references "payment_source" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "payment_request" add constraint "payment_request_loan_account_id_foreign" foreign key ("loan_account_id") references "loan_account" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "payment" add constraint "payment_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "payment" add constraint "payment_payment_source_id_foreign" foreign key ("payment_source_id") references "payment_source" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "payment" add constraint "payment_loan_account_id_foreign" foreign key ("loan_account_id") references "loan_account" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "payment_allocation" add constraint "payment_allocation_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "payment_allocation" add constraint "payment_allocation_payment_id_foreign" foreign key ("payment_id") references "payment" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "payment_allocation" add constraint "payment_allocation_loan_account_id_foreign" foreign key ("loan_account_id") references "loan_account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "payment_allocation" add constraint "payment_allocation_installment_id_foreign" foreign key ("installment_id") references "installment" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "discrepancy" add constraint "discrepancy_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "discrepancy" add constraint "discrepancy_payment_id_foreign" foreign key ("payment_id") references "payment" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "discrepancy" add constraint "discrepancy_loan_account_id_foreign" foreign key ("loan_account_id") references "loan_account" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "inbound_event" add constraint "inbound_event_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "inbound_event" add constraint "inbound_event_payment_source_id_foreign" foreign key ("payment_source_id") references "payment_source" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "promise_to_pay" add constraint "promise_to_pay_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "promise_to_pay" add constraint "promise_to_pay_loan_account_id_foreign" foreign key ("loan_account_id") references "loan_account" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "reconciliation_run" add constraint "reconciliation_run_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "reconciliation_run" add constraint "reconciliation_run_payment_source_id_foreign" foreign key ("payment_source_id") references "payment_source" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "reversal" add constraint "reversal_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "reversal" add constraint "reversal_payment_id_foreign" foreign key ("payment_id") references "payment" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "settlement_line" add constraint "settlement_line_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "settlement_line" add constraint "settlement_line_payment_source_id_foreign" foreign key ("payment_source_id") references "payment_source" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "sync_run" add constraint "sync_run_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "sync_run" add constraint "sync_run_lending_source_id_foreign" foreign key ("lending_source_id") references "lending_source" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "webhook_endpoint" add constraint "webhook_endpoint_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_endpoint_id_foreign" foreign key ("endpoint_id") references "webhook_endpoint" ("id") on update cascade on delete cascade;`);
  }

}
