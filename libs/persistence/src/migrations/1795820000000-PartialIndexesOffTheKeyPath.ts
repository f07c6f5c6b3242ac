import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The partial indexes that a statement naming its row by primary key could also read: the send claims'
 * (`WHERE send_state = 'sending'` / `'queued'`) and the Failover OTP flows' by creation (`WHERE kind = 'otp'`).
 * A statement such as `UPDATE steps ... WHERE id = $1 AND send_state = 'sending'` implies the first one's
 * predicate, and a prepared statement's generic plan, made while the table was small, read that whole partial
 * index and filtered it by id instead of reading the primary key: every later call then paid for the index's
 * every entry, dead ones included (140-230 buffers and 2.9-3.4 ms of Postgres a send in the bench, growing with
 * the sends since the last vacuum; a code check read every Failover OTP flow's entry). Each predicate gets a
 * condition on its indexed column (`IS NOT NULL`) that no such statement implies, and that the statements the
 * indexes are for do (a strict comparison on the column): the send sweeper (`claimed_until < now()`), the stats
 * rollup and retention (`created_at >= …`, `created_at < …`). Their content is unchanged: a claimed or queued
 * step always has claimed_until, and created_at is NOT NULL. test/generic-plans.e2e-spec.ts pins the plans.
 */
const INDEXES = [
  {
    name: 'ix_steps_sending_claimed_until',
    on: `"steps" ("claimed_until")`,
    where: `send_state = 'sending'`,
    column: 'claimed_until',
  },
  {
    name: 'ix_steps_queued_claimed_until',
    on: `"steps" ("claimed_until")`,
    where: `send_state = 'queued'`,
    column: 'claimed_until',
  },
  { name: 'ix_flows_otp_created_at', on: `"flows" ("created_at")`, where: `kind = 'otp'`, column: 'created_at' },
];

export class PartialIndexesOffTheKeyPath1795820000000 implements MigrationInterface {
  name = 'PartialIndexesOffTheKeyPath1795820000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const { name, on, where, column } of INDEXES) {
      await queryRunner.query(`DROP INDEX "public"."${name}"`);
      await queryRunner.query(`CREATE INDEX "${name}" ON ${on} WHERE ${where} AND ${column} IS NOT NULL`);
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const { name, on, where } of INDEXES) {
      await queryRunner.query(`DROP INDEX "public"."${name}"`);
      await queryRunner.query(`CREATE INDEX "${name}" ON ${on} WHERE ${where}`);
    }
  }
}
