import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class Initial1795417379816 implements MigrationInterface {
  name = 'Initial1795417379816';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "key_hash" text NOT NULL, "key_prefix" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_keys_key_hash" ON "api_keys"  ("key_hash") `);
    await queryRunner.query(
      `CREATE TABLE "flows" ("id" uuid NOT NULL, "status" text NOT NULL, "status_code" smallint, "definition" jsonb NOT NULL, "failover_on_delivered" boolean NOT NULL DEFAULT false, "callback_url" text, "error" text, "api_key_id" text, "next_check_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_c346955f4318ef565e6928462fe" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_flows_next_check_at" ON "flows"  ("next_check_at") WHERE next_check_at IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE TABLE "steps" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "flow_id" uuid NOT NULL, "role" text NOT NULL, "channel" text NOT NULL, "phone_number" text NOT NULL, "label" text, "tracking_id" text, "status" text NOT NULL, "send_state" text NOT NULL, "send_error" text, "claimed_until" TIMESTAMP WITH TIME ZONE, "detailed_status" text, "error_message" text, "price" double precision, "latency_ms" integer, "country" text, "operator" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "sent_at" TIMESTAMP WITH TIME ZONE, "delivered_at" TIMESTAMP WITH TIME ZONE, "status_updated_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "uq_steps_flow_role" UNIQUE ("flow_id", "role"), CONSTRAINT "PK_65f86ac8996204d11f915f66a5b" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_steps_tracking_id" ON "steps"  ("tracking_id") WHERE tracking_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE TABLE "idempotency_records" ("api_key_id" text NOT NULL, "key" text NOT NULL, "request_hash" text NOT NULL, "response" jsonb, "response_status" smallint, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d06966628049ab585a95f67df2a" PRIMARY KEY ("api_key_id", "key"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "steps" ADD CONSTRAINT "FK_1aace51b4b7c38a55a23366151b" FOREIGN KEY ("flow_id") REFERENCES "flows"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "steps" DROP CONSTRAINT "FK_1aace51b4b7c38a55a23366151b"`);
    await queryRunner.query(`DROP TABLE "idempotency_records"`);
    await queryRunner.query(`DROP INDEX "public"."uq_steps_tracking_id"`);
    await queryRunner.query(`DROP TABLE "steps"`);
    await queryRunner.query(`DROP INDEX "public"."ix_flows_next_check_at"`);
    await queryRunner.query(`DROP TABLE "flows"`);
    await queryRunner.query(`DROP INDEX "public"."uq_api_keys_key_hash"`);
    await queryRunner.query(`DROP TABLE "api_keys"`);
  }
}
