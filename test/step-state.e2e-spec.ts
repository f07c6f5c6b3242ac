import { randomUUID } from 'node:crypto';
import type { QueryRunner } from 'typeorm';
import { FlowStore, SEND_ERRORS, SEND_STATES, STEP_CHANNELS, STEP_ROLES, WorkQueueStore } from '@app/persistence';
import { StepStateChecks1795570000000 } from '../libs/persistence/src/migrations/1795570000000-StepStateChecks';
import { StepOrder1795580000000 } from '../libs/persistence/src/migrations/1795580000000-StepOrder';
import { CreateFlowReturnsRows1795590000000 } from '../libs/persistence/src/migrations/1795590000000-CreateFlowReturnsRows';
import { FailoverApi1795600000000 } from '../libs/persistence/src/migrations/1795600000000-FailoverApi';
import { FailoverSearchTable1795700000000 } from '../libs/persistence/src/migrations/1795700000000-FailoverSearchTable';
import { Verification1795620000000 } from '../libs/persistence/src/migrations/1795620000000-Verification';
import { CLAIM_DUE_SENDS } from '../libs/persistence/src/sql/work-queue.statements';
import { AUTH, startTestGateway, type TestGateway } from './support/test-gateway';
import { failoverRequest, phone } from './support/factories';

/** what the previous version wrote into error_message while a send waited for Routee's circuit */
const QUEUED_NOTE = 'queued: Routee unavailable (circuit open)';

/**
 * The steps table's typed state (CHECKed columns, a real `queued` send
 * state), its step_order, and the flow function returning the rows it wrote;
 * each migration taken down and up again on a database that has flows.
 * The worker is off: nothing moves the flows but the test.
 */
