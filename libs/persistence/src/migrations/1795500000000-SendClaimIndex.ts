import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class SendClaimIndex1795500000000 implements MigrationInterface {
  name = 'SendClaimIndex1795500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "ix_steps_sending_claimed_until" ON "steps"  ("claimed_until") WHERE send_state = 'sending'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_steps_sending_claimed_until"`);
  }
}
