import { Migration } from '@mikro-orm/migrations';

export class Migration20261207230000 extends Migration {

  override async up(): Promise<void> {
    // A run now records only the statement lines that did not match plainly (a PAYMENT line paired with its payment
    // by the rail's transaction id at the same amount): writing all of them cost 1.8-2.5 s of a million-line run and
    // grew the table by a whole statement per run. The run keeps the imports it read, so every line's outcome can be
    // rebuilt: reconciliation_line_outcome gives one row per in-period line of every run, recorded or plain.
    this.addSql(`alter table "reconciliation_run" add column "import_ids" text[] null;`);
    this.addSql(`create view "reconciliation_line_outcome" as
select r.id as reconciliation_run_id, l.id as settlement_line_id, r.organization_id,
       coalesce(x.outcome, 'MATCHED') as outcome,
       case when x.settlement_line_id is null then 'TRANSACTION_ID' else x.rule end as rule,
       case when x.settlement_line_id is null then p.id else x.payment_id end as payment_id
  from reconciliation_run r
  join settlement_line l on l.import_id = any(r.import_ids) and l.organization_id = r.organization_id
                        and l.payment_source_id = r.payment_source_id and l.status = 'COMPLETED'
                        and l.occurred_at >= r.period_from and l.occurred_at < r.period_to
  left join reconciliation_line x on x.reconciliation_run_id = r.id and x.settlement_line_id = l.id
  left join payment p on x.settlement_line_id is null and p.organization_id = l.organization_id
                     and p.payment_source_id = l.payment_source_id
                     and p.provider_transaction_id = l.provider_transaction_id
 where r.import_ids is not null
union all
-- Runs from before import_ids recorded every line.
select x.reconciliation_run_id, x.settlement_line_id, x.organization_id, x.outcome, x.rule, x.payment_id
  from reconciliation_line x join reconciliation_run r on r.id = x.reconciliation_run_id
 where r.import_ids is null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists "reconciliation_line_outcome";`);
    this.addSql(`alter table "reconciliation_run" drop column "import_ids";`);
  }

}
