import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The pumping guard (CONTRACT section 11, docs/operations.md "Pumping guard"):
 *
 * - pumping_prefix(phone): a destination's prefix, the E.164 country calling
 *   code and the next 2 digits (`306912345671` → `3069`, `14155550100` →
 *   `141`, `35799123456` → `35799`). Calling codes are prefix-free (ITU-T
 *   E.164 assignments): `1` and `7` are the 1-digit ones, the list below the
 *   2-digit ones, every other code has 3 digits (unassigned ranges such as
 *   `28x` are read as 3 digits too). IMMUTABLE, so it can be indexed.
 * - steps (pumping_prefix(phone_number), created_at DESC) WHERE primary: the
 *   newest flows to a prefix in a time range, read from the index and stopped
 *   at PUMPING_MIN_FLOWS, whatever the table's size.
 * - pumping_blocks: one row a block, kept after it ends (the CLI lists them):
 *   the prefix, when and until when, the figures that caused it, and
 *   lifted_at when an operator lifted it. (prefix, blocked_at DESC) answers
 *   a send's "latest block of this prefix" in one probe; the partial index on
 *   the blocks not lifted answers the CLI's list.
 *
 * Built inside the migration's transaction (writes to steps wait meanwhile);
 * IF NOT EXISTS lets an operator build the steps index beforehand with
 * CREATE INDEX CONCURRENTLY (same name and definition).
 */
export class PumpingGuard1795640000000 implements MigrationInterface {
  name = 'PumpingGuard1795640000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(PREFIX_FUNCTION);
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "ix_steps_primary_pumping_prefix_created_at" ON "steps" (pumping_prefix("phone_number"), "created_at" DESC) WHERE role = 'primary'`,
    );
    await queryRunner.query(`
      CREATE TABLE "pumping_blocks" (
        "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        "prefix" text NOT NULL,
        "blocked_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "until" TIMESTAMP WITH TIME ZONE NOT NULL,
        "flows" integer NOT NULL,
        "approved" integer NOT NULL,
        "conversion" double precision NOT NULL,
        "lifted_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "ck_pumping_blocks_prefix" CHECK (prefix ~ '^[1-9][0-9]{2,4}$'),
        CONSTRAINT "ck_pumping_blocks_until" CHECK (until > blocked_at),
        CONSTRAINT "ck_pumping_blocks_figures" CHECK (flows > 0 AND approved >= 0 AND approved <= flows AND conversion >= 0 AND conversion <= 1),
        CONSTRAINT "ck_pumping_blocks_lifted_at" CHECK (lifted_at IS NULL OR lifted_at >= blocked_at)
      )`);
    await queryRunner.query(
      `CREATE INDEX "ix_pumping_blocks_prefix_blocked_at" ON "pumping_blocks" ("prefix", "blocked_at" DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_pumping_blocks_not_lifted_until" ON "pumping_blocks" ("until" DESC) WHERE lifted_at IS NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "pumping_blocks"`);
    await queryRunner.query(`DROP INDEX "public"."ix_steps_primary_pumping_prefix_created_at"`);
    await queryRunner.query(`DROP FUNCTION pumping_prefix(text)`);
  }
}

/** the 2-digit calling codes (ITU-T E.164 list of assigned country codes) */
const TWO_DIGIT_CODES = [
  '20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48', '49',
  '51', '52', '53', '54', '55', '56', '57', '58', '60', '61', '62', '63', '64', '65', '66', '81', '82', '84',
  '86', '90', '91', '92', '93', '94', '95', '98',
]; // prettier-ignore

export const PREFIX_FUNCTION = `
CREATE FUNCTION pumping_prefix(phone text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT left(phone, 2 + CASE
    WHEN left(phone, 1) IN ('1', '7') THEN 1
    WHEN left(phone, 2) IN (${TWO_DIGIT_CODES.map((c) => `'${c}'`).join(', ')}) THEN 2
    ELSE 3 END)
$fn$`;
