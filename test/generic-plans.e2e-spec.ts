import type { Statement } from '../libs/persistence/src/sql/statement';
import {
  MARK_PRIMARY_SENT,
  MARK_STEP_FAILED,
  MARK_STEPS_SENT,
  QUEUE_SEND,
  RECORD_FAILOVERS_SENT,
} from '../libs/persistence/src/sql/steps.statements';
import { APPROVE, CANCEL, COUNT_ATTEMPT, VERIFICATION_OF } from '../libs/persistence/src/sql/verification.statements';
import { CLAIM_DUE_SENDS, RENEW_SEND_CLAIM } from '../libs/persistence/src/sql/work-queue.statements';
import type { QueryRunner } from 'typeorm';
import { PartialIndexesOffTheKeyPath1795820000000 } from '../libs/persistence/src/migrations/1795820000000-PartialIndexesOffTheKeyPath';
import { resetTables, startTestGateway, type TestGateway } from './support/test-gateway';

/** the partial indexes a statement naming its row by primary key could also read (migration PartialIndexesOffTheKeyPath) */
const PARTIAL = ['ix_steps_sending_claimed_until', 'ix_steps_queued_claimed_until', 'ix_flows_otp_created_at'];

/** statements that name their rows by id, and the primary key each must read ('' for a batch: any plan but PARTIAL) */
const BY_KEY: [Statement<readonly unknown[], unknown>, 'steps' | 'flows' | ''][] = [
  [MARK_PRIMARY_SENT, 'steps'],
  [MARK_STEP_FAILED, 'steps'],
  [QUEUE_SEND, 'steps'],
  [RENEW_SEND_CLAIM, 'steps'],
  [MARK_STEPS_SENT, ''],
  [RECORD_FAILOVERS_SENT, ''],
  [COUNT_ATTEMPT, 'flows'],
  [VERIFICATION_OF, 'flows'],
  [APPROVE, 'flows'],
  [CANCEL, 'flows'],
];

/**
 * The plan a prepared statement keeps (its generic plan, chosen after five
 * calls and kept for the connection's life) reads the primary key, whatever
 * the table held when it was made: a generic plan made on a small table read a
 * whole partial index for `WHERE id = $1 AND send_state = 'sending'` instead,
 * and each later call paid for every entry of it, dead ones included (2.9-3.4
 * ms of Postgres a send in the bench). EXPLAIN (GENERIC_PLAN) is that plan.
 */
describe('generic plans of the statements that name rows by primary key', () => {
  let t: TestGateway;
  const planOf = async (s: Statement<readonly unknown[], unknown>) =>
    (await t.db.query(`EXPLAIN (GENERIC_PLAN, COSTS OFF) ${s.text}`)).rows
      .map((r: Record<string, string>) => r['QUERY PLAN'])
      .join('\n');
  const primaryKeyOf = async (table: string) =>
    (await t.db.query(`SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`, [table]))
      .rows[0].conname as string;

  beforeAll(async () => {
    t = await startTestGateway({ env: { WORKER_ENABLED: 'false' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  const cases: [string, () => Promise<void>][] = [
    ['empty tables', () => resetTables(t.db)],
    [
      'hundreds of sends claimed or queued, analyzed',
      async () => {
        await resetTables(t.db);
        await t.db.query(`
          WITH f AS (INSERT INTO flows (id, status, definition, kind)
                     SELECT gen_random_uuid(), 'InProgress', '[]', 'otp' FROM generate_series(1, 600) RETURNING id)
          INSERT INTO steps (flow_id, step_order, role, channel, phone_number, status, send_state, claimed_until)
          SELECT id, 1, 'primary', 'viber', '306900000000', 'Queued',
                 CASE WHEN random() < 0.5 THEN 'sending' ELSE 'queued' END, now() FROM f`);
        await t.db.query('ANALYZE flows, steps');
      },
    ],
  ];
  describe.each(cases)('on %s', (_, setUp) => {
    beforeAll(async () => {
      await setUp();
    });

    it.each(BY_KEY.map(([s, table]) => [s.name, s, table] as const))('%s', async (_name, s, table) => {
      const plan = await planOf(s);
      for (const index of PARTIAL) expect(plan).not.toContain(index);
      if (table) expect(plan).toContain(`Index Scan using "${await primaryKeyOf(table)}" on ${table}`);
    });

    it('the migration down() and up() again: the predicates as before, then as now', async () => {
      const migration = new PartialIndexesOffTheKeyPath1795820000000();
      const runner = { query: (sql: string) => t.db.query(sql) } as unknown as QueryRunner;
      const predicates = async () =>
        (
          await t.db.query(
            `SELECT indexname, substring(indexdef FROM 'WHERE (.*)$') AS predicate FROM pg_indexes WHERE indexname = ANY($1) ORDER BY 1`,
            [PARTIAL],
          )
        ).rows;
      const now = await predicates();
      expect(now).toEqual([
        { indexname: 'ix_flows_otp_created_at', predicate: "((kind = 'otp'::text) AND (created_at IS NOT NULL))" },
        {
          indexname: 'ix_steps_queued_claimed_until',
          predicate: "((send_state = 'queued'::text) AND (claimed_until IS NOT NULL))",
        },
        {
          indexname: 'ix_steps_sending_claimed_until',
          predicate: "((send_state = 'sending'::text) AND (claimed_until IS NOT NULL))",
        },
      ]);
      await migration.down(runner);
      expect((await predicates()).map((r: { predicate: string }) => r.predicate)).toEqual([
        "(kind = 'otp'::text)",
        "(send_state = 'queued'::text)",
        "(send_state = 'sending'::text)",
      ]);
      await migration.up(runner);
      expect(await predicates()).toEqual(now);
    });

    it("the send sweeper still reads the claims' partial indexes (a scan is ruled out: the table is small)", async () => {
      await t.db.query('BEGIN');
      try {
        await t.db.query('SET LOCAL enable_seqscan = off');
        const plan = await planOf(CLAIM_DUE_SENDS);
        expect(plan).toContain('ix_steps_sending_claimed_until');
        expect(plan).toContain('ix_steps_queued_claimed_until');
      } finally {
        await t.db.query('ROLLBACK');
      }
    });
  });
});
