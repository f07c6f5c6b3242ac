import { FailoverWorker } from '@app/engine';
import { IdempotencyStore } from '@app/persistence';
import type { QueryRunner } from 'typeorm';
import { IdempotencyClaims1795550000000 } from '../libs/persistence/src/migrations/1795550000000-IdempotencyClaims';
import { AUTH, resetTables, startTestGateway, type TestGateway } from './support/test-gateway';
import { failoverRequest, phone, type Json } from './support/factories';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const WAIT_MS = 1500;
const IN_PROGRESS = { detail: 'a request with this Idempotency-Key is still being processed' };
const MISMATCH = { detail: 'Idempotency-Key was already used with a different request body' };

/**
 * Idempotency-Key after a crash: the states a first request leaves behind
 * when its process dies between claiming the key and storing the answer are
 * written directly (the answer nulled, the claim aged past
 * IDEMPOTENCY_CLAIM_MS, and, for a death before the flow was written, the
 * flow deleted), then a retry comes in. The worker is off; the purge is
 * driven by hand.
 */
describe('Idempotency-Key: a first request that died, and the purge', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ env: { WORKER_ENABLED: 'false', IDEMPOTENCY_WAIT_MS: String(WAIT_MS) } });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    t.sandbox.state.reset();
    await resetTables(t.db);
  });

  const send = (body: Json, key: string) =>
    t.http
      .post('/otp/send-failover')
      .set({ ...AUTH, 'Idempotency-Key': key })
      .send(body);

  /** a first request that went through, its answer then taken away as if its process had died before storing it */
  const sentThenDied = async (key: string, died: { claimAge: 'stale' | 'fresh'; flowWritten: boolean }) => {
    const body = failoverRequest(phone('00'));
    const first = await send(body, key);
    expect(first.status).toBe(200);
    const age = died.claimAge === 'stale' ? `interval '3 minutes'` : `interval '0 seconds'`;
    await t.db.query(
      `UPDATE idempotency_records SET response = NULL, response_status = NULL, claimed_at = now() - ${age} WHERE key = $1`,
      [key],
    );
    if (!died.flowWritten) {
      await t.db.query('DELETE FROM flows WHERE id = $1', [first.body.flowId]);
      t.sandbox.state.reset();
    }
    return { body, first: first.body as Json, flowId: first.body.flowId as string };
  };

  const flowIds = async () =>
    (await t.db.query('SELECT id FROM flows ORDER BY created_at')).rows.map((r) => r.id as string);
  const record = async (key: string) =>
    (
      await t.db.query(
        `SELECT api_key_id, flow_id, response_status, response, claimed_at > now() - interval '10 seconds' AS claimed_lately
           FROM idempotency_records WHERE key = $1`,
        [key],
      )
    ).rows;

  it('died after writing the flow: a retry takes the stale claim over and replays that flow, sending nothing', async () => {
    const { body, first, flowId } = await sentThenDied('died-after-flow', { claimAge: 'stale', flowWritten: true });
    const retry = await send(body, 'died-after-flow');
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first);
    expect(t.sandbox.state.sends.map((s) => [s.channel, s.trackingId])).toEqual([
      ['viber', (first.flow as Json[])[0].trackingId],
    ]);
    expect(await flowIds()).toEqual([flowId]);
    expect(await record('died-after-flow')).toEqual([
      { api_key_id: 'env:1', flow_id: flowId, response_status: 200, response: first, claimed_lately: true },
    ]);
    // the answer is stored again: the next repeat is a plain replay
    expect((await send(body, 'died-after-flow')).body).toEqual(first);
    expect(t.sandbox.state.sends).toHaveLength(1);
  });

  it('died before writing the flow: a retry creates it under the id the claim names, and sends once', async () => {
    const { body, first, flowId } = await sentThenDied('died-before-flow', { claimAge: 'stale', flowWritten: false });
    expect(await flowIds()).toEqual([]);
    const retry = await send(body, 'died-before-flow');
    expect(retry.status).toBe(200);
    const sends = t.sandbox.state.sends;
    expect(sends.map((s) => s.channel)).toEqual(['viber']);
    const [viber, sms] = first.flow as Json[];
    expect(retry.body).toEqual({
      ...first,
      flow: [{ ...viber, trackingId: sends[0].trackingId }, sms],
      createdAt: expect.any(String),
    });
    expect(retry.body.flowId).toBe(flowId);
    expect(await flowIds()).toEqual([flowId]);
    const steps = await t.db.query('SELECT role, tracking_id, send_state FROM steps WHERE flow_id = $1', [flowId]);
    expect(steps.rows).toEqual([{ role: 'primary', tracking_id: sends[0].trackingId, send_state: 'sent' }]);
    expect(await record('died-before-flow')).toEqual([
      { api_key_id: 'env:1', flow_id: flowId, response_status: 200, response: retry.body, claimed_lately: true },
    ]);
  });

  it('retries racing for one dead claim: one takes it over, all answer with the one flow, one send', async () => {
    const { body, flowId } = await sentThenDied('died-race', { claimAge: 'stale', flowWritten: false });
    const answers = await Promise.all(Array.from({ length: 4 }, () => send(body, 'died-race')));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    for (const a of answers) expect(a.body).toEqual(answers[0].body);
    expect(answers[0].body.flowId).toBe(flowId);
    expect(t.sandbox.state.sends).toHaveLength(1);
    expect(await flowIds()).toEqual([flowId]);
  });

  it('a fresh claim (the first request only slow) is not taken over: a repeat waits IDEMPOTENCY_WAIT_MS, then 409', async () => {
    const { body, flowId } = await sentThenDied('slow-first', { claimAge: 'fresh', flowWritten: true });
    const claimedAt = async () =>
      (await t.db.query(`SELECT claimed_at FROM idempotency_records WHERE key = 'slow-first'`)).rows;
    const before = await claimedAt();
    const started = Date.now();
    const retry = await send(body, 'slow-first');
    expect(Date.now() - started).toBeGreaterThanOrEqual(WAIT_MS);
    expect(retry.status).toBe(409);
    expect(retry.body).toEqual(IN_PROGRESS);
    expect(t.sandbox.state.sends).toHaveLength(1);
    expect(await flowIds()).toEqual([flowId]);
    expect(await record('slow-first')).toEqual([
      { api_key_id: 'env:1', flow_id: flowId, response_status: null, response: null, claimed_lately: true },
    ]);
    expect(await claimedAt()).toEqual(before);
  });

  it('another body on a dead claim is still a 409 mismatch, and takes nothing over', async () => {
    const { flowId } = await sentThenDied('died-other-body', { claimAge: 'stale', flowWritten: true });
    const retry = await send(failoverRequest(phone('00')), 'died-other-body');
    expect(retry.status).toBe(409);
    expect(retry.body).toEqual(MISMATCH);
    expect(t.sandbox.state.sends).toHaveLength(1);
    expect(await flowIds()).toEqual([flowId]);
    expect(await record('died-other-body')).toEqual([
      { api_key_id: 'env:1', flow_id: flowId, response_status: null, response: null, claimed_lately: false },
    ]);
  });

  it('a request failing after its flow was written keeps the key for that flow: the next retry replays it at once', async () => {
    const store = t.gateway.app.get(IdempotencyStore);
    const { body, first, flowId } = await sentThenDied('failed-after-flow', { claimAge: 'fresh', flowWritten: true });
    await store.release('env:1', 'failed-after-flow', flowId);
    const released = await t.db.query(
      `SELECT claimed_at = '-infinity' AS stale_at_once FROM idempotency_records WHERE key = 'failed-after-flow'`,
    );
    expect(released.rows).toEqual([{ stale_at_once: true }]);
    const started = Date.now();
    const retry = await send(body, 'failed-after-flow');
    expect(Date.now() - started).toBeLessThan(WAIT_MS);
    expect([retry.status, retry.body]).toEqual([200, first]);
    expect(t.sandbox.state.sends).toHaveLength(1);
    expect(await flowIds()).toEqual([flowId]);
  });

  it('a request failing before its flow was written frees the key: a retry starts over', async () => {
    const store = t.gateway.app.get(IdempotencyStore);
    const { body, flowId } = await sentThenDied('failed-before-flow', { claimAge: 'fresh', flowWritten: false });
    await store.release('env:1', 'failed-before-flow', flowId);
    expect(await record('failed-before-flow')).toEqual([]);
    const retry = await send(body, 'failed-before-flow');
    expect(retry.status).toBe(200);
    expect(retry.body.flowId).not.toBe(flowId);
    expect(await flowIds()).toEqual([retry.body.flowId]);
    expect(t.sandbox.state.sends).toHaveLength(1);
  });

  it('the worker purges the records older than a day, answered or not, at most once a minute', async () => {
    const worker = t.gateway.app.get(FailoverWorker);
    const insert = (key: string, age: string, answered: boolean) =>
      t.db.query(
        `INSERT INTO idempotency_records (api_key_id, key, request_hash, flow_id, claimed_at, created_at, response_status, response)
         VALUES ('env:1', $1, 'h', gen_random_uuid(), now() - $2::interval, now() - $2::interval, $3, $4)`,
        [key, age, answered ? 200 : null, answered ? JSON.stringify({ flowId: 'x' }) : null],
      );
    await insert('old-answered', '25 hours', true);
    await insert('old-unanswered', '24 hours 1 minute', false);
    await insert('recent-answered', '23 hours', true);
    await insert('recent-unanswered', '1 minute', false);
    // the suite's first tick: the purge is due
    await worker.tick();
    const keys = async () =>
      (await t.db.query('SELECT key FROM idempotency_records ORDER BY key')).rows.map((r) => r.key as string);
    expect(await keys()).toEqual(['recent-answered', 'recent-unanswered']);
    // within the minute, nothing more is purged
    await insert('old-again', '2 days', true);
    await worker.tick();
    expect(await worker.purgeIdempotencyRecords()).toBe(0);
    expect(await keys()).toEqual(['old-again', 'recent-answered', 'recent-unanswered']);
  });

  it('the purge reads ix_idempotency_records_created_at (no scan of the table)', async () => {
    const purge = `EXPLAIN (FORMAT JSON) SELECT api_key_id, key FROM idempotency_records WHERE created_at < now() - interval '1 day' ORDER BY created_at LIMIT 5000`;
    // tiny tables may still be scanned, so ask the planner what it would do with seq scans off
    await t.db.query('SET enable_seqscan = off');
    const forced = await t.db.query(purge);
    await t.db.query('RESET enable_seqscan');
    expect(JSON.stringify(forced.rows[0])).toContain('ix_idempotency_records_created_at');
  });

  it('migration IdempotencyClaims: down() and up() again, records of the previous version taking their flow ids', async () => {
    const migration = new IdempotencyClaims1795550000000();
    const runner = { query: (sql: string) => t.db.query(sql) } as unknown as QueryRunner;
    const columns = async () =>
      (
        await t.db.query(
          `SELECT column_name FROM information_schema.columns WHERE table_name = 'idempotency_records' ORDER BY column_name`,
        )
      ).rows.map((r) => r.column_name as string);
    const answeredFlow = '0b7c2f4e-6a1d-4c3b-9e8f-1a2b3c4d5e6f';
    // DDL is transactional in Postgres: the schema is back as it was afterwards
    await t.db.query('BEGIN');
    try {
      await migration.down(runner);
      expect(await columns()).toEqual([
        'api_key_id',
        'created_at',
        'key',
        'request_hash',
        'response',
        'response_status',
      ]);
      await t.db.query(
        `INSERT INTO idempotency_records (api_key_id, key, request_hash, response, response_status, created_at)
         VALUES ('env:1', 'answered', 'h', $1, 200, now() - interval '1 hour'), ('env:1', 'died', 'h', NULL, NULL, now() - interval '1 hour')`,
        [JSON.stringify({ flowId: answeredFlow })],
      );
      await migration.up(runner);
      expect(await columns()).toEqual([
        'api_key_id',
        'claimed_at',
        'created_at',
        'flow_id',
        'key',
        'request_hash',
        'response',
        'response_status',
      ]);
      const rows = await t.db.query(
        `SELECT key, flow_id, claimed_at = created_at AS claimed_when_created FROM idempotency_records ORDER BY key`,
      );
      expect(rows.rows).toEqual([
        { key: 'answered', flow_id: answeredFlow, claimed_when_created: true },
        { key: 'died', flow_id: expect.stringMatching(UUID), claimed_when_created: true },
      ]);
      expect(rows.rows[1].flow_id).not.toBe(answeredFlow);
    } finally {
      await t.db.query('ROLLBACK');
    }
    expect(await columns()).toEqual([
      'api_key_id',
      'claimed_at',
      'created_at',
      'flow_id',
      'key',
      'request_hash',
      'response',
      'response_status',
    ]);
  });
});
