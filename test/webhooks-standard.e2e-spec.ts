import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook } from '@app/engine';
import { finalFlow, waitFor } from './support/engine-support';
import { failoverRequest, phone } from './support/factories';
import { AUTH, startTestGateway, type TestGateway } from './support/test-gateway';
import { WebhookReceiver, type ReceivedWebhook } from './support/webhook-receiver';

// what an integrator configures: the new secret in the standard's whsec_ form, the old one a plain string
const NEW_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const OLD_SECRET = 'plain-old-secret-31415926';

const FAST = {
  REFRESH_INTERVAL_MS: '100',
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_POLL_MS: '50',
  WEBHOOK_BACKOFF_BASE_MS: '50',
  WEBHOOK_BACKOFF_MAX_MS: '200',
  WEBHOOK_TIMEOUT_MS: '500',
};

/** the standard library's verify, with the headers as the receiver got them */
const verify = (wh: Webhook, body: string, headers: ReceivedWebhook['headers']) =>
  wh.verify(body, headers as Record<string, string>);

/** waits until every event of the flow is delivered, and the flow is final */
async function settled(t: TestGateway, receiver: WebhookReceiver, flowId: string): Promise<ReceivedWebhook[]> {
  await finalFlow(t.db, flowId, 15_000);
  await waitFor(
    `webhooks of ${flowId} delivered`,
    async () => {
      const { rows } = await t.db.query(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE state <> 'delivered')::int AS left FROM webhook_events WHERE flow_id = $1`,
        [flowId],
      );
      return rows[0].n > 0 && rows[0].left === 0;
    },
    15_000,
  );
  return receiver.received.filter((h) => h.json.flowId === flowId);
}

// a flow's end and its webhooks' delivery are each waited for up to 15 s, together more than the suite's default
jest.setTimeout(60_000);

describe('Standard Webhooks signatures (webhook-id, webhook-timestamp, webhook-signature)', () => {
  let t: TestGateway;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    // rotation: both secrets sign, the standard header and the legacy one
    t = await startTestGateway({
      env: { ...FAST, WEBHOOK_SECRET: `${NEW_SECRET},${OLD_SECRET}` },
      sandbox: { statusDelayMs: 300, seenDelayMs: 100 },
    });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.respond = () => 200;
  });

  const send = async () => {
    const res = await t.http
      .post('/otp/send-failover')
      .set(AUTH)
      .send(failoverRequest(phone('01'), { body: { callback: { url: receiver.url } } }));
    expect(res.status).toBe(200);
    return res.body as { flowId: string };
  };

  it('every delivery verifies with the standardwebhooks library, under either secret of the rotation', async () => {
    const { flowId } = await send();
    const hooks = await settled(t, receiver, flowId);
    expect(hooks.length).toBeGreaterThanOrEqual(2);
    const now = Math.floor(Date.now() / 1000);
    for (const h of hooks) {
      // the event's stable id, the attempt's time, one v1 entry per secret
      expect(h.headers['webhook-id']).toBe(h.id);
      expect(Number(h.headers['webhook-timestamp'])).toBeGreaterThan(now - 60);
      expect(Number(h.headers['webhook-timestamp'])).toBeLessThanOrEqual(now);
      expect(String(h.headers['webhook-signature'])).toMatch(/^v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}=$/);
      expect(verify(new Webhook(NEW_SECRET), h.body, h.headers)).toEqual(h.json);
      expect(verify(new Webhook(OLD_SECRET, { format: 'raw' }), h.body, h.headers)).toEqual(h.json);
      // a receiver that knows neither refuses it
      expect(() => verify(new Webhook(`whsec_${randomBytes(32).toString('base64')}`), h.body, h.headers)).toThrow(
        /No matching signature/,
      );
      // the legacy header is still there, one v1= entry per secret in their order: either secret verifies it
      expect(h.signature).toMatch(/^t=\d{10},v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
      expect(verifyWebhook(NEW_SECRET, h.body, h.signature!, now)).toBe(true);
      expect(verifyWebhook(OLD_SECRET, h.body, h.signature!, now)).toBe(true);
      const [t0, v1New, v1Old] = h.signature!.split(',');
      expect(verifyWebhook(NEW_SECRET, h.body, `${t0},${v1New}`, now)).toBe(true);
      expect(verifyWebhook(OLD_SECRET, h.body, `${t0},${v1Old}`, now)).toBe(true);
      expect(verifyWebhook(OLD_SECRET, h.body, `${t0},${v1New}`, now)).toBe(false);
      expect(verifyWebhook('plain-unknown-secret-2718', h.body, h.signature!, now)).toBe(false);
    }
  });

  it('a replayed body under another webhook-id fails, and so does a tampered body', async () => {
    const { flowId } = await send();
    const [first, second] = await settled(t, receiver, flowId);
    const wh = new Webhook(NEW_SECRET);
    expect(first.body).not.toBe(second.body);
    // the signature covers the id: first's body and signature presented as another event
    expect(() => verify(wh, first.body, { ...first.headers, 'webhook-id': second.id })).toThrow(
      /No matching signature/,
    );
    // second's headers (its id, time and signature) over first's body
    expect(() => verify(wh, first.body, second.headers)).toThrow(/No matching signature/);
    // one byte changed
    const tampered = first.body.replace(/"status":"(\w+)"/, '"status":"$1x"');
    expect(tampered).not.toBe(first.body);
    expect(() => verify(wh, tampered, first.headers)).toThrow(/No matching signature/);
    // a timestamp moved (to make a replay look fresh) breaks the signature too
    const moved = String(Number(first.headers['webhook-timestamp']) + 1);
    expect(() => verify(wh, first.body, { ...first.headers, 'webhook-timestamp': moved })).toThrow(
      /No matching signature/,
    );
  });

  it('a retried event keeps its webhook-id and is signed again at its new webhook-timestamp', async () => {
    let failed = 0;
    // the first event is answered 500 three times, then taken
    receiver.respond = (hook) =>
      failed < 3 && hook.attempt === failed + 1 && hook.attempt < 4 ? (failed++, 500) : 200;
    const { flowId } = await send();
    const hooks = await settled(t, receiver, flowId);
    const attempts = hooks.filter((h) => h.id === hooks[0].id);
    expect(attempts.map((h) => [h.attempt, h.answered])).toEqual([
      [1, 500],
      [2, 500],
      [3, 500],
      [4, 200],
    ]);
    for (const h of attempts) {
      expect(h.headers['webhook-id']).toBe(hooks[0].id);
      expect(verify(new Webhook(NEW_SECRET), h.body, h.headers)).toEqual(h.json);
    }
  });
});

describe('Standard Webhooks without WEBHOOK_SECRET', () => {
  let t: TestGateway;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    t = await startTestGateway({ env: FAST, sandbox: { statusDelayMs: 300, seenDelayMs: 100 } });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('webhook-id and webhook-timestamp are sent, no signature of either kind', async () => {
    const res = await t.http
      .post('/otp/send-failover')
      .set(AUTH)
      .send(failoverRequest(phone('02'), { body: { callback: { url: receiver.url } } }));
    expect(res.status).toBe(200);
    const hooks = await settled(t, receiver, res.body.flowId);
    expect(hooks.length).toBeGreaterThan(0);
    for (const h of hooks) {
      expect(h.headers['webhook-id']).toBe(h.id);
      expect(h.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
      expect(h.headers['webhook-signature']).toBeUndefined();
      expect(h.headers['x-webhook-signature']).toBeUndefined();
    }
  });
});
