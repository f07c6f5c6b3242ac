import { randomUUID } from 'node:crypto';
import { FlowEngine } from '@app/engine';
import type { CallbackStrategy, StepDefinition } from '@app/persistence';
import { startTestGateway, type TestGateway } from './support/test-gateway';
import { phone } from './support/factories';
import { finalFlow, waitFor } from './support/engine-support';
import { WebhookReceiver } from './support/webhook-receiver';

/**
 * The Failover API's callbacks (https://docs.routee.net/docs/failover-callbacks)
 * through the durable outbox: the tracking object as the body, OnStep on
 * every step change and each next step sent, OnCompletion once, in order,
 * and replayed in order after a receiver outage.
 */
describe('Failover API callbacks: OnStep and OnCompletion', () => {
  let t: TestGateway;
  let receiver: WebhookReceiver;
  let engine: FlowEngine;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    t = await startTestGateway({
      env: {
        REFRESH_INTERVAL_MS: '100',
        WEBHOOK_SECRET: 'whsec-test-0123456789',
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_POLL_MS: '50',
        WEBHOOK_BACKOFF_BASE_MS: '50',
        WEBHOOK_BACKOFF_MAX_MS: '200',
        WEBHOOK_TIMEOUT_MS: '500',
      },
      sandbox: { statusDelayMs: 100, seenDelayMs: 100 },
    });
    engine = t.gateway.app.get(FlowEngine);
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.respond = () => 200;
  });

  /** Voice Busy (…02) → Viber UNDELIVERED (…02) → SMS Delivered (…01) */
  const threeSteps = (): StepDefinition[] => [
    {
      type: 'Voice',
      order: 1,
      to: phone('02'),
      ttl: 0,
      from: 'Acme',
      address: { phone: '+306900000002' },
      dialPlan: { verbs: [{ type: 'SAY', message: { language: 'en-US', gender: 'female', text: 'Code 4 8 2 9' } }] },
      failoverOnStatuses: ['Busy', 'NoAnswer'],
    },
    {
      type: 'Viber',
      order: 2,
      to: phone('02'),
      ttl: 600,
      senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
      expireOnDelivery: false,
      message: { text: 'Your code is 4829' },
      failoverOnStatuses: ['Expired', 'Failed', 'Undelivered'],
    },
    {
      type: 'Sms',
      order: 3,
      to: phone('01'),
      ttl: 72_000,
      from: 'Acme',
      message: { body: 'Your code is 4829' },
      failoverOnStatuses: ['Undelivered', 'Failed'],
    },
  ];
  const start = async (callbackStrategy: CallbackStrategy) => {
    const id = randomUUID();
    await engine.startFlow({
      id,
      kind: 'failover',
      definition: threeSteps(),
      callbackUrl: receiver.url,
      callbackStrategy,
      apiKeyId: null,
    });
    return id;
  };
  interface Tracking {
    trackingId: string;
    status: string;
    messages: { type: string; status: { name: string } }[];
  }
  const bodies = (flowId: string) =>
    receiver.delivered.map((h) => JSON.parse(h.body) as Tracking).filter((b) => b.trackingId === flowId);
  const story = (b: Tracking) => `${b.status}: ${b.messages.map((m) => `${m.type} ${m.status.name}`).join(', ')}`;
  const settled = async (flowId: string, count: (n: number) => boolean) => {
    await finalFlow(t.db, flowId);
    // the outbox delivers after the commit: wait for it to drain
    await waitFor('the events to be delivered', async () => {
      const { rows } = await t.db.query(
        `SELECT count(*)::int AS n FROM webhook_events WHERE flow_id = $1 AND state <> 'delivered'`,
        [flowId],
      );
      return rows[0].n === 0 && count(bodies(flowId).length);
    });
  };

  it('OnStep: an event on each step change and each next step sent, in order, each body the tracking object', async () => {
    const id = await start('OnStep');
    await settled(id, (n) => n > 0);
    const got = bodies(id);
    const types = receiver.delivered
      .filter((h) => (JSON.parse(h.body) as Tracking).trackingId === id)
      .map((h) => h.type);
    // the two next steps each announced once, and the story only moves forward
    expect(types.filter((type) => type === 'failover.sent')).toHaveLength(2);
    expect(got.map((b) => b.messages.length)).toEqual([...got.map((b) => b.messages.length)].sort((a, b) => a - b));
    expect(story(got[got.length - 1])).toBe('Succeeded: Voice Busy, Viber UNDELIVERED, Sms Delivered');
    expect(got.filter((b) => b.status === 'Succeeded')).toHaveLength(1);
    expect(new Set(got.map(story)).size).toBe(got.length); // no event repeats the one before
  });

  it('OnCompletion: exactly one event, when the flow ends', async () => {
    const id = await start('OnCompletion');
    await settled(id, (n) => n >= 1);
    await new Promise((r) => setTimeout(r, 300)); // nothing more comes
    const got = bodies(id);
    expect(got.map(story)).toEqual(['Succeeded: Voice Busy, Viber UNDELIVERED, Sms Delivered']);
  });

  it('a receiver outage: OnStep events are retried and arrive in their order once it is back', async () => {
    let down = true;
    receiver.respond = () => (down ? 503 : 200);
    const id = await start('OnStep');
    await finalFlow(t.db, id);
    await waitFor('a refused attempt', async () => receiver.received.some((h) => h.answered === 503));
    down = false;
    await settled(id, (n) => n > 0);
    const { rows } = await t.db.query<{ seq: string }>(
      `SELECT seq FROM webhook_events WHERE flow_id = $1 ORDER BY delivered_at, seq`,
      [id],
    );
    // delivered in the order they were written
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((r) => Number(r.seq)).sort((a, b) => a - b));
    expect(story(bodies(id).at(-1)!)).toBe('Succeeded: Voice Busy, Viber UNDELIVERED, Sms Delivered');
  });
});
