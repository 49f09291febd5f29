import { Migration } from '@mikro-orm/migrations';

export class Migration20261208050000 extends Migration {
  override async up(): Promise<void> {
    // Amounts are magnitudes and the kind gives the direction, which lost it for lines that can go either way: a credit
    // adjustment (a dispute won back, refund funds returned) or a refunded fee counted as a debit in a payout's sum.
    // The signed effect as the file states it. Nullable, no backfill: older lines are read by their kind, as before.
    this.addSql(`alter table "settlement_line" add column "net_minor" bigint null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "settlement_line" drop column "net_minor";`);
  }
}
