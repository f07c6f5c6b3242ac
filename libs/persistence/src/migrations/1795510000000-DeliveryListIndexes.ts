import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Indexes behind GET /otp/failover (the deliveries list), checked with
 * EXPLAIN ANALYZE on 1M steps (README, "Listing deliveries"):
 * - pg_trgm GIN on phone_number and label: `LIKE '%…%'` / `ILIKE '%…%'` with
 *   three characters or more becomes a bitmap index scan instead of a scan of
 *   the table (shorter patterns match too many rows for an index to help; the
 *   planner then walks the created_at index below and stops at the page);
 * - (lower(status), created_at DESC, id DESC) INCLUDE (status): the status
 *   filter is case-insensitive, and with the sort columns behind it a status
 *   page is read in order from the index and stops after `limit`; carrying
 *   status itself lets the total (count) of a status be an index-only scan
 *   (Postgres cannot answer lower(status) from the expression alone): 0.4 s →
 *   0.05 s for a status a third of 1M rows have;
 * - (created_at DESC, id DESC): the list's order (newest first, id breaks
 *   ties), so a page is read from the index, not sorted; with the id in the
 *   index the page's ids come from an index-only scan, deep offsets included.
 * flow_id needs nothing new: uq_steps_flow_role (flow_id, role) serves it.
 *
 * The builds hold a write lock on steps while they run (~7 s at 1M rows, in
 * the migration's transaction, where CONCURRENTLY is not allowed). IF NOT
 * EXISTS lets an operator with a large table build them beforehand with
 * CREATE INDEX CONCURRENTLY (same names and definitions) and then migrate.
 */
export class DeliveryListIndexes1795510000000 implements MigrationInterface {
  name = 'DeliveryListIndexes1795510000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "ix_steps_created_at_id" ON "steps" ("created_at" DESC, "id" DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "ix_steps_status_lower_created_at" ON "steps" (lower("status"), "created_at" DESC, "id" DESC) INCLUDE ("status")`,
    );
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "ix_steps_phone_number_trgm" ON "steps" USING gin ("phone_number" gin_trgm_ops)`,
    );
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "ix_steps_label_trgm" ON "steps" USING gin ("label" gin_trgm_ops)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_steps_label_trgm"`);
    await queryRunner.query(`DROP INDEX "public"."ix_steps_phone_number_trgm"`);
    await queryRunner.query(`DROP INDEX "public"."ix_steps_status_lower_created_at"`);
    await queryRunner.query(`DROP INDEX "public"."ix_steps_created_at_id"`);
    // pg_trgm stays: another schema object may use it, and dropping it is not needed to undo these indexes
  }
}
