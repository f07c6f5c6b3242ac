import { randomUUID } from 'node:crypto';
import { FailoverWorker, FlowEngine } from '@app/engine';
import { FlowStore, WorkQueueStore } from '@app/persistence';
import { AUTH, startTestGateway, type TestGateway } from './support/test-gateway';
import { failoverRequest, phone, viberStep } from './support/factories';
import { sleep, stepRows, waitFor } from './support/engine-support';

/**
 * The worker driven by hand (WORKER_ENABLED=false, worker.tick()), with the
 * database states a crash or a second replica leaves behind written directly.
 * Several ticks in one process run on separate pool connections: to Postgres
 * they are as good as several replicas.
 */
describe('failover engine: work queue, stranded sends, exactly once', () => {
  let t: TestGateway;
  let worker: FailoverWorker;
  let queue: WorkQueueStore;
  let store: FlowStore;
  let engine: FlowEngine;

  beforeAll(async () => {
    t = await startTestGateway({
      env: {
        WORKER_ENABLED: 'false',
        SEND_CLAIM_MS: '1000',
        REFRESH_INTERVAL_MS: '100',
        ROUTEE_REQUEST_TIMEOUT_MS: '1500',
      },
      sandbox: { statusDelayMs: 100 },
    });
    worker = t.gateway.app.get(FailoverWorker);
    queue = t.gateway.app.get(WorkQueueStore);
    store = t.gateway.app.get(FlowStore);
    engine = t.gateway.app.get(FlowEngine);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    t.sandbox.state.reset();
    // nothing left over from the previous test is due
    await t.db.query('UPDATE flows SET next_check_at = NULL');
  });

  const send = async (to: string, body = failoverRequest(to)) => {
    const res = await t.http.post('/otp/send-failover').set(AUTH).send(body);
    expect(res.status).toBe(200);
    return res.body.flowId as string;
  };
  const sendsTo = (to: string, channel?: string) =>
    t.sandbox.state.sends.filter((s) => s.to === to && (!channel || s.channel === channel));
  const makeDue = (ids: string[]) =>
    t.db.query("UPDATE flows SET next_check_at = now() - interval '1 second' WHERE id = ANY($1)", [ids]);

  it('due flows are split between concurrent claimers and leased: claimed once until the lease runs out', async () => {
    const ids = await Promise.all(Array.from({ length: 30 }, () => send(phone('00'))));
    await makeDue(ids);
    const [a, b, c] = await Promise.all([
      queue.claimDueFlows(12, 60_000),
      queue.claimDueFlows(12, 60_000),
      queue.claimDueFlows(12, 60_000),
    ]);
    expect([...a, ...b, ...c].sort()).toEqual([...ids].sort());
    expect(new Set([...a, ...b, ...c]).size).toBe(30);
    expect(await queue.claimDueFlows(100, 60_000)).toEqual([]);
    const { rows } = await t.db.query(
      "SELECT count(*)::int AS n FROM flows WHERE id = ANY($1) AND next_check_at > now() + interval '50 seconds'",
      [ids],
    );
    expect(rows[0].n).toBe(30);
    await makeDue(ids.slice(0, 5)); // as if the lease ran out
    expect((await queue.claimDueFlows(100, 60_000)).sort()).toEqual(ids.slice(0, 5).sort());
  });

  it('final flows leave the working set: the due-flow claim reads the partial index, not the table', async () => {
    await t.db.query(
      `INSERT INTO flows (id, status, definition, next_check_at)
       SELECT gen_random_uuid(), 'Succeeded', '[]'::jsonb, NULL FROM generate_series(1, 20000)`,
    );
    await t.db.query('ANALYZE flows');
    const { rows } = await t.db.query(
      `EXPLAIN SELECT id FROM flows WHERE next_check_at <= now() ORDER BY next_check_at LIMIT 50 FOR UPDATE SKIP LOCKED`,
    );
    const plan = rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
    expect(plan).toContain('ix_flows_next_check_at');
    expect(plan).not.toContain('Seq Scan');
    // the steps table is tiny here: once autovacuum has analysed it a scan is rightly cheaper, so the question
    // asked is whether the partial index can serve the claim at all (it must, at scale)
    await t.db.query('SET enable_seqscan = off');
    const stranded = await t.db.query(
      `EXPLAIN SELECT id FROM steps WHERE send_state = 'sending' AND claimed_until < now() ORDER BY claimed_until LIMIT 50 FOR UPDATE SKIP LOCKED`,
    );
    await t.db.query('RESET enable_seqscan');
    expect(stranded.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n')).toContain(
      'ix_steps_sending_claimed_until',
    );
    await t.db.query("DELETE FROM flows WHERE definition = '[]'::jsonb");
  });

  it('a primary stranded mid-send (its process died after the claim) is sent by the next tick, once', async () => {
    const to = phone('00');
    const id = randomUUID();
    const def = viberStep({ to });
    // what startFlow writes before calling Routee, with a claim that has already run out
    await store.createFlowWithPrimary(
      {
        id,
        kind: 'otp',
        definition: [{ ...def, templateParams: { pin: '482913' } }] as never,
        failoverOnDelivered: false,
        callbackUrl: null,
        callbackStrategy: null,
        apiKeyId: null,
        codeHash: null,
        codeExpiresAt: null,
        codeCiphertext: null,
      },
      { flowId: id, role: 'primary', channel: 'viber', phoneNumber: to, label: 'login', status: 'QUEUED' },
      -1000, // the flow is due and the claim has run out
    );
    expect(await worker.tick()).toMatchObject({ stranded: 1 });
    expect(sendsTo(to).map((s) => s.channel)).toEqual(['viber']);
    expect(await stepRows(t.db, id)).toEqual([
      {
        role: 'primary',
        channel: 'viber',
        status: 'QUEUED',
        send_state: 'sent',
        send_error: null,
        tracking_id: sendsTo(to)[0].trackingId,
      },
    ]);
    await sleep(1100);
    expect(await worker.tick()).toMatchObject({ stranded: 0 });
    expect(sendsTo(to)).toHaveLength(1);
  });

  it('a failover stranded after its claim is sent by the next tick, once; a live claim is left alone', async () => {
    const stranded = phone('02');
    const live = phone('02');
    const [strandedFlow, liveFlow] = [await send(stranded), await send(live)];
    await sleep(300); // both primaries are UNDELIVERED at Routee by now
    const claim = (flowId: string, to: string, until: string) =>
      t.db.query(
        `INSERT INTO steps (flow_id, role, channel, phone_number, label, status, send_state, claimed_until)
         VALUES ($1, 'failover', 'sms', $2, 'login', 'Queued', 'sending', now() + $3::interval)`,
        [flowId, to, until],
      );
    await claim(strandedFlow, stranded, '-1 second'); // its replica died
    await claim(liveFlow, live, '10 seconds'); // its replica is still sending
    await makeDue([strandedFlow, liveFlow]);
    // the stranded flow is evaluated right after its send (and so no longer due); the live one is claimed
    expect(await worker.tick()).toEqual({ stranded: 1, flows: 1 });
    expect(sendsTo(stranded, 'sms')).toHaveLength(1);
    expect(sendsTo(live, 'sms')).toHaveLength(0);
    expect((await stepRows(t.db, liveFlow)).map((s) => s.send_state)).toEqual(['sent', 'sending']);
    // more ticks: the stranded flow ends, nothing is sent twice
    await waitFor(
      'the stranded flow to end',
      async () => {
        await makeDue([strandedFlow]);
        await worker.tick();
        const { rows } = await t.db.query('SELECT status FROM flows WHERE id = $1', [strandedFlow]);
        return rows[0].status === 'Succeeded';
      },
      5000,
      100,
    );
    expect(sendsTo(stranded, 'sms')).toHaveLength(1);
    expect(sendsTo(live, 'sms')).toHaveLength(0);
  });

  it('a slow send keeps its claim alive (heartbeat): no other tick takes it over while Routee thinks', async () => {
    t.sandbox.state.setLatencyMs(1300); // longer than SEND_CLAIM_MS (1000), shorter than the request timeout (1500)
    const to = phone('00');
    let done = false;
    const sending = send(to).finally(() => (done = true));
    const ticks: { stranded: number }[] = [];
    while (!done) {
      ticks.push(await worker.tick());
      await sleep(100);
    }
    await sending;
    t.sandbox.state.setLatencyMs(0);
    expect(ticks.length).toBeGreaterThan(5);
    expect(ticks.every((r) => r.stranded === 0)).toBe(true);
    expect(t.sandbox.state.attempts.filter((a) => a.to === to)).toHaveLength(1);
  });

  it('unknown outcome (the request left, no answer in time): recorded failed (unavailable), never re-sent', async () => {
    t.sandbox.state.setLatencyMs(2000); // past the 1.5 s request timeout
    const to = phone('00');
    const res = await t.http
      .post('/otp/send-failover')
      .set(AUTH)
      .send({ flow: [viberStep({ to })] });
    t.sandbox.state.setLatencyMs(0);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'Failed', statusCode: 0, type: null });
    await sleep(1200); // longer than SEND_CLAIM_MS: nothing is left claimed
    await worker.tick();
    expect(await stepRows(t.db, res.body.flowId)).toEqual([
      {
        role: 'primary',
        channel: 'viber',
        status: 'FAILED',
        send_state: 'failed',
        send_error: 'unavailable',
        tracking_id: null,
      },
    ]);
    // whether Routee took it we cannot know (this sandbox drops a request whose client hung up): never a second attempt
    expect(t.sandbox.state.attempts.filter((a) => a.to === to).length).toBeLessThanOrEqual(1);
  });

  it('a batch is evaluated in one transaction, yet one flow that cannot be evaluated does not hold up the rest of it', async () => {
    const numbers = Array.from({ length: 6 }, () => phone('02'));
    const ids = await Promise.all(numbers.map((to) => send(to)));
    await sleep(300); // every primary is UNDELIVERED at Routee, not yet known here
    const [broken, ...rest] = ids;
    // a definition no evaluation can read: the batch's transaction fails, then each flow is evaluated on its own
    await t.db.query(`UPDATE flows SET definition = '{}'::jsonb WHERE id = $1`, [broken]);
    await makeDue(ids);
    expect(await worker.tick()).toMatchObject({ flows: 6 });
    expect(
      t.sandbox.state.sends
        .filter((s) => s.channel === 'sms')
        .map((s) => s.to)
        .sort(),
    ).toEqual(numbers.slice(1).sort());
    const failovers = await t.db.query(
      `SELECT flow_id FROM steps WHERE role = 'failover' AND send_state = 'sent' AND flow_id = ANY($1)`,
      [ids],
    );
    expect(failovers.rows.map((r: { flow_id: string }) => r.flow_id).sort()).toEqual([...rest].sort());
    // the broken flow is left as it was: its primary's report is not applied, and its lease brings it back later
    expect(await stepRows(t.db, broken)).toEqual([
      {
        role: 'primary',
        channel: 'viber',
        status: 'QUEUED',
        send_state: 'sent',
        send_error: null,
        tracking_id: sendsTo(numbers[0])[0].trackingId,
      },
    ]);
    const { rows } = await t.db.query(`SELECT status, next_check_at > now() AS leased FROM flows WHERE id = $1`, [
      broken,
    ]);
    expect(rows[0]).toEqual({ status: 'InProgress', leased: true });
    await t.db.query(`DELETE FROM flows WHERE id = $1`, [broken]);
  });

  it('races: three ticks, refreshes and evaluations at once on 40 due flows send each failover exactly once', async () => {
    const numbers = Array.from({ length: 40 }, () => phone('02'));
    const ids = await Promise.all(numbers.map((to) => send(to)));
    await sleep(300); // every primary is UNDELIVERED at Routee, not yet known here
    await makeDue(ids);
    await Promise.all([
      worker.tick(),
      worker.tick(),
      worker.tick(),
      ...ids.flatMap((id) => [engine.refresh(id, 1000), engine.refresh(id, 1000), engine.evaluate(id)]),
    ]);
    // a refresh gives up waiting after its budget and its late answer still lands: wait for the stragglers,
    // then give any duplicate a moment to show up
    await waitFor(
      '40 failover SMS',
      async () => t.sandbox.state.sends.filter((s) => s.channel === 'sms').length >= 40,
      15_000,
    );
    await sleep(500);
    const sms = t.sandbox.state.sends.filter((s) => s.channel === 'sms');
    expect(sms).toHaveLength(40);
    expect(new Set(sms.map((s) => s.to)).size).toBe(40);
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS n, count(DISTINCT flow_id)::int AS flows FROM steps WHERE role = 'failover' AND flow_id = ANY($1)`,
      [ids],
    );
    expect(rows[0]).toEqual({ n: 40, flows: 40 });
  });
});
