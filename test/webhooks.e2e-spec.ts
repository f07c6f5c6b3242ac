import { loadGatewayConfig } from '@app/config';
import { verifyWebhook } from '@app/engine';
import { startGateway, type RunningGateway } from '../apps/gateway/src/gateway';
import { finalFlow, sleep, waitFor } from './support/engine-support';
import { failoverRequest, phone, smsStep } from './support/factories';
import { AUTH, TEST_CODE_SECRET, TEST_KEY, startTestGateway, type TestGateway } from './support/test-gateway';
import { WebhookReceiver, type ReceivedWebhook } from './support/webhook-receiver';

const SECRET = 'whsec-test-0123456789';

/** a gateway polling fast, retrying webhooks fast, allowed to call the local receiver */
const FAST = {
  REFRESH_INTERVAL_MS: '100',
  WEBHOOK_SECRET: SECRET,
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_POLL_MS: '50',
  WEBHOOK_BACKOFF_BASE_MS: '50',
  WEBHOOK_BACKOFF_MAX_MS: '200',
  WEBHOOK_TIMEOUT_MS: '500',
};

interface EventRow {
  id: string;
  seq: string;
  type: string;
  state: string;
  attempts: number;
}

async function eventRows(t: TestGateway, flowId: string): Promise<EventRow[]> {
  const { rows } = await t.db.query<EventRow>(
    'SELECT id, seq, type, state, attempts FROM webhook_events WHERE flow_id = $1 ORDER BY seq',
    [flowId],
  );
  return rows;
}

/** waits until every event of the flow is delivered or dead, and the flow is final */
async function settled(t: TestGateway, flowId: string, timeoutMs = 15_000): Promise<EventRow[]> {
  await finalFlow(t.db, flowId, timeoutMs);
  return waitFor(
    `webhooks of ${flowId} to settle`,
    async () => {
      const rows = await eventRows(t, flowId);
      return rows.length > 0 && rows.every((r) => r.state === 'delivered' || r.state === 'dead') ? rows : undefined;
    },
    timeoutMs,
  );
}

const digest = (hook: ReceivedWebhook) =>
  JSON.stringify([
    hook.json.status,
    hook.json.statusCode,
    hook.json.steps.map((s) => [s.role, s.status, s.trackingId]),
  ]);

