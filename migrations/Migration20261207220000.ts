import { Migration } from '@mikro-orm/migrations';

export class Migration20261207220000 extends Migration {

  override async up(): Promise<void> {
    // COPY of a million statement lines spent 7 of its 10.7 s keeping two indexes: (payment_source_id, occurred_at)
    // took random inserts in time order (a statement is not sorted by time) with locale-aware compares of the source
    // id on every step, and (import_id) compared the same id with strcoll a million times. A run now finds its lines
    // through the source's imports (settlement_import knows each import's period), and import ids, which are ASCII
    // identifiers, compare bytewise.
    this.addSql(`drop index if exists "settlement_line_payment_source_id_occurred_at_index";`);
    this.addSql(`alter table "settlement_line" alter column "import_id" type text collate "C";`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "settlement_line" alter column "import_id" type text collate "default";`);
    this.addSql(`create index "settlement_line_payment_source_id_occurred_at_index" on "settlement_line" ("payment_source_id", "occurred_at");`);
  }

}
