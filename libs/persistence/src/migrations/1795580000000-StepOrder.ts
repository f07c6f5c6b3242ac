import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Steps carry their position in the flow's definition (`step_order`, from
 * 1), so that a flow can have more than two. Existing steps take it from
 * their role: primary 1, failover 2. (flow_id, step_order) is unique;
 * uq_steps_flow_role stays, as the failover's exactly-once claim relies on it.
 *
 * A row inserted without step_order takes it from its role too (trigger
 * steps_step_order_from_role): replicas of the previous version, still
 * running during a rolling upgrade, do not write it.
 */
export class StepOrder1795580000000 implements MigrationInterface {
  name = 'StepOrder1795580000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "steps" ADD "step_order" integer`);
    await queryRunner.query(`UPDATE "steps" SET "step_order" = CASE "role" WHEN 'primary' THEN 1 ELSE 2 END`);
    await queryRunner.query(`ALTER TABLE "steps" ALTER COLUMN "step_order" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "steps" ADD CONSTRAINT "ck_steps_step_order" CHECK (step_order >= 1)`);
    await queryRunner.query(
      `ALTER TABLE "steps" ADD CONSTRAINT "uq_steps_flow_step_order" UNIQUE ("flow_id", "step_order")`,
    );
    await queryRunner.query(`
CREATE FUNCTION steps_step_order_from_role() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  NEW.step_order := CASE NEW.role WHEN 'primary' THEN 1 ELSE 2 END;
  RETURN NEW;
END
$fn$`);
    await queryRunner.query(
      `CREATE TRIGGER "steps_step_order_from_role" BEFORE INSERT ON "steps" FOR EACH ROW WHEN (NEW.step_order IS NULL) EXECUTE FUNCTION steps_step_order_from_role()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "steps_step_order_from_role" ON "steps"`);
    await queryRunner.query(`DROP FUNCTION steps_step_order_from_role()`);
    await queryRunner.query(`ALTER TABLE "steps" DROP CONSTRAINT "uq_steps_flow_step_order"`);
    await queryRunner.query(`ALTER TABLE "steps" DROP CONSTRAINT "ck_steps_step_order"`);
    await queryRunner.query(`ALTER TABLE "steps" DROP COLUMN "step_order"`);
  }
}
