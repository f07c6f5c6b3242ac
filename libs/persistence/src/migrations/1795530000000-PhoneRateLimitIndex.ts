import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The per-phone limit on new flows (PHONE_RATE_LIMIT) counts a number's
 * primary steps of the last window: with this index that is a short range
 * scan of at most PHONE_RATE_LIMIT entries, whatever the table's size.
 * Failover steps are left out (they do not count).
 */
export class PhoneRateLimitIndex1795530000000 implements MigrationInterface {
  name = 'PhoneRateLimitIndex1795530000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "ix_steps_primary_phone_created_at" ON "steps" ("phone_number", "created_at" DESC) WHERE role = 'primary'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_steps_primary_phone_created_at"`);
  }
}
