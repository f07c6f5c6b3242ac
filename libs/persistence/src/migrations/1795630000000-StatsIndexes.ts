import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes behind GET /otp/stats (sql/stats.statements.ts), so that the
 * statement reads its rows from indexes alone, in created_at order, and
 * joins them by hash (README, "Stats"):
 * - flows: the Failover OTP flows by created_at, with the columns the
 *   figures read (`definition` is not among them: it is read by primary key
 *   for the few flows that may count as an SMS saved);
 * - steps: one partial index per role by created_at, with the columns the
 *   figures read. A step is never created before its flow (the primary in
 *   the flow's own statement, the failover later), so the steps of the flows
 *   created from `from` on are the steps created from `from` on, one range
 *   of each index. A step row is in one of the two.
 *
 * The builds hold a write lock on the table while they run (a few seconds at
 * 1M rows; CONCURRENTLY is not allowed in the migration's transaction). IF NOT
 * EXISTS lets an operator build them beforehand with CREATE INDEX
 * CONCURRENTLY (same names and definitions) and then migrate.
 */
export class StatsIndexes1795630000000 implements MigrationInterface {
  name = 'StatsIndexes1795630000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "ix_flows_otp_stats" ON "flows" ("created_at") INCLUDE ("id", "verification_status", "verified_at", "failover_on_delivered") WHERE kind = 'otp'`,
    );
    for (const role of ['primary', 'failover'])
      await queryRunner.query(
        `CREATE INDEX IF NOT EXISTS "ix_steps_${role}_stats" ON "steps" ("created_at") INCLUDE ("flow_id", "channel", "status", "send_state", "sent_at", "delivered_at", "price", "country") WHERE role = '${role}'`,
      );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_steps_failover_stats"`);
    await queryRunner.query(`DROP INDEX "public"."ix_steps_primary_stats"`);
    await queryRunner.query(`DROP INDEX "public"."ix_flows_otp_stats"`);
  }
}
