import { Migration } from '@mikro-orm/migrations';

export class Migration20261208010000 extends Migration {
  override async up(): Promise<void> {
    // A statement line's payment source and load time are its import's, and a line never changes: the three columns
    // were 47 of a line's ~200 bytes, written and WAL-logged for every line of every import and read back by every
    // run (a fifth of COPY's time for a million lines). The view takes the source from the run instead.
    this.addSql(`drop view if exists "reconciliation_line_outcome";`);
    this.addSql(
      `alter table "settlement_line" drop column "payment_source_id", drop column "created_at", drop column "updated_at";`,
    );
    this.addSql(VIEW);
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists "reconciliation_line_outcome";`);
    this.addSql(
      `alter table "settlement_line" add column "payment_source_id" text null, add column "created_at" timestamptz not null default now(), add column "updated_at" timestamptz not null default now();`,
    );
    this.addSql(
      `update "settlement_line" l set "payment_source_id" = i."payment_source_id", "created_at" = i."created_at", "updated_at" = i."created_at" from "settlement_import" i where i."id" = l."import_id";`,
    );
    this.addSql(`alter table "settlement_line" alter column "payment_source_id" set not null;`);
    this.addSql(
      VIEW.replace('and l.status = ', 'and l.payment_source_id = r.payment_source_id and l.status = '),
    );
  }
}

/** One row per in-period line of every run, recorded or plain (see Migration20261207230000); lines by the run's imports. */
const VIEW = `create view "reconciliation_line_outcome" as
select r.id as reconciliation_run_id, l.id as settlement_line_id, r.organization_id,
       coalesce(x.outcome, 'MATCHED') as outcome,
       case when x.settlement_line_id is null then 'TRANSACTION_ID' else x.rule end as rule,
       case when x.settlement_line_id is null then p.id else x.payment_id end as payment_id
  from reconciliation_run r
  join settlement_line l on l.import_id = any(r.import_ids) and l.organization_id = r.organization_id
                        and l.status = 'COMPLETED'
                        and l.occurred_at >= r.period_from and l.occurred_at < r.period_to
  left join reconciliation_line x on x.reconciliation_run_id = r.id and x.settlement_line_id = l.id
  left join payment p on x.settlement_line_id is null and p.organization_id = l.organization_id
                     and p.payment_source_id = r.payment_source_id
                     and p.provider_transaction_id = l.provider_transaction_id
 where r.import_ids is not null
union all
-- Runs from before import_ids recorded every line.
select x.reconciliation_run_id, x.settlement_line_id, x.organization_id, x.outcome, x.rule, x.payment_id
  from reconciliation_line x join reconciliation_run r on r.id = x.reconciliation_run_id
 where r.import_ids is null;`;
