import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * flows.termination_channel: the channel of the flow's last step once the
 * flow is final (the Failover API's terminationChannel), written with the
 * final status (UPDATE_FLOWS), so that the search's `terminationChannel`
 * filter reads one index instead of probing each flow's last step (bench:
 * `terminationChannel is Voice` took 34-49 ms p95 at 1M flows that way).
 * Existing final flows get it from their steps.
 */
export class TerminationChannel1795650000000 implements MigrationInterface {
  name = 'TerminationChannel1795650000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "flows" ADD "termination_channel" text`);
    await queryRunner.query(
      `ALTER TABLE "flows" ADD CONSTRAINT "ck_flows_termination_channel" CHECK (termination_channel IN ('viber', 'sms', 'voice'))`,
    );
    await queryRunner.query(`
UPDATE flows f SET termination_channel = (SELECT s.channel FROM steps s WHERE s.flow_id = f.id ORDER BY s.step_order DESC LIMIT 1)
 WHERE f.status IN ('Succeeded', 'Failed')`);
    await queryRunner.query(
      `CREATE INDEX "ix_flows_failover_termination_created_at" ON "flows" ("termination_channel", "created_at" DESC, "id" DESC) WHERE kind = 'failover' AND termination_channel IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_flows_failover_termination_created_at"`);
    await queryRunner.query(`ALTER TABLE "flows" DROP CONSTRAINT "ck_flows_termination_channel"`);
    await queryRunner.query(`ALTER TABLE "flows" DROP COLUMN "termination_channel"`);
  }
}
