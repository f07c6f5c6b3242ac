import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention (docs/operations.md, "Retention"; sql/retention.statements.ts):
 * - `flows.secrets_erased_at`: when the flow's pin, code hash and message
 *   bodies were erased; null until then. Added without a default, so the
 *   column costs no rewrite of the table.
 * - `ix_flows_secrets_due`: the final flows not erased yet, by updated_at
 *   (a final flow's last change, the time its retention counts from). The
 *   erasure reads its batches from it; once a flow is erased it leaves the
 *   index, which stays the size of a day or so of flows.
 *
 * The deletion of old flows needs no new index: it reads each kind's flows by
 * created_at from ix_flows_otp_created_at and ix_flows_failover_created_at_id.
 *
 * The build holds a write lock on flows while it runs (a second or so at 1M
 * rows; CONCURRENTLY is not allowed in the migration's transaction). IF NOT
 * EXISTS lets an operator build it beforehand with CREATE INDEX CONCURRENTLY
 * (same name and definition), after adding the column, and then migrate.
 */
export class Retention1795800000000 implements MigrationInterface {
  name = 'Retention1795800000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "flows" ADD COLUMN IF NOT EXISTS "secrets_erased_at" timestamptz`);
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "ix_flows_secrets_due" ON "flows" ("updated_at") WHERE secrets_erased_at IS NULL AND status IN ('Succeeded', 'Failed')`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_flows_secrets_due"`);
    await queryRunner.query(`ALTER TABLE "flows" DROP COLUMN "secrets_erased_at"`);
  }
}
