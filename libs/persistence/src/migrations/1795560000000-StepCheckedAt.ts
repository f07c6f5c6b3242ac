import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When the gateway last had Routee's word on a step (`checked_at`): a poll's
 * or a read's tracking answer, or a delivery report. A GET of a flow asks
 * Routee again only about steps not checked within REFRESH_INTERVAL_MS
 * (ReadRefresher), so reads of a pending flow cost Routee one tracking call
 * an interval, however many replicas serve them. Existing steps start
 * unchecked (NULL): their next read or poll asks, as before.
 */
export class StepCheckedAt1795560000000 implements MigrationInterface {
  name = 'StepCheckedAt1795560000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "steps" ADD "checked_at" TIMESTAMP WITH TIME ZONE`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "steps" DROP COLUMN "checked_at"`);
  }
}
