import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An Idempotency-Key survives the crash of its first request: the record
 * names the flow the request creates (`flow_id`, chosen before the claim)
 * and when it was claimed (`claimed_at`), so a retry can take a stale claim
 * over and replay that flow, or create it under that same id
 * (IdempotencyStore.claim). Records older than a day are purged by the
 * worker, oldest first by `created_at` (ix_idempotency_records_created_at).
 *
 * Records written before this migration: an answered one takes the flowId of
 * its answer; an unanswered one (a request that died) gets a fresh id, as
 * nothing ties it to the flow it may have created. The default serves the
 * same purpose while replicas of the previous version, which do not write
 * `flow_id`, still run.
 */
export class IdempotencyClaims1795550000000 implements MigrationInterface {
  name = 'IdempotencyClaims1795550000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "idempotency_records" ADD "flow_id" uuid NOT NULL DEFAULT gen_random_uuid()`);
    await queryRunner.query(
      `ALTER TABLE "idempotency_records" ADD "claimed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()`,
    );
    await queryRunner.query(
      `UPDATE "idempotency_records" SET "claimed_at" = "created_at", "flow_id" = coalesce(("response"->>'flowId')::uuid, "flow_id")`,
    );
    await queryRunner.query(`CREATE INDEX "ix_idempotency_records_created_at" ON "idempotency_records" ("created_at")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_idempotency_records_created_at"`);
    await queryRunner.query(`ALTER TABLE "idempotency_records" DROP COLUMN "claimed_at"`);
    await queryRunner.query(`ALTER TABLE "idempotency_records" DROP COLUMN "flow_id"`);
  }
}