describe('steps: typed state, step order, the flow function', () => {
  let t: TestGateway;
  let store: FlowStore;
  let queue: WorkQueueStore;
  const runner = () => ({ query: (sql: string) => t.db.query(sql) }) as unknown as QueryRunner;
  /** the migrations after `name`, undone newest first (inside rolledBack): a test of an older one runs on its schema */
  const undoLaterThan = async (name: 'StepOrder' | 'FailoverApi') => {
    // its trigger's WHEN reads flows.kind, which FailoverApi's down() drops
    await new FailoverSearchTable1795700000000().down(runner());
    await new Verification1795620000000().down(runner());
    if (name === 'StepOrder') await new FailoverApi1795600000000().down(runner());
  };

  beforeAll(async () => {
    t = await startTestGateway({ env: { WORKER_ENABLED: 'false' } });
    store = t.gateway.app.get(FlowStore);
    queue = t.gateway.app.get(WorkQueueStore);
    // flows as the API writes them (primaries), and failover steps as an older version wrote them (no step_order)
    for (let i = 0; i < 3; i++) {
      const res = await t.http
        .post('/otp/send-failover')
        .set(AUTH)
        .send(failoverRequest(phone('44')));
      expect(res.status).toBe(200);
      await t.db.query(
        `INSERT INTO steps (flow_id, role, channel, phone_number, status, send_state, tracking_id) VALUES ($1, 'failover', 'sms', '306900000000', 'Delivered', 'sent', $2)`,
        [res.body.flowId, randomUUID()],
      );
    }
  });
  afterAll(() => t.close());

  /** DDL is transactional in Postgres: the schema and the rows are back as they were afterwards */
  const rolledBack = async (fn: () => Promise<void>) => {
    await t.db.query('BEGIN');
    try {
      await fn();
    } finally {
      await t.db.query('ROLLBACK');
    }
  };
  const newFlow = async () => {
    const id = randomUUID();
    await t.db.query(`INSERT INTO flows (id, status, definition) VALUES ($1, 'InProgress', '[]'::jsonb)`, [id]);
    return id;
  };
  const checks = async () =>
    Object.fromEntries(
      (
        await t.db.query<{ conname: string; def: string }>(
          `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'steps'::regclass AND contype = 'c' ORDER BY conname`,
        )
      ).rows.map((r) => [r.conname, r.def]),
    );
  const valuesOf = (def: string) => [...def.matchAll(/'([^']*)'::text/g)].map((m) => m[1]);
  const stepOrderMismatches = async () =>
    (
      await t.db.query(
        `SELECT count(*)::int AS n FROM steps WHERE step_order IS DISTINCT FROM CASE role WHEN 'primary' THEN 1 ELSE 2 END`,
      )
    ).rows[0].n;

  it('each state column CHECKs exactly the values of its TypeScript union', async () => {
    const defs = await checks();
    expect(Object.keys(defs)).toEqual([
      'ck_steps_channel',
      'ck_steps_role',
      'ck_steps_send_error',
      'ck_steps_send_state',
      'ck_steps_step_order',
    ]);
    expect(valuesOf(defs.ck_steps_channel)).toEqual([...STEP_CHANNELS]);
    expect(valuesOf(defs.ck_steps_role)).toEqual([...STEP_ROLES]);
    expect(valuesOf(defs.ck_steps_send_state)).toEqual([...SEND_STATES]);
    expect(valuesOf(defs.ck_steps_send_error)).toEqual([...SEND_ERRORS]);
  });

  it.each([
    ['channel', 'fax', 'ck_steps_channel'],
    ['role', 'fallback', 'ck_steps_role'],
    ['send_state', 'sending later', 'ck_steps_send_state'],
    ['send_error', 'timeout', 'ck_steps_send_error'],
    ['step_order', 0, 'ck_steps_step_order'],
  ])('a %s of %p is refused by %s', async (column, value, constraint) => {
    const row: Record<string, unknown> = {
      role: 'primary',
      channel: 'viber',
      phone_number: '306900000000',
      status: 'QUEUED',
      send_state: 'sent',
      [column]: value,
    };
    const columns = Object.keys(row);
    await expect(
      t.db.query(
        `INSERT INTO steps (flow_id, ${columns.join(', ')}) VALUES ($1, ${columns.map((_, i) => `$${i + 2}`).join(', ')})`,
        [await newFlow(), ...Object.values(row)],
      ),
    ).rejects.toMatchObject({ code: '23514', constraint });
  });

  it('a flow has one step per step_order (uq_steps_flow_step_order); a step written without it takes it from its role', async () => {
    const flowId = await newFlow();
    const insert = (role: string, order?: number) =>
      order === undefined
        ? t.db.query(
            `INSERT INTO steps (flow_id, role, channel, phone_number, status, send_state) VALUES ($1, $2, 'viber', '306900000000', 'QUEUED', 'sent')`,
            [flowId, role],
          )
        : t.db.query(
            `INSERT INTO steps (flow_id, role, channel, phone_number, status, send_state, step_order) VALUES ($1, $2, 'viber', '306900000000', 'QUEUED', 'sent', $3)`,
            [flowId, role, order],
          );
    await insert('primary');
    await expect(insert('failover', 1)).rejects.toMatchObject({
      code: '23505',
      constraint: 'uq_steps_flow_step_order',
    });
    await insert('failover');
    expect(
      (await t.db.query(`SELECT role, step_order FROM steps WHERE flow_id = $1 ORDER BY step_order`, [flowId])).rows,
    ).toEqual([
      { role: 'primary', step_order: 1 },
      { role: 'failover', step_order: 2 },
    ]);
  });

  it('create_flow_with_primary answers the rows it wrote; a queued send is `queued` and the due-send claim takes it when its time comes', async () => {
    const id = randomUUID();
    const created = await store.createFlowWithPrimary(
      {
        id,
        kind: 'otp',
        definition: [],
        failoverOnDelivered: false,
        callbackUrl: null,
        callbackStrategy: null,
        apiKeyId: null,
        codeHash: null,
        codeExpiresAt: null,
        codeCiphertext: null,
      },
      { flowId: id, role: 'primary', channel: 'viber', phoneNumber: phone('44'), label: 'login', status: 'QUEUED' },
      60_000,
    );
    expect(created).toEqual(await store.load(id));
    expect(created.steps).toEqual([
      expect.objectContaining({ order: 1, role: 'primary', sendState: 'sending', label: 'login' }),
    ]);
    const [step] = created.steps;

    expect(await store.queueSend(step.id, new Date(Date.now() + 60_000))).toBe(true);
    expect(await store.queueSend(step.id, new Date())).toBe(false); // only a send being sent is queued
    const row = async () =>
      (await t.db.query(`SELECT send_state, error_message FROM steps WHERE id = $1`, [step.id])).rows[0];
    expect(await row()).toEqual({ send_state: 'queued', error_message: null });
    const claimedIds = async () => (await queue.claimDueSends(100, 60_000)).filter((c) => c.step.id === step.id);
    expect(await claimedIds()).toEqual([]); // not due yet

    await t.db.query(`UPDATE steps SET claimed_until = now() - interval '1 second' WHERE id = $1`, [step.id]);
    expect(await claimedIds()).toEqual([
      { claimedFrom: 'queued', step: expect.objectContaining({ id: step.id, sendState: 'sending', order: 1 }) },
    ]);
    expect(await row()).toEqual({ send_state: 'sending', error_message: null });
    expect(await claimedIds()).toEqual([]); // claimed for a minute: no other claim gets it
    await t.db.query(`UPDATE flows SET next_check_at = NULL WHERE id = $1`, [id]);
  });

  it('migration StepStateChecks: down() and up() again on a database with flows; a send queued by the previous version becomes `queued`, and back', async () => {
    const migration = new StepStateChecks1795570000000();
    const before = (await t.db.query(`SELECT id, send_state, error_message FROM steps ORDER BY id`)).rows;
    expect(before.length).toBeGreaterThan(5);
    await rolledBack(async () => {
      await undoLaterThan('StepOrder'); // the later migrations first
      await migration.down(runner());
      expect(Object.keys(await checks())).toEqual(['ck_steps_step_order']);
      // as the previous version left them: a send queued behind the open circuit, one mid-send, one failed
      const [queuedFlow, sendingFlow, failedFlow] = [await newFlow(), await newFlow(), await newFlow()];
      const insert = (flowId: string, state: string, note: string | null) =>
        t.db.query(
          `INSERT INTO steps (flow_id, role, channel, phone_number, status, send_state, error_message, claimed_until)
           VALUES ($1, 'primary', 'viber', '306900000000', 'QUEUED', $2, $3, '2026-01-01T00:00:00Z') RETURNING id`,
          [flowId, state, note],
        );
      const queuedStep = (await insert(queuedFlow, 'sending', QUEUED_NOTE)).rows[0].id as string;
      await insert(sendingFlow, 'sending', null);
      await insert(failedFlow, 'failed', 'Insufficient balance');
      const stateOf = async (flowId: string) =>
        (await t.db.query(`SELECT send_state, error_message, claimed_until FROM steps WHERE flow_id = $1`, [flowId]))
          .rows[0];

      await migration.up(runner());
      expect(Object.keys(await checks())).toHaveLength(5);
      const at = new Date('2026-01-01T00:00:00Z');
      expect(await stateOf(queuedFlow)).toEqual({ send_state: 'queued', error_message: null, claimed_until: at });
      expect(await stateOf(sendingFlow)).toEqual({ send_state: 'sending', error_message: null, claimed_until: at });
      expect(await stateOf(failedFlow)).toEqual({
        send_state: 'failed',
        error_message: 'Insufficient balance',
        claimed_until: at,
      });
      // the worker's claim of due sends reads the two partial indexes, not the table (a test table is small: the scan is ruled out)
      await t.db.query('SET LOCAL enable_seqscan = off');
      const plan = await t.db.query(`EXPLAIN ${CLAIM_DUE_SENDS.text.replace('$1', '50').replace('$2', "'1000'")}`);
      const planText = plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
      expect(planText).toContain('ix_steps_queued_claimed_until');
      expect(planText).toContain('ix_steps_sending_claimed_until');

      await migration.down(runner());
      expect(await stateOf(queuedFlow)).toEqual({
        send_state: 'sending',
        error_message: QUEUED_NOTE,
        claimed_until: at,
      });
      await migration.up(runner());
      expect(await stateOf(queuedFlow)).toEqual({ send_state: 'queued', error_message: null, claimed_until: at });
      expect(
        (
          await t.db.query(`SELECT id, send_state, error_message FROM steps WHERE id <> ALL($1::uuid[]) ORDER BY id`, [
            [queuedStep],
          ])
        ).rows,
      ).toEqual(expect.arrayContaining(before));
    });
    expect(Object.keys(await checks())).toHaveLength(5);
  });

  it('migration StepOrder: down() and up() again on a database with flows; their steps get 1 (primary) and 2 (failover)', async () => {
    const migration = new StepOrder1795580000000();
    const hasColumn = async () =>
      (
        await t.db.query(
          `SELECT 1 FROM information_schema.columns WHERE table_name = 'steps' AND column_name = 'step_order'`,
        )
      ).rowCount === 1;
    const { rows: stored } = await t.db.query<{ primaries: number; failovers: number }>(
      `SELECT count(*) FILTER (WHERE role = 'primary')::int AS primaries, count(*) FILTER (WHERE role = 'failover')::int AS failovers FROM steps`,
    );
    expect(stored[0].primaries).toBeGreaterThan(2);
    expect(stored[0].failovers).toBeGreaterThan(2);
    expect(await stepOrderMismatches()).toBe(0);
    await rolledBack(async () => {
      await undoLaterThan('StepOrder'); // the later migrations first
      await migration.down(runner());
      expect(await hasColumn()).toBe(false);
      const flowId = await newFlow();
      await t.db.query(
        `INSERT INTO steps (flow_id, role, channel, phone_number, status, send_state)
         VALUES ($1, 'primary', 'viber', '306900000000', 'FAILED', 'sent'), ($1, 'failover', 'sms', '306900000000', 'Delivered', 'sent')`,
        [flowId],
      );
      await migration.up(runner());
      expect(await hasColumn()).toBe(true);
      expect(await stepOrderMismatches()).toBe(0);
      expect(
        (await t.db.query(`SELECT role, step_order FROM steps WHERE flow_id = $1 ORDER BY step_order`, [flowId])).rows,
      ).toEqual([
        { role: 'primary', step_order: 1 },
        { role: 'failover', step_order: 2 },
      ]);
      const { rows } = await t.db.query(
        `SELECT count(*) FILTER (WHERE role = 'primary')::int AS primaries, count(*) FILTER (WHERE role = 'failover')::int AS failovers FROM steps`,
      );
      expect(rows).toEqual([{ primaries: stored[0].primaries + 1, failovers: stored[0].failovers + 1 }]);
    });
    expect(await hasColumn()).toBe(true);
    expect(await stepOrderMismatches()).toBe(0);
  });

  it('migration CreateFlowReturnsRows: down() restores the function that answered ids, up() the one that answers the rows', async () => {
    const migration = new CreateFlowReturnsRows1795590000000();
    const create = async (to: string, limit = 0) =>
      (
        await t.db.query(
          `SELECT * FROM create_flow_with_primary($1, '[]'::jsonb, false, NULL, NULL, 'viber', $2, 'login', 'QUEUED', 60000, $3, 3600)`,
          [randomUUID(), to, limit],
        )
      ).rows;
    await rolledBack(async () => {
      await undoLaterThan('StepOrder'); // the later migrations first
      await migration.down(runner());
      const [old] = await create(phone('44'));
      expect(old).toEqual({ step_id: expect.any(String), flow_created_at: expect.any(Date), retry_after_sec: null });
      // the previous function does not write step_order: the row takes it from its role
      expect((await t.db.query(`SELECT step_order FROM steps WHERE id = $1`, [old.step_id])).rows).toEqual([
        { step_order: 1 },
      ]);

      await migration.up(runner());
      const to = phone('44');
      const [row] = await create(to, 1);
      expect(row).toMatchObject({
        retry_after_sec: null,
        f_status: 'InProgress',
        f_definition: [],
        role: 'primary',
        step_order: 1,
        phone_number: to,
        label: 'login',
        send_state: 'sending',
      });
      expect(row.flow_id).toBe(row.f_id);
      expect(row.claimed_until).toEqual(row.f_next_check_at);
      const [limited] = await create(to, 1);
      expect(limited).toMatchObject({ retry_after_sec: expect.any(Number), f_id: null, id: null });
      expect(limited.retry_after_sec).toBeGreaterThanOrEqual(1);
    });
  });
  it('migration FailoverApi: a Failover API flow is written Queued with its kind and strategy; down() drops those flows and keeps the others, up() again', async () => {
    const migration = new FailoverApi1795600000000();
    const create = async (kind: string, strategy: string | null) =>
      (
        await t.db.query(
          `SELECT * FROM create_flow_with_primary($1, '[]'::jsonb, false, NULL, NULL, $2, $3, NULL, 'Queued', 60000, 0, 0, $4, $5)`,
          [randomUUID(), kind === 'otp' ? 'viber' : 'voice', phone('55'), kind, strategy],
        )
      ).rows[0];
    await rolledBack(async () => {
      await undoLaterThan('FailoverApi');
      const otp = await create('otp', null);
      expect(otp).toMatchObject({ f_status: 'InProgress', f_kind: 'otp', f_callback_strategy: null });
      const failover = await create('failover', 'OnCompletion');
      expect(failover).toMatchObject({
        f_status: 'Queued',
        f_kind: 'failover',
        f_callback_strategy: 'OnCompletion',
        channel: 'voice',
        message_id: null,
      });
      // steps 2 and 3 both have the role failover: (flow_id, step_order) is the unique key now
      await t.db.query(
        `INSERT INTO steps (flow_id, step_order, role, channel, phone_number, status, send_state)
         VALUES ($1, 2, 'failover', 'viber', '306900000000', 'QUEUED', 'sent'), ($1, 3, 'failover', 'sms', '306900000000', 'Queued', 'sent')`,
        [failover.f_id],
      );
      const count = async (sql: string, params: unknown[]) => (await t.db.query(sql, params)).rowCount;
      const flowsBefore = await count(`SELECT 1 FROM flows WHERE kind = 'otp'`, []);
      await migration.down(runner());
      expect(await count(`SELECT 1 FROM flows WHERE id = $1`, [failover.f_id])).toBe(0);
      expect(await count(`SELECT 1 FROM steps WHERE flow_id = $1`, [failover.f_id])).toBe(0);
      expect(await count(`SELECT 1 FROM flows`, [])).toBe(flowsBefore);
      expect(Object.keys(await checks())).toContain('ck_steps_channel');
      await migration.up(runner());
      expect(await create('failover', 'OnStep')).toMatchObject({ f_status: 'Queued', f_callback_strategy: 'OnStep' });
      await expect(create('failover', 'Sometimes')).rejects.toThrow(/ck_flows_callback_strategy/);
    });
  });
  it('migration Verification: a flow with a code is written pending with its hash; down() and up() again keep the flows', async () => {
    const migration = new Verification1795620000000();
    const create = async (hash: string | null) =>
      (
        await t.db.query(
          `SELECT * FROM create_flow_with_primary($1, '[]'::jsonb, false, NULL, NULL, 'viber', $2, NULL, 'QUEUED', 60000, 0, 0, 'otp', NULL, $3, now() + interval '10 minutes', NULL)`,
          [randomUUID(), phone('66'), hash],
        )
      ).rows[0];
    await rolledBack(async () => {
      expect(await create('ab'.repeat(32))).toMatchObject({
        f_code_hash: 'ab'.repeat(32),
        f_verification_status: 'pending',
        f_verify_attempts: 0,
        f_verified_at: null,
      });
      expect(await create(null)).toMatchObject({ f_code_hash: null, f_verification_status: null });
      const flows = (await t.db.query(`SELECT count(*)::int AS n FROM flows`)).rows[0].n;
      await migration.down(runner());
      expect((await t.db.query(`SELECT count(*)::int AS n FROM flows`)).rows[0].n).toBe(flows);
      await migration.up(runner());
      await expect(
        t.db.query(`UPDATE flows SET verification_status = 'maybe' WHERE id = (SELECT id FROM flows LIMIT 1)`),
      ).rejects.toThrow(/ck_flows_verification_status/);
    });
  });
});