describe('webhooks to the integrator', () => {
  let t: TestGateway;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    t = await startTestGateway({
      env: { ...FAST, WEBHOOK_MAX_ATTEMPTS: '4' },
      sandbox: { statusDelayMs: 300, seenDelayMs: 100 },
    });
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.respond = () => 200;
  });

  /** reads the flow (which refreshes it from Routee) until its last step is Delivered */
  const delivered = (flowId: string) =>
    waitFor(`flow ${flowId} delivered`, async () => {
      const res = await t.http.get(`/otp/failover/${flowId}`).set(AUTH);
      return res.body.steps[res.body.steps.length - 1].status === 'Delivered' ? res.body : undefined;
    });

  const send = async (body: object) => {
    const res = await t.http.post('/otp/send-failover').set(AUTH).send(body);
    expect(res.status).toBe(200);
    return res.body as { flowId: string; status: string; flow: { trackingId: string | null }[] };
  };

  it('tells every change after the send response, in order, signed, never the same state twice', async () => {
    const sent = await send(failoverRequest(phone('01'), { body: { callback: { url: receiver.url } } }));
    const rows = await settled(t, sent.flowId);

    const hooks = receiver.delivered.filter((h) => h.json.flowId === sent.flowId);
    // one delivery per event, in the outbox's order
    expect(hooks.map((h) => h.id)).toEqual(rows.map((r) => r.id));
    expect(rows.every((r) => r.state === 'delivered' && r.attempts === 1)).toBe(true);
    // signed with WEBHOOK_SECRET over "<t>.<body>"
    for (const h of hooks)
      expect(verifyWebhook(SECRET, h.body, h.signature!, Math.floor(Date.now() / 1000))).toBe(true);
    // no event for the initial state (what the send response said), none twice for one state
    const initial = JSON.stringify([sent.status, null, [['primary', 'QUEUED', sent.flow[0].trackingId]]]);
    const states = hooks.map(digest);
    expect(states).not.toContain(initial);
    expect(new Set(states).size).toBe(states.length);
    // the story: the Viber primary expires, the SMS failover is sent once and delivers
    expect(hooks.filter((h) => h.type === 'failover.sent')).toHaveLength(1);
    const failoverSent = hooks.find((h) => h.type === 'failover.sent')!;
    expect(failoverSent.json.steps.map((s) => [s.role, s.status])).toEqual([
      ['primary', 'EXPIRED'],
      ['failover', 'Queued'],
    ]);
    expect(hooks[hooks.length - 1].json.status).toBe('Succeeded');
    // SMS "Sent" already counts as success; reading the flow asks Routee for the delivery report
    const tracking = await delivered(sent.flowId);
    const after = await settled(t, sent.flowId);
    const last = receiver.delivered.find((h) => h.id === after[after.length - 1].id)!.json;
    expect(last.steps.map((s) => [s.role, s.status])).toEqual([
      ['primary', 'EXPIRED'],
      ['failover', 'Delivered'],
    ]);
    // the body is the tracking body
    expect(last).toEqual(tracking);
  });

  it('an unchanged status produces no event', async () => {
    const sent = await send({ flow: [smsStep({ to: phone('00'), order: 1 })], callback: { url: receiver.url } });
    await delivered(sent.flowId);
    const rows = await settled(t, sent.flowId);
    // re-reading the final flow, from the API and by the worker, changes nothing
    for (let i = 0; i < 3; i++) expect((await t.http.get(`/otp/failover/${sent.flowId}`).set(AUTH)).status).toBe(200);
    // and so does Routee repeating the final report
    const smsId = sent.flow[0].trackingId!;
    const repeat = await t.http
      .post(`/routee/callbacks/sms?token=${encodeURIComponent(t.gateway.config.callbackToken)}`)
      .send({
        messageId: smsId,
        smsId,
        part: 1,
        parts: 1,
        to: '+306900000000',
        status: {
          name: 'Delivered',
          reason: { detailedStatus: 'Delivered', description: 'Delivered' },
          updatedDate: new Date().toISOString(),
        },
      });
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual({ result: 'unchanged' });
    await sleep(400);
    expect(await eventRows(t, sent.flowId)).toEqual(rows);
    expect(receiver.delivered.filter((h) => h.json.flowId === sent.flowId)).toHaveLength(rows.length);
  });

  it('a flow without callback.url writes no event', async () => {
    const sent = await send(failoverRequest(phone('01')));
    await finalFlow(t.db, sent.flowId, 15_000);
    expect(await eventRows(t, sent.flowId)).toEqual([]);
  });

  it('a receiver that is down for a while gets every event exactly once, in order, when it comes back', async () => {
    // down for its first three requests (WEBHOOK_MAX_ATTEMPTS is 4 here)
    let refused = 0;
    receiver.respond = () => (refused++ < 3 ? 503 : 200);
    const sent = await send(failoverRequest(phone('01'), { body: { callback: { url: receiver.url } } }));
    const rows = await settled(t, sent.flowId, 20_000);

    const all = receiver.received.filter((h) => h.json.flowId === sent.flowId);
    const ok = receiver.delivered.filter((h) => h.json.flowId === sent.flowId);
    expect(all.some((h) => h.answered === 503)).toBe(true);
    expect(ok.map((h) => h.id)).toEqual(rows.map((r) => r.id)); // each once, in order
    expect(rows.every((r) => r.state === 'delivered')).toBe(true);
    expect(rows[0].attempts).toBeGreaterThan(1);
    // a later event never went out before an earlier one was delivered
    const firstOk = new Map(ok.map((h) => [h.id, h.at]));
    for (const h of all) {
      const earlier = rows.slice(
        0,
        rows.findIndex((r) => r.id === h.id),
      );
      for (const e of earlier) expect(firstOk.get(e.id)!).toBeLessThanOrEqual(h.at);
    }
  });

  it('a receiver answering 500 forever: the event ends dead and visible, and can be re-sent', async () => {
    receiver.respond = () => 500;
    const sent = await send({ flow: [smsStep({ to: phone('06'), order: 1 })], callback: { url: receiver.url } });
    const rows = await settled(t, sent.flowId);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.state === 'dead' && r.attempts === 4)).toBe(true);

    const listed = await t.http.get(`/otp/failover/${sent.flowId}/webhooks`).set(AUTH);
    expect(listed.status).toBe(200);
    expect(listed.body.flowId).toBe(sent.flowId);
    expect(listed.body.events[0]).toEqual({
      id: rows[0].id,
      type: 'step.status_changed',
      state: 'dead',
      attempts: 4,
      url: receiver.url,
      last_error: 'HTTP 500',
      last_status_code: 500,
      created_at: expect.any(String),
      payload: expect.objectContaining({ flowId: sent.flowId, status: 'Failed', statusCode: 2 }),
    });

    receiver.respond = () => 200;
    const resend = await t.http.post(`/otp/failover/${sent.flowId}/webhooks/${rows[0].id}/resend`).set(AUTH);
    expect(resend.status).toBe(202);
    expect(resend.body).toEqual({ id: rows[0].id, state: 'pending' });
    await waitFor('the re-sent event', async () => (await eventRows(t, sent.flowId))[0].state === 'delivered');
    expect(receiver.delivered.filter((h) => h.id === rows[0].id)).toHaveLength(1);

    const again = await t.http.post(`/otp/failover/${sent.flowId}/webhooks/${rows[0].id}/resend`).set(AUTH);
    expect(again.status).toBe(404);
    expect((await t.http.get('/otp/failover/00000000-0000-0000-0000-000000000000/webhooks').set(AUTH)).status).toBe(
      404,
    );
  });

  it('redirects are not followed and a hanging receiver times out', async () => {
    receiver.respond = (hook) => (hook.attempt === 1 ? 302 : hook.attempt === 2 ? 'hang' : 200);
    const sent = await send({ flow: [smsStep({ to: phone('00'), order: 1 })], callback: { url: receiver.url } });
    const rows = await settled(t, sent.flowId);
    const first = receiver.received.filter((h) => h.id === rows[0].id);
    expect(first.map((h) => [h.attempt, h.answered])).toEqual([
      [1, 302],
      [2, 0],
      [3, 200],
    ]);
    // the redirect's target was never asked for
    expect(receiver.received.every((h) => h.json.flowId)).toBe(true);
    expect(rows[0].state).toBe('delivered');
  });
});

