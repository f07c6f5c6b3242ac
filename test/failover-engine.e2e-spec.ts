import { randomUUID } from 'node:crypto';
import { FlowEngine } from '@app/engine';
import { FlowStore, type StepDefinition } from '@app/persistence';
import { AUTH, startTestGateway, type TestGateway } from './support/test-gateway';
import { phone } from './support/factories';
import { finalFlow } from './support/engine-support';

/**
 * Routee's Failover API flows on the engine, from start to final status
 * through the worker's polling alone (PUBLIC_URL unset): Routee's outcome
 * matrix (https://docs.routee.net/docs/failover-statuses) with each row a
 * Voice → Viber → SMS flow scripted by the sandbox's numbers
 * (docs/sandbox-viber-voice.md), and the rules around it.
 */
describe('Failover API flows on the engine: the outcome matrix, end to end', () => {
  let t: TestGateway;
  let engine: FlowEngine;

  beforeAll(async () => {
    t = await startTestGateway({
      env: { REFRESH_INTERVAL_MS: '100' },
      sandbox: { statusDelayMs: 100, seenDelayMs: 100 },
    });
    engine = t.gateway.app.get(FlowEngine);
  });
  afterAll(() => t.close());

  // the sandbox's suffixes: Voice 01 Completed, 02 Busy, 03 NoAnswer, 08 Failed, 09 Unsent;
  // Viber 02 UNDELIVERED, 04 DELIVERED then SEEN; SMS 01 Delivered, 06 Undelivered
  const VOICE = { Completed: '01', Busy: '02', NoAnswer: '03', Failed: '08', Unsent: '09' } as const;
  const VIBER = { DELIVERED: '04', UNDELIVERED: '02' } as const;
  const SMS = { DELIVERED: '01', UNDELIVERED: '06' } as const;
  /** seed 004's Voice step lists every call failure as a trigger, as the matrix's rows need */
  const VOICE_TRIGGERS = ['Busy', 'NoAnswer', 'Failed', 'Terminated', 'Unsent'];

  const voice = (to: string, order: number, failoverOnStatuses = VOICE_TRIGGERS): StepDefinition => ({
    type: 'Voice',
    order,
    to,
    ttl: 0,
    from: 'Acme',
    address: { phone: `+${to}` },
    dialPlan: {
      verbs: [{ type: 'SAY', message: { language: 'en-US', gender: 'female', text: 'Your code is 4 8 2 9' } }],
    },
    failoverOnStatuses,
  });
  const viber = (to: string, order: number, extra: Partial<StepDefinition> = {}): StepDefinition =>
    ({
      type: 'Viber',
      order,
      to,
      ttl: 600,
      senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
      expireOnDelivery: false,
      message: { text: 'Your code is 4829' },
      failoverOnStatuses: ['Expired', 'Failed', 'Undelivered'],
      ...extra,
    }) as StepDefinition;
  const sms = (to: string, order: number): StepDefinition => ({
    type: 'Sms',
    order,
    to,
    ttl: 72_000,
    from: 'Acme',
    message: { body: 'Your code is 4829' },
    failoverOnStatuses: ['Undelivered', 'Failed'],
  });

  const start = async (definition: StepDefinition[]) => {
    const id = randomUUID();
    const started = await engine.startFlow({
      id,
      kind: 'failover',
      definition,
      callbackUrl: null,
      callbackStrategy: null,
      apiKeyId: null,
    });
    return { id, started };
  };
  const messages = async (flowId: string) =>
    (
      await t.db.query<{ channel: string; status: string }>(
        `SELECT channel, status FROM steps WHERE flow_id = $1 ORDER BY step_order`,
        [flowId],
      )
    ).rows.map((r) => `${r.channel} ${r.status}`);

  // Routee's matrix; `none`: the step is never sent. FAILED SMS and Terminated calls have no sandbox number (the libs/flow table covers them).
  it.each([
    ['Completed', 'none', 'none', 'Succeeded', ['voice Completed']],
    ['Busy', 'DELIVERED', 'none', 'Succeeded', ['voice Busy', 'viber SEEN']],
    ['Busy', 'UNDELIVERED', 'DELIVERED', 'Succeeded', ['voice Busy', 'viber UNDELIVERED', 'sms Delivered']],
    ['Busy', 'UNDELIVERED', 'UNDELIVERED', 'Failed', ['voice Busy', 'viber UNDELIVERED', 'sms Undelivered']],
    ['NoAnswer', 'DELIVERED', 'none', 'Succeeded', ['voice NoAnswer', 'viber SEEN']],
    ['NoAnswer', 'UNDELIVERED', 'DELIVERED', 'Succeeded', ['voice NoAnswer', 'viber UNDELIVERED', 'sms Delivered']],
    ['Failed', 'UNDELIVERED', 'UNDELIVERED', 'Failed', ['voice Failed', 'viber UNDELIVERED', 'sms Undelivered']],
    ['Unsent', 'DELIVERED', 'none', 'Succeeded', ['voice Unsent', 'viber SEEN']],
    ['Unsent', 'UNDELIVERED', 'DELIVERED', 'Succeeded', ['voice Unsent', 'viber UNDELIVERED', 'sms Delivered']],
  ] as const)('Voice %s, Viber %s, SMS %s → %s', async (call, viberOutcome, smsOutcome, status, story) => {
    const viberTo = phone(viberOutcome === 'none' ? VIBER.DELIVERED : VIBER[viberOutcome]);
    const smsTo = phone(smsOutcome === 'none' ? SMS.DELIVERED : SMS[smsOutcome]);
    const { id, started } = await start([voice(phone(VOICE[call]), 1), viber(viberTo, 2), sms(smsTo, 3)]);
    expect(started.flow.status).toBe('InProgress');
    const flow = await finalFlow(t.db, id);
    expect(flow.status).toBe(status);
    // the last step's failure: no next step (2)
    expect(flow.status_code).toBe(status === 'Failed' ? 2 : null);
    // a flow stops being polled once final: a Viber step may stay at the first success it was seen with
    expect((await messages(id)).map((m) => m.replace('viber DELIVERED', 'viber SEEN'))).toEqual(story);
    // written with the final status: the search's terminationChannel
    const { rows } = await t.db.query(`SELECT termination_channel FROM flows WHERE id = $1`, [id]);
    expect(rows[0].termination_channel).toBe(story[story.length - 1].split(' ')[0]);
  });

  it("a call's report brings its messageId, duration and who answered; the flow is found by that messageId too", async () => {
    const { id } = await start([voice(phone('06'), 1)]);
    expect(await finalFlow(t.db, id)).toMatchObject({ status: 'Succeeded' });
    const { rows } = await t.db.query(
      `SELECT tracking_id, message_id, duration_sec, answered_by FROM steps WHERE flow_id = $1`,
      [id],
    );
    expect(rows).toEqual([
      { tracking_id: expect.any(String), message_id: expect.any(String), duration_sec: 4, answered_by: 'MACHINE' },
    ]);
    expect(rows[0].message_id).not.toBe(rows[0].tracking_id);
    const store = t.gateway.app.get(FlowStore);
    expect((await store.loadByAnyId(rows[0].message_id))?.flow.id).toBe(id);
    expect((await store.loadByAnyId(rows[0].tracking_id))?.flow.id).toBe(id);
  });

  it("a call failure that is not among the step's failoverOnStatuses ends the flow Failed 3, with no next step", async () => {
    const { id } = await start([voice(phone(VOICE.Failed), 1, ['Busy', 'NoAnswer']), sms(phone(SMS.DELIVERED), 2)]);
    expect(await finalFlow(t.db, id)).toMatchObject({ status: 'Failed', status_code: 3 });
    expect(await messages(id)).toEqual(['voice Failed']);
  });

  it('insufficient balance on a send ends the flow Failed 1 (…05), and no later step is sent', async () => {
    const { id, started } = await start([viber(phone('05'), 1), sms(phone(SMS.DELIVERED), 2)]);
    expect(started.flow.status).toBe('Failed');
    expect(await finalFlow(t.db, id)).toMatchObject({ status: 'Failed', status_code: 1 });
    expect(await messages(id)).toEqual(['viber UNSENT']);
  });

  it('a first step Routee cannot take (503, …07) moves on to the next step at once', async () => {
    const smsTo = phone(SMS.DELIVERED);
    const { id } = await start([viber(phone('07'), 1), sms(smsTo, 2)]);
    expect(await finalFlow(t.db, id)).toMatchObject({ status: 'Succeeded', status_code: null });
    expect((await messages(id))[1]).toBe('sms Delivered');
  });

  it('Routee unreachable for every step (503, …07 on Viber and Voice): Failed 0 once the last step cannot be sent', async () => {
    const { id } = await start([viber(phone('07'), 1), voice(phone('07'), 2)]);
    expect(await finalFlow(t.db, id)).toMatchObject({ status: 'Failed', status_code: 0 });
    const { rows } = await t.db.query(
      `SELECT send_state, send_error FROM steps WHERE flow_id = $1 ORDER BY step_order`,
      [id],
    );
    expect(rows).toEqual([
      { send_state: 'failed', send_error: 'unavailable' },
      { send_state: 'failed', send_error: 'unavailable' },
    ]);
  });

  it('the deliveries list shows every step of a Failover API flow, each failed over from the one before; /otp/failover/{id} does not read it', async () => {
    const to = phone(VOICE.Busy);
    const { id } = await start([
      voice(to, 1, ['Busy']),
      viber(phone(VIBER.UNDELIVERED), 2),
      sms(phone(SMS.DELIVERED), 3),
    ]);
    await finalFlow(t.db, id);
    const list = await t.http.get('/otp/failover').query({ flow_id: id }).set(AUTH);
    expect(list.status).toBe(200);
    const results = list.body.results as {
      channel: string;
      trackingId: string;
      failover_from_message_token?: string;
    }[];
    // newest first
    expect(results.map((r) => r.channel)).toEqual(['sms', 'viber', 'voice']);
    expect(results[0].failover_from_message_token).toBe(results[1].trackingId);
    expect(results[1].failover_from_message_token).toBe(results[2].trackingId);
    expect((await t.http.get(`/otp/failover/${id}`).set(AUTH)).status).toBe(404);
  });

  it('expireOnDelivery: a Viber step delivered and never seen counts as Expired after its ttl, and the next step goes out', async () => {
    // …03: DELIVERED, never SEEN; ttl 1 s from delivery
    const smsTo = phone(SMS.DELIVERED);
    const { id } = await start([
      viber(phone('03'), 1, { ttl: 1, expireOnDelivery: true } as Partial<StepDefinition>),
      sms(smsTo, 2),
    ]);
    expect(await finalFlow(t.db, id)).toMatchObject({ status: 'Succeeded' });
    expect(await messages(id)).toEqual(['viber DELIVERED', 'sms Delivered']);
  });

  it('without expireOnDelivery the same delivery is a success, and the SMS is never sent', async () => {
    const { id } = await start([
      viber(phone('03'), 1, { ttl: 1 } as Partial<StepDefinition>),
      sms(phone(SMS.DELIVERED), 2),
    ]);
    expect(await finalFlow(t.db, id)).toMatchObject({ status: 'Succeeded' });
    expect(await messages(id)).toEqual(['viber DELIVERED']);
  });

  it('a Viber EXPIRED report (…01) hands over to the next step', async () => {
    const { id } = await start([viber(phone('01'), 1), sms(phone(SMS.DELIVERED), 2)]);
    expect(await finalFlow(t.db, id)).toMatchObject({ status: 'Succeeded' });
    expect(await messages(id)).toEqual(['viber EXPIRED', 'sms Delivered']);
  });
});
