import { Migration } from '@mikro-orm/migrations';

export class Migration20261208020000 extends Migration {
  override async up(): Promise<void> {
    // The (kind, key) pairs a statement lists more than once, noted by the import while the file streams: a run over
    // that one import ranks just those lines instead of grouping every line by key. Null (imports before this) makes
    // the run group them itself, as before.
    this.addSql(`alter table "settlement_import" add column "repeated_keys" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "settlement_import" drop column "repeated_keys";`);
  }
}