describe('webhook targets refused at send time', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(); // not sandbox mode: private addresses refused by default
  });
  afterAll(() => t.close());

  it.each([
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data'],
    ['link-local', 'http://169.254.10.10/hook'],
    ['IPv6 link-local', 'http://[fe80::1]/hook'],
    ['loopback', 'http://127.0.0.1:9/hook'],
    ['private', 'https://10.0.0.5/hook'],
    ['localhost by name', 'http://localhost:9/hook'],
  ])('%s → 422 naming callback.url, nothing sent', async (_name, url) => {
    const res = await t.http
      .post('/otp/send-failover')
      .set(AUTH)
      .send(failoverRequest(phone('00'), { body: { callback: { url } } }));
    expect(res.status).toBe(422);
    expect(res.body.detail).toEqual([
      { loc: ['body', 'callback', 'url'], msg: expect.stringContaining('refused'), type: 'value_error.url' },
    ]);
    expect(t.sandbox.state.sends).toHaveLength(0);
  });
});

describe('webhooks with two replicas', () => {
  let t: TestGateway;
  let second: RunningGateway;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    t = await startTestGateway({ env: FAST, sandbox: { statusDelayMs: 200, seenDelayMs: 100 } });
    // a second gateway on the same database and sandbox: its own worker and dispatcher
    second = await startGateway(
      loadGatewayConfig({
        DATABASE_URL: process.env.TEST_DATABASE_URL,
        GATEWAY_API_KEYS: TEST_KEY,
        CODE_SECRET: TEST_CODE_SECRET,
        ROUTEE_APP_ID: t.sandbox.appId,
        ROUTEE_APP_SECRET: t.sandbox.appSecret,
        ROUTEE_AUTH_URL: t.sandbox.url,
        ROUTEE_API_URL: t.sandbox.url,
        ...FAST,
      }),
      { logger: false },
    );
  });
  afterAll(async () => {
    await second.close();
    await t.close();
    await receiver.close();
  });

  it('never both deliver the same event', async () => {
    // a slow receiver keeps claims open while the other replica looks for work
    receiver.respond = () => 200;
    const flows = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await t.http
          .post('/otp/send-failover')
          .set(AUTH)
          .send(failoverRequest(phone('01'), { body: { callback: { url: receiver.url } } }));
        expect(res.status).toBe(200);
        return res.body.flowId as string;
      }),
    );
    const perFlow = await Promise.all(flows.map((id) => settled(t, id, 30_000)));
    const allRows = perFlow.flat();
    expect(allRows.every((r) => r.state === 'delivered')).toBe(true);
    expect(allRows.filter((r) => r.type === 'failover.sent')).toHaveLength(20);
    const deliveries = receiver.delivered.filter((h) => flows.includes(h.json.flowId));
    // every event exactly once
    expect(deliveries).toHaveLength(allRows.length);
    expect(new Set(deliveries.map((h) => h.id)).size).toBe(allRows.length);
    // and each flow's events in order
    flows.forEach((id, i) => {
      expect(deliveries.filter((h) => h.json.flowId === id).map((h) => h.id)).toEqual(perFlow[i].map((r) => r.id));
    });
    // and each failover SMS went out once, whichever replica's worker fired it
    expect(t.sandbox.state.sends.filter((x) => x.channel === 'sms')).toHaveLength(20);
  }, 60_000);
});
