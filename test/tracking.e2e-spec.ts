import { randomUUID } from 'node:crypto';
import type { QueryRunner } from 'typeorm';
import { FailoverWorker } from '@app/engine';
import { StepCheckedAt1795560000000 } from '../libs/persistence/src/migrations/1795560000000-StepCheckedAt';
import { AUTH, startTestGateway, type TestGateway } from './support/test-gateway';
import { failoverRequest, phone, smsStep, viberStep, type Json } from './support/factories';
import { VIBER_CALLBACK } from './fixtures/routee-reference';

/**
 * GET /otp/failover/{id}: one flow's story, refreshed from the Routee sandbox on
 * read. The worker is off, so a GET is the only thing that asks Routee or fires
 * a failover here; it asks about a step at most once per REFRESH_INTERVAL_MS
 * (2 s by default). The sandbox reports a final status 600 ms after a send
 * (Viber SENT / SMS Sent at 300 ms).
 */
describe('GET /otp/failover/{id} (tracking)', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ env: { WORKER_ENABLED: 'false' }, sandbox: { statusDelayMs: 600, seenDelayMs: 300 } });
  });
  afterAll(() => t.close());
  afterEach(() => t.sandbox.state.setTrackingLatencyMs(0));

  const send = async (body: Json) => {
    const res = await t.http.post('/otp/send-failover').set(AUTH).send(body);
    expect(res.status).toBe(200);
    return res.body as { flowId: string; flow: { trackingId: string | null }[] };
  };
  const track = (id: string, headers: Record<string, string> = AUTH) => t.http.get(`/otp/failover/${id}`).set(headers);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** GETs until `done` holds (each refreshes the steps not checked within REFRESH_INTERVAL_MS) */
  const trackUntil = async (id: string, done: (body: Json & { steps: Json[] }) => boolean, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await track(id);
      expect(res.status).toBe(200);
      if (done(res.body)) return res.body;
      if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms: ${JSON.stringify(res.body)}`);
      await sleep(50);
    }
  };
  /** created_at / sent_at / delivered_at of the flow's steps as stored, by role */
  const storedTimes = async (flowId: string) => {
    const { rows } = await t.db.query<{
      role: string;
      created_at: Date;
      sent_at: Date | null;
      delivered_at: Date | null;
    }>('SELECT role, created_at, sent_at, delivered_at FROM steps WHERE flow_id = $1', [flowId]);
    const iso = (d: Date | null) => (d ? { at: d.toISOString() } : {});
    return Object.fromEntries(
      rows.map((r) => [
        r.role,
        { created_at: r.created_at.toISOString(), sent_at: iso(r.sent_at).at, delivered_at: iso(r.delivered_at).at },
      ]),
    ) as Record<string, { created_at: string; sent_at?: string; delivered_at?: string }>;
  };
  const defined = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

  describe('seed 002 through the real path: Viber EXPIRED, then the SMS failover', () => {
    const to = phone('01'); // the sandbox expires the Viber message
    let flowId: string;
    let viberId: string;
    let smsId: string;

    it('reads back as the seed shows it while the SMS is queued', async () => {
      const sent = await send(failoverRequest(to));
      flowId = sent.flowId;
      viberId = sent.flow[0].trackingId!;
      // each GET refreshes the Viber step; the one that sees EXPIRED fires the failover
      const failedOver = await trackUntil(flowId, (b) => b.steps.length === 2);
      smsId = (failedOver.steps[1] as { trackingId: string }).trackingId;
      expect(t.sandbox.state.sends.filter((s) => s.to === to).map((s) => [s.channel, s.trackingId])).toEqual([
        ['viber', viberId],
        ['sms', smsId],
      ]);
      // the next GET refreshes the SMS while Routee still has it Queued: its price is known
      const res = await track(flowId);
      const times = await storedTimes(flowId);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        flowId,
        // CONTRACT section 4 (both steps, none succeeded, the SMS pending): InProgress.
        // Seed 002 prints "Succeeded" for this very state; the contract's table decides.
        status: 'InProgress',
        statusCode: null,
        // the sandbox charges nothing for an EXPIRED Viber message (seed 002's Routee did: see the SQL test below)
        total_cost: 0.0375,
        // the pin is checked by POST /otp/verify: not yet here
        verification: { status: 'pending', verified_at: null, attempts: 0 },
        steps: [
          defined({
            trackingId: viberId,
            flowId,
            role: 'primary',
            status: 'EXPIRED',
            channel: 'viber',
            phone_number: to,
            price: 0,
            country: 'GR',
            ...times.primary,
            detailed_status: 'TTL Expired',
            error_message: 'The TTL of the message has expired. The message could not be delivered.',
            label: 'login',
          }),
          defined({
            trackingId: smsId,
            flowId,
            role: 'failover',
            status: 'Queued',
            channel: 'sms',
            phone_number: to,
            price: 0.0375,
            latency_ms: 0,
            country: 'GR',
            operator: 'Cosmote',
            ...times.failover,
            label: 'login',
            failover_from_message_token: viberId,
          }),
        ],
      });
      expect(times.failover.delivered_at).toBeUndefined();
    });

    it('then the SMS gets through: Succeeded, and the flowId (any case) and either trackingId give the same body', async () => {
      const done = await trackUntil(flowId, (b) => b.status === 'Succeeded');
      const times = await storedTimes(flowId);
      // SMS Sent already counts as a success (and is final for SMS): a GET ~300 ms after the send sees
      // Sent, one that comes later sees Delivered; a Succeeded flow is not refreshed any further
      const smsStatus = (done.steps[1] as { status: string }).status;
      expect(['Sent', 'Delivered']).toContain(smsStatus);
      expect(done).toEqual({
        flowId,
        status: 'Succeeded',
        statusCode: null,
        total_cost: 0.0375,
        // the pin is checked by POST /otp/verify: not yet here
        verification: { status: 'pending', verified_at: null, attempts: 0 },
        steps: [
          expect.objectContaining({ trackingId: viberId, role: 'primary', status: 'EXPIRED' }),
          defined({
            trackingId: smsId,
            flowId,
            role: 'failover',
            status: smsStatus,
            channel: 'sms',
            phone_number: to,
            price: 0.0375,
            latency_ms: smsStatus === 'Sent' ? 0 : expect.any(Number),
            country: 'GR',
            operator: 'Cosmote',
            ...times.failover,
            detailed_status: smsStatus,
            label: 'login',
            failover_from_message_token: viberId,
          }),
        ],
      });
      expect(times.failover.delivered_at).toEqual(expect.any(String));
      const [byFlow, byFlowUpper, byPrimary, byFailover] = await Promise.all([
        track(flowId),
        track(flowId.toUpperCase()),
        track(viberId),
        track(smsId),
      ]);
      expect(byFlow.body).toEqual(done);
      expect(byFlowUpper.body).toEqual(done);
      expect(byPrimary.body).toEqual(done);
      expect(byFailover.body).toEqual(done);
      const flow = await t.db.query('SELECT status, status_code FROM flows WHERE id = $1', [flowId]);
      expect(flow.rows).toEqual([{ status: 'Succeeded', status_code: null }]);
    });
  });

  it('seed 002 verbatim (stored as Routee reported it there): total_cost is the sum of the known prices', async () => {
    const flowId = 'a1b2c3d4-e5f6-7890-abcd-ef1234567890';
    const to = '306912345671';
    const definition = [viberStep({ to }), smsStep({ to })];
    await t.db.query(
      `INSERT INTO flows (id, status, definition, created_at, updated_at) VALUES ($1, 'InProgress', $2, $3, $3)`,
      [flowId, JSON.stringify(definition), '2026-02-16T12:00:00Z'],
    );
    await t.db.query(
      `INSERT INTO steps (flow_id, role, channel, phone_number, tracking_id, status, send_state, detailed_status, price, created_at) VALUES
       ($1, 'primary', 'viber', $2, '550e8400-e29b-41d4-a716-446655440000', 'EXPIRED', 'sent', 'Expired', 0.0093, '2026-02-16T12:00:00Z'),
       ($1, 'failover', 'sms', $2, '660e8400-e29b-41d4-a716-446655440001', 'queued', 'sent', NULL, 0.0375, '2026-02-16T12:02:00Z')`,
      [flowId, to],
    );
    // the SMS is pending, so this GET asks the sandbox, which does not know it (404): the stored story comes back
    const res = await track('660e8400-e29b-41d4-a716-446655440001');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      flowId,
      status: 'InProgress',
      statusCode: null,
      total_cost: 0.0468,
      steps: [
        {
          trackingId: '550e8400-e29b-41d4-a716-446655440000',
          flowId,
          role: 'primary',
          status: 'EXPIRED',
          channel: 'viber',
          phone_number: '306912345671',
          created_at: '2026-02-16T12:00:00.000Z',
          detailed_status: 'Expired',
          price: 0.0093,
        },
        {
          trackingId: '660e8400-e29b-41d4-a716-446655440001',
          flowId,
          role: 'failover',
          status: 'queued',
          channel: 'sms',
          phone_number: '306912345671',
          failover_from_message_token: '550e8400-e29b-41d4-a716-446655440000',
          created_at: '2026-02-16T12:02:00.000Z',
          price: 0.0375,
        },
      ],
    });
    expect((await track(flowId)).body).toEqual(res.body);
    expect((await track('550e8400-e29b-41d4-a716-446655440000')).body).toEqual(res.body);
  });

  it('refreshes a queued step from Routee on read and stores what it learnt', async () => {
    const to = phone('00');
    const sent = await send({ flow: [smsStep({ to, order: 1, label: 'refresh' })] });
    const smsId = sent.flow[0].trackingId!;
    expect((await t.db.query('SELECT status FROM steps WHERE tracking_id = $1', [smsId])).rows).toEqual([
      { status: 'Queued' },
    ]);
    await sleep(700); // the sandbox now says Delivered; nothing has asked yet
    expect((await t.db.query('SELECT status FROM steps WHERE tracking_id = $1', [smsId])).rows).toEqual([
      { status: 'Queued' },
    ]);
    const res = await track(smsId);
    const times = await storedTimes(sent.flowId);
    // Routee reports SMS latency in seconds (the sandbox: send to final status, ~0.6 s)
    const latency = res.body.steps[0].latency_ms as number;
    expect(latency).toBeGreaterThanOrEqual(550);
    expect(latency).toBeLessThan(1000);
    expect(res.body).toEqual({
      flowId: sent.flowId,
      status: 'Succeeded',
      statusCode: null,
      total_cost: 0.0375,
      steps: [
        defined({
          trackingId: smsId,
          flowId: sent.flowId,
          role: 'primary',
          status: 'Delivered',
          channel: 'sms',
          phone_number: to,
          price: 0.0375,
          latency_ms: latency,
          country: 'GR',
          operator: 'Cosmote',
          ...times.primary,
          detailed_status: 'Delivered',
          label: 'refresh',
        }),
      ],
    });
    expect(times.primary.delivered_at).toEqual(expect.any(String));
    const stored = await t.db.query(
      'SELECT s.status, s.price, f.status AS flow_status FROM steps s JOIN flows f ON f.id = s.flow_id WHERE s.tracking_id = $1',
      [smsId],
    );
    expect(stored.rows).toEqual([{ status: 'Delivered', price: 0.0375, flow_status: 'Succeeded' }]);
  });

  it('answers within ~1 s with the stored story when Routee tracking hangs', async () => {
    const to = phone('00');
    const sent = await send({ flow: [viberStep({ to })] });
    const viberId = sent.flow[0].trackingId!;
    t.sandbox.state.setTrackingLatencyMs(5000);
    const started = Date.now();
    const res = await track(sent.flowId);
    const elapsed = Date.now() - started;
    expect(res.status).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(1200);
    const times = await storedTimes(sent.flowId);
    expect(res.body).toEqual({
      flowId: sent.flowId,
      status: 'InProgress',
      statusCode: null,
      total_cost: 0,
      // the pin is checked by POST /otp/verify: not yet here
      verification: { status: 'pending', verified_at: null, attempts: 0 },
      steps: [
        defined({
          trackingId: viberId,
          flowId: sent.flowId,
          role: 'primary',
          status: 'QUEUED',
          channel: 'viber',
          phone_number: to,
          ...times.primary,
          label: 'login',
        }),
      ],
    });
  });

  it('answers with the stored story when Routee no longer knows the message (tracking 404)', async () => {
    const to = phone('00');
    const sent = await send({ flow: [viberStep({ to, label: 'forgotten' })] });
    t.sandbox.state.reset(); // the sandbox forgets every message
    const res = await track(sent.flowId);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      flowId: sent.flowId,
      status: 'InProgress',
      statusCode: null,
      total_cost: 0,
      // the pin is checked by POST /otp/verify: not yet here
      verification: { status: 'pending', verified_at: null, attempts: 0 },
      steps: [
        defined({
          trackingId: sent.flow[0].trackingId,
          flowId: sent.flowId,
          role: 'primary',
          status: 'QUEUED',
          channel: 'viber',
          phone_number: to,
          ...(await storedTimes(sent.flowId)).primary,
          label: 'forgotten',
        }),
      ],
    });
  });

  it('a flow Routee refused at once: Failed 1, the step without trackingId, with the error', async () => {
    const to = phone('05'); // insufficient balance
    const sent = await send(failoverRequest(to));
    const res = await track(sent.flowId);
    expect(res.body).toEqual({
      flowId: sent.flowId,
      status: 'Failed',
      statusCode: 1,
      total_cost: 0,
      // the pin is checked by POST /otp/verify: not yet here
      verification: { status: 'pending', verified_at: null, attempts: 0 },
      steps: [
        {
          trackingId: null,
          flowId: sent.flowId,
          role: 'primary',
          status: 'UNSENT',
          channel: 'viber',
          phone_number: to,
          created_at: (await storedTimes(sent.flowId)).primary.created_at,
          error_message: 'Insufficient balance',
          label: 'login',
        },
      ],
    });
  });

  describe('404 for an id no flow has, never a 500', () => {
    it.each([
      ['an unknown UUID', randomUUID()],
      ['an unknown trackingId-like string', 'trk-does-not-exist'],
      ['not a UUID', 'not-a-uuid'],
      ['spaces and quotes', "x'%20OR%20'1'='1"],
      ['a NUL byte', 'a%00b'],
      ['non-ASCII', '%C3%A4%C3%B6'],
      ['300 characters', 'a'.repeat(300)],
      ['a percent-encoded slash', 'a%2Fb'],
    ])('%s', async (_name, id) => {
      const res = await track(id);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ detail: 'tracking not found' });
    });

    it('a malformed %-escape is refused by the router, in the one error shape', async () => {
      const res = await track('%FF');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ detail: 'malformed URL' });
    });

    it("on the Failover API's routes the router's refusal is in Routee's platform body", async () => {
      const res = await t.http.get('/failover/tracking/%FF').set(AUTH);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: '400000000', developerMessage: 'malformed URL' });
    });
  });

  it('needs a key', async () => {
    expect((await track(randomUUID(), {})).body).toEqual({ detail: 'Missing Bearer credentials' });
    const res = await track(randomUUID(), { Authorization: 'Bearer nope' });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: 'Invalid or expired Bearer token' });
  });
});

/**
 * Refresh on read without a Routee call per read: a step that a read, the
 * poller or a delivery report checked less than REFRESH_INTERVAL_MS ago is
 * answered from the store, and concurrent reads of one flow share one call.
 * The sandbox keeps every message QUEUED for the whole suite (its first
 * status change comes 30 s after a send); the worker is off, driven by hand.
 */
describe('GET /otp/failover/{id}: one Routee tracking call per step and REFRESH_INTERVAL_MS', () => {
  const INTERVAL_MS = 1000;
  const TOKEN = 'callback-token-0123456789abcdef';
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({
      env: { WORKER_ENABLED: 'false', REFRESH_INTERVAL_MS: String(INTERVAL_MS), ROUTEE_CALLBACK_TOKEN: TOKEN },
      sandbox: { statusDelayMs: 60_000 },
    });
  });
  afterAll(() => t.close());

  const sendViber = async (to = phone('00')) => {
    const res = await t.http
      .post('/otp/send-failover')
      .set(AUTH)
      .send({ flow: [viberStep({ to })] });
    expect(res.status).toBe(200);
    return { flowId: res.body.flowId as string, trackingId: res.body.flow[0].trackingId as string };
  };
  const track = async (id: string) => {
    const res = await t.http.get(`/otp/failover/${id}`).set(AUTH);
    expect(res.status).toBe(200);
    return res.body as Json & { status: string; steps: Json[] };
  };
  /** requests that reached the sandbox's tracking routes: every Routee request but the sends and token requests */
  const trackingRequests = () => {
    const s = t.sandbox.state.stats();
    return s.requests - s.attempts.viber - s.attempts.sms - s.tokensIssued;
  };
  const checkedAt = async (flowId: string) =>
    (
      await t.db.query<{ checked_at: Date | null }>(
        `SELECT checked_at FROM steps WHERE flow_id = $1 AND role = 'primary'`,
        [flowId],
      )
    ).rows[0].checked_at;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('20 concurrent GETs of a pending flow make exactly one tracking request', async () => {
    const { flowId } = await sendViber();
    expect(await checkedAt(flowId)).toBeNull(); // a send is no check: the first read asks
    const before = trackingRequests();
    const bodies = await Promise.all(Array.from({ length: 20 }, () => track(flowId)));
    expect(trackingRequests() - before).toBe(1);
    for (const body of bodies)
      expect(body).toMatchObject({ flowId, status: 'InProgress', steps: [{ role: 'primary', status: 'QUEUED' }] });
    expect(await checkedAt(flowId)).toEqual(expect.any(Date));
  });

  it('a GET within REFRESH_INTERVAL_MS of the last check answers from the store; the first one after it asks again', async () => {
    const { flowId, trackingId } = await sendViber();
    const before = trackingRequests();
    await track(flowId);
    expect(trackingRequests() - before).toBe(1);
    const first = (await checkedAt(flowId))!;
    // by flowId or trackingId, one after the other or at once: the step was just checked
    await track(trackingId);
    await Promise.all([track(flowId), track(flowId)]);
    expect(trackingRequests() - before).toBe(1);
    await sleep(Math.max(0, first.getTime() + INTERVAL_MS - Date.now()) + 50);
    await Promise.all([track(flowId), track(trackingId)]);
    expect(trackingRequests() - before).toBe(2);
    expect((await checkedAt(flowId))!.getTime()).toBeGreaterThanOrEqual(first.getTime() + INTERVAL_MS);
  });

  it('a step the poller checked just before is answered from the store', async () => {
    const { flowId } = await sendViber();
    // this flow alone is due (the other tests' flows are parked)
    await t.db.query(`UPDATE flows SET next_check_at = CASE WHEN id = $1 THEN now() END WHERE status = 'InProgress'`, [
      flowId,
    ]);
    const before = trackingRequests();
    expect(await t.gateway.app.get(FailoverWorker).tick()).toEqual({ flows: 1, stranded: 0 });
    expect(trackingRequests() - before).toBe(1);
    expect(await checkedAt(flowId)).toEqual(expect.any(Date));
    expect(await track(flowId)).toMatchObject({ status: 'InProgress', steps: [{ status: 'QUEUED' }] });
    expect(trackingRequests() - before).toBe(1);
  });

  it('a step a delivery report just moved is answered from the store, as reported', async () => {
    const { flowId, trackingId } = await sendViber();
    const report = {
      ...VIBER_CALLBACK,
      trackingId,
      status: {
        name: 'SENT',
        reason: { detailedStatus: 'Sent', description: 'The message was sent to Viber.' },
        updatedDate: new Date().toISOString(),
      },
    };
    const res = await t.http.post(`/routee/callbacks/viber?token=${TOKEN}`).send(report);
    expect(res.body).toEqual({ result: 'applied' });
    const before = trackingRequests();
    expect(await track(flowId)).toMatchObject({
      status: 'InProgress',
      steps: [{ status: 'SENT', detailed_status: 'Sent' }],
    });
    expect(trackingRequests() - before).toBe(0);
  });

  it('a tracking call that fails counts as a check: Routee is not asked again within the interval', async () => {
    const { flowId } = await sendViber();
    t.sandbox.state.reset(); // the sandbox forgets every message: tracking answers 404 (and its counts restart)
    const before = trackingRequests();
    expect(await track(flowId)).toMatchObject({ status: 'InProgress', steps: [{ status: 'QUEUED' }] });
    expect(await track(flowId)).toMatchObject({ status: 'InProgress', steps: [{ status: 'QUEUED' }] });
    expect(trackingRequests() - before).toBe(1);
  });

  it('migration StepCheckedAt: down() and up() again on a database with flows; their steps start unchecked', async () => {
    const { flowId } = await sendViber();
    await track(flowId);
    const migration = new StepCheckedAt1795560000000();
    const runner = { query: (sql: string) => t.db.query(sql) } as unknown as QueryRunner;
    const hasColumn = async () =>
      (
        await t.db.query(
          `SELECT 1 FROM information_schema.columns WHERE table_name = 'steps' AND column_name = 'checked_at'`,
        )
      ).rowCount === 1;
    const { rows: stored } = await t.db.query<{ n: number; checked: number }>(
      `SELECT count(*)::int AS n, count(checked_at)::int AS checked FROM steps`,
    );
    expect(stored[0].n).toBeGreaterThan(5);
    expect(stored[0].checked).toBeGreaterThan(0);
    // DDL is transactional in Postgres: the schema and the rows are back as they were afterwards
    // (the gateway stays idle meanwhile: the transaction holds the steps table locked)
    await t.db.query('BEGIN');
    try {
      await migration.down(runner);
      expect(await hasColumn()).toBe(false);
      await migration.up(runner);
      expect(await hasColumn()).toBe(true);
      const { rows } = await t.db.query(`SELECT count(*)::int AS n, count(checked_at)::int AS checked FROM steps`);
      expect(rows).toEqual([{ n: stored[0].n, checked: 0 }]);
    } finally {
      await t.db.query('ROLLBACK');
    }
    expect(await hasColumn()).toBe(true);
    expect(await checkedAt(flowId)).toEqual(expect.any(Date));
  });
});
