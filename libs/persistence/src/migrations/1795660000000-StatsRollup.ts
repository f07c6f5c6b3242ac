import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * GET /otp/stats reads most of a window from a rollup instead of every flow of
 * the window (README, "Stats"): `stats_hours` holds one row per hour, primary
 * channel and country with the counted figures and the times to deliver and
 * to verify as histograms (two significant digits: a key, a count and a sum per bin);
 * `stats_days` the same per UTC day, summed from its hours (a week reads 7 × fewer bins);
 * `stats_rollup` (one row) says up to which hour the rollup is complete and
 * when it last ran (StatsStore.rollUp, from the worker).
 *
 * The three covering indexes of migration StatsIndexes go: every write of a
 * step or a flow paid for them (their INCLUDE columns are the ones that
 * change, so no update of those rows was a HOT update), and the rollup reads
 * an hour's flows through one narrow index on created_at instead.
 * Existing flows need nothing: the first rollup starts at the oldest hour.
 */
export class StatsRollup1795660000000 implements MigrationInterface {
  name = 'StatsRollup1795660000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const index of ['ix_steps_failover_stats', 'ix_steps_primary_stats', 'ix_flows_otp_stats'])
      await queryRunner.query(`DROP INDEX IF EXISTS "public"."${index}"`);
    await queryRunner.query(`CREATE INDEX "ix_flows_otp_created_at" ON "flows" ("created_at") WHERE kind = 'otp'`);
    // a histogram's bin: its key, how many times fell in it, their sum (one array of these unnests at
    // half the cost of three parallel arrays)
    await queryRunner.query(`CREATE TYPE "stats_bin" AS (k integer, n integer, s double precision)`);
    await queryRunner.query(`
CREATE TABLE "stats_hours" (
  "hour" TIMESTAMP WITH TIME ZONE NOT NULL,
  "channel" text NOT NULL,
  "country" text NOT NULL,
  "flows" integer NOT NULL,
  "viber_messages" integer NOT NULL,
  "sms_messages" integer NOT NULL,
  "delivered" integer NOT NULL,
  "verified" integer NOT NULL,
  "failovers" integer NOT NULL,
  "sms_saved" integer NOT NULL,
  "cost" double precision NOT NULL,
  "deliver_bins" stats_bin[] NOT NULL,
  "verify_bins" stats_bin[] NOT NULL,
  CONSTRAINT "pk_stats_hours" PRIMARY KEY ("hour", "channel", "country"))`);
    await queryRunner.query(`CREATE TABLE "stats_days" (LIKE "stats_hours")`);
    await queryRunner.query(`ALTER TABLE "stats_days" RENAME COLUMN "hour" TO "day"`);
    await queryRunner.query(
      `ALTER TABLE "stats_days" ADD CONSTRAINT "pk_stats_days" PRIMARY KEY ("day", "channel", "country")`,
    );
    await queryRunner.query(`
CREATE TABLE "stats_rollup" (
  "id" boolean PRIMARY KEY DEFAULT true CHECK (id),
  "rolled_through" TIMESTAMP WITH TIME ZONE NOT NULL,
  "last_run_at" TIMESTAMP WITH TIME ZONE NOT NULL)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "stats_rollup"`);
    await queryRunner.query(`DROP TABLE "stats_days"`);
    await queryRunner.query(`DROP TABLE "stats_hours"`);
    await queryRunner.query(`DROP TYPE "stats_bin"`);
    await queryRunner.query(`DROP INDEX "public"."ix_flows_otp_created_at"`);
    await queryRunner.query(
      `CREATE INDEX "ix_flows_otp_stats" ON "flows" ("created_at") INCLUDE ("id", "verification_status", "verified_at", "failover_on_delivered") WHERE kind = 'otp'`,
    );
    for (const role of ['primary', 'failover'])
      await queryRunner.query(
        `CREATE INDEX "ix_steps_${role}_stats" ON "steps" ("created_at") INCLUDE ("flow_id", "channel", "status", "send_state", "sent_at", "delivered_at", "price", "country") WHERE role = '${role}'`,
      );
  }
}
