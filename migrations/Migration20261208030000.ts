import { Migration } from '@mikro-orm/migrations';

export class Migration20261208030000 extends Migration {
  override async up(): Promise<void> {
    // Lines are found by import through a BRIN index instead of a B-tree: an import's lines are appended together and
    // import ids grow with time, so a block range holds one import or a few. The B-tree cost COPY 1.0-1.4 s per
    // million lines; the BRIN index almost nothing.
    this.addSql(`drop index if exists "settlement_line_import_id_index";`);
    this.addSql(
      `create index "settlement_line_import_id_index" on "settlement_line" using brin ("import_id") with (autosummarize = on);`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "settlement_line_import_id_index";`);
    this.addSql(`create index "settlement_line_import_id_index" on "settlement_line" ("import_id");`);
  }
}
