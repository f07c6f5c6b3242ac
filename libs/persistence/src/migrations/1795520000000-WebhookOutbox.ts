import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The webhook outbox (README, "Webhooks") and the per-flow digest of what the integrator was last told. */

export class WebhookOutbox1795520000000 implements MigrationInterface {
  name = 'WebhookOutbox1795520000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "webhook_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "seq" BIGSERIAL NOT NULL, "flow_id" uuid NOT NULL, "type" text NOT NULL, "url" text NOT NULL, "payload" jsonb NOT NULL, "state" text NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "claimed_until" TIMESTAMP WITH TIME ZONE, "last_error" text, "last_status_code" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "delivered_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_4cba37e6a0acb5e1fc49c34ebfd" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_webhook_events_due" ON "webhook_events"  ("next_attempt_at") WHERE state = 'pending'`,
    );
    await queryRunner.query(`CREATE INDEX "ix_webhook_events_flow_seq" ON "webhook_events"  ("flow_id", "seq") `);
    await queryRunner.query(`ALTER TABLE "flows" ADD "webhook_state" text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "flows" DROP COLUMN "webhook_state"`);
    await queryRunner.query(`DROP INDEX "public"."ix_webhook_events_flow_seq"`);
    await queryRunner.query(`DROP INDEX "public"."ix_webhook_events_due"`);
    await queryRunner.query(`DROP TABLE "webhook_events"`);
  }
}
