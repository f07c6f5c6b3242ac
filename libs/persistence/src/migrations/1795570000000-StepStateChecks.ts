import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The steps table's state columns take only the values the code knows
 * (entities/step-state.ts): CHECK constraints on channel, role, send_state
 * and send_error (NULL passes a CHECK: a step that did not fail has none).
 *
 * A send queued while Routee's circuit is open gets its own state, `queued`,
 * instead of staying `sending` with a note in error_message. The steps that
 * carry that note are converted (their claimed_until stays their retry
 * time), and ix_steps_queued_claimed_until serves the worker's claim of them
 * as ix_steps_sending_claimed_until serves the stranded ones'. down() puts the
 * note back on them.
 *
 * Adding the constraints reads the whole table under its lock (a few seconds
 * at millions of rows), as the earlier index migrations do.
 */
export class StepStateChecks1795570000000 implements MigrationInterface {
  name = 'StepStateChecks1795570000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE "steps" SET "send_state" = 'queued', "error_message" = NULL WHERE "send_state" = 'sending' AND "error_message" = 'queued: Routee unavailable (circuit open)'`,
    );
    await queryRunner.query(
      `ALTER TABLE "steps" ADD CONSTRAINT "ck_steps_channel" CHECK (channel IN ('viber', 'sms'))`,
    );
    await queryRunner.query(
      `ALTER TABLE "steps" ADD CONSTRAINT "ck_steps_role" CHECK (role IN ('primary', 'failover'))`,
    );
    await queryRunner.query(
      `ALTER TABLE "steps" ADD CONSTRAINT "ck_steps_send_state" CHECK (send_state IN ('sending', 'queued', 'sent', 'failed'))`,
    );
    await queryRunner.query(
      `ALTER TABLE "steps" ADD CONSTRAINT "ck_steps_send_error" CHECK (send_error IN ('insufficient_balance', 'rejected', 'unavailable'))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_steps_queued_claimed_until" ON "steps" ("claimed_until") WHERE send_state = 'queued'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_steps_queued_claimed_until"`);
    await queryRunner.query(`ALTER TABLE "steps" DROP CONSTRAINT "ck_steps_send_error"`);
    await queryRunner.query(`ALTER TABLE "steps" DROP CONSTRAINT "ck_steps_send_state"`);
    await queryRunner.query(`ALTER TABLE "steps" DROP CONSTRAINT "ck_steps_role"`);
    await queryRunner.query(`ALTER TABLE "steps" DROP CONSTRAINT "ck_steps_channel"`);
    await queryRunner.query(
      `UPDATE "steps" SET "send_state" = 'sending', "error_message" = 'queued: Routee unavailable (circuit open)' WHERE "send_state" = 'queued'`,
    );
  }
}
