import { Migration } from '@mikro-orm/migrations';

export class Migration20261208040000 extends Migration {
  override async up(): Promise<void> {
    // A reconciliation run hashes only the source's payments received from shortly before its period on, instead of
    // the source's whole history; this finds them. BRIN: payments are written as they arrive, so a block range covers
    // a short span of time, and the index costs ingest almost nothing.
    this.addSql(
      `create index "payment_received_at_brin" on "payment" using brin ("received_at") with (autosummarize = on);`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "payment_received_at_brin";`);
  }
}
