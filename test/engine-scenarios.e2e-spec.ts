import { AUTH, startTestGateway, type TestGateway } from './support/test-gateway';
import { failoverRequest, phone, smsStep, viberStep, type Json } from './support/factories';
import { finalFlow, stepRows, type StepRow } from './support/engine-support';

/**
 * From send to final status through the scheduled worker alone (no callbacks:
 * PUBLIC_URL unset), one test per sandbox scenario. Short timings: the
 * sandbox reports a final status 100 ms after a send, the worker looks every 100 ms.
 */
describe('failover engine: sandbox scenarios, polling only', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({
      env: { REFRESH_INTERVAL_MS: '100' },
      sandbox: { statusDelayMs: 100, seenDelayMs: 100 },
    });
  });
  afterAll(() => t.close());

  const send = async (body: Json) => {
    const res = await t.http.post('/otp/send-failover').set(AUTH).send(body);
    expect(res.status).toBe(200);
    return res.body as { flowId: string; status: string };
  };
  const sendsTo = (to: string) => t.sandbox.state.sends.filter((s) => s.to === to);
  const attemptsTo = (to: string) =>
    t.sandbox.state.attempts.filter((a) => a.to === to).map((a) => `${a.channel} ${a.httpStatus}`);
  const tracking = (to: string, channel: string) => sendsTo(to).find((s) => s.channel === channel)?.trackingId;
  const step = (
    role: string,
    channel: string,
    status: string | RegExp,
    tracking_id: string | null | undefined,
    extra: Partial<StepRow> = {},
  ) => ({
    role,
    channel,
    status: typeof status === 'string' ? status : expect.stringMatching(status),
    send_state: 'sent',
    send_error: null,
    tracking_id,
    ...extra,
  });
  // a flow stops being polled once final, so a step may keep the first success status it was seen with
  const VIBER_OK = /^(DELIVERED|SEEN)$/;
  const SMS_OK = /^(Sent|Delivered)$/;

  it('…00 delivers: Succeeded on Viber, no SMS', async () => {
    const to = phone('00');
    const { flowId } = await send(failoverRequest(to));
    expect(await finalFlow(t.db, flowId)).toEqual({
      status: 'Succeeded',
      status_code: null,
      next_check_at: null,
      error: null,
    });
    expect(sendsTo(to).map((s) => s.channel)).toEqual(['viber']);
    expect(await stepRows(t.db, flowId)).toEqual([step('primary', 'viber', VIBER_OK, tracking(to, 'viber'))]);
  });

  it('…01 Viber EXPIRED: the SMS failover is sent, Succeeded', async () => {
    const to = phone('01');
    const { flowId } = await send(failoverRequest(to));
    expect(await finalFlow(t.db, flowId)).toMatchObject({
      status: 'Succeeded',
      status_code: null,
      next_check_at: null,
    });
    expect(sendsTo(to).map((s) => s.channel)).toEqual(['viber', 'sms']);
    expect(await stepRows(t.db, flowId)).toEqual([
      step('primary', 'viber', 'EXPIRED', tracking(to, 'viber')),
      step('failover', 'sms', SMS_OK, tracking(to, 'sms')),
    ]);
  });

  it('…02 Viber UNDELIVERED: the SMS failover is sent, Succeeded', async () => {
    const to = phone('02');
    const { flowId } = await send(failoverRequest(to));
    expect(await finalFlow(t.db, flowId)).toMatchObject({
      status: 'Succeeded',
      status_code: null,
      next_check_at: null,
    });
    expect(sendsTo(to).map((s) => s.channel)).toEqual(['viber', 'sms']);
    expect(await stepRows(t.db, flowId)).toEqual([
      step('primary', 'viber', 'UNDELIVERED', tracking(to, 'viber')),
      step('failover', 'sms', SMS_OK, tracking(to, 'sms')),
    ]);
  });

  it('…03 DELIVERED never SEEN, failoverOnDelivered off: Succeeded, no SMS', async () => {
    const to = phone('03');
    const { flowId } = await send(failoverRequest(to));
    expect(await finalFlow(t.db, flowId)).toMatchObject({ status: 'Succeeded', status_code: null });
    await new Promise((r) => setTimeout(r, 300));
    expect(sendsTo(to).map((s) => s.channel)).toEqual(['viber']);
    expect(await stepRows(t.db, flowId)).toEqual([step('primary', 'viber', 'DELIVERED', tracking(to, 'viber'))]);
  });

  it('…03 failoverOnDelivered: the window (ttl 1 s after DELIVERED) closes without SEEN → SMS, Succeeded', async () => {
    const to = phone('03');
    const started = Date.now();
    const { flowId } = await send(failoverRequest(to, { viber: { ttl: 1, failoverOnDelivered: true } }));
    expect(await finalFlow(t.db, flowId)).toMatchObject({
      status: 'Succeeded',
      status_code: null,
      next_check_at: null,
    });
    expect(sendsTo(to).map((s) => s.channel)).toEqual(['viber', 'sms']);
    const smsAt = Date.parse(sendsTo(to)[1].at);
    // DELIVERED at ~100 ms, window of 1 s, then at most about one interval late
    expect(smsAt - started).toBeGreaterThanOrEqual(1000);
    expect(smsAt - started).toBeLessThan(2500);
    expect(await stepRows(t.db, flowId)).toEqual([
      step('primary', 'viber', 'DELIVERED', tracking(to, 'viber')),
      step('failover', 'sms', SMS_OK, tracking(to, 'sms')),
    ]);
  });

  it('…04 failoverOnDelivered and SEEN within the window: Succeeded without SMS', async () => {
    const to = phone('04');
    const { flowId } = await send(failoverRequest(to, { viber: { ttl: 1, failoverOnDelivered: true } }));
    expect(await finalFlow(t.db, flowId)).toMatchObject({
      status: 'Succeeded',
      status_code: null,
      next_check_at: null,
    });
    await new Promise((r) => setTimeout(r, 1300)); // past the window: still no SMS
    expect(sendsTo(to).map((s) => s.channel)).toEqual(['viber']);
    expect(await stepRows(t.db, flowId)).toEqual([step('primary', 'viber', 'SEEN', tracking(to, 'viber'))]);
  });

  it('…04 SEEN, failoverOnDelivered off: Succeeded, no SMS', async () => {
    const to = phone('04');
    const { flowId } = await send(failoverRequest(to));
    expect(await finalFlow(t.db, flowId)).toMatchObject({ status: 'Succeeded', status_code: null });
    expect(sendsTo(to).map((s) => s.channel)).toEqual(['viber']);
    expect(await stepRows(t.db, flowId)).toEqual([step('primary', 'viber', VIBER_OK, tracking(to, 'viber'))]);
  });

  it('…05 insufficient balance: Failed 1 at once, no failover', async () => {
    const to = phone('05');
    const { flowId, status } = await send(failoverRequest(to));
    expect(status).toBe('Failed');
    expect(await finalFlow(t.db, flowId)).toEqual({
      status: 'Failed',
      status_code: 1,
      next_check_at: null,
      error: 'Insufficient balance',
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(attemptsTo(to)).toEqual(['viber 400']);
    expect(await stepRows(t.db, flowId)).toEqual([
      step('primary', 'viber', 'UNSENT', null, { send_state: 'failed', send_error: 'insufficient_balance' }),
    ]);
  });

  it('…06 SMS first, Undelivered: the Viber failover is sent, Succeeded', async () => {
    const to = phone('06');
    const { flowId } = await send({ flow: [smsStep({ to, order: 1 }), viberStep({ to, order: 2 })] });
    expect(await finalFlow(t.db, flowId)).toMatchObject({
      status: 'Succeeded',
      status_code: null,
      next_check_at: null,
    });
    expect(sendsTo(to).map((s) => s.channel)).toEqual(['sms', 'viber']);
    expect(await stepRows(t.db, flowId)).toEqual([
      step('primary', 'sms', 'Undelivered', tracking(to, 'sms')),
      step('failover', 'viber', VIBER_OK, tracking(to, 'viber')),
    ]);
  });

  it('…06 a single SMS step, Undelivered: Failed 2', async () => {
    const to = phone('06');
    const { flowId } = await send({ flow: [smsStep({ to, order: 1 })] });
    expect(await finalFlow(t.db, flowId)).toMatchObject({ status: 'Failed', status_code: 2, next_check_at: null });
    expect(sendsTo(to).map((s) => s.channel)).toEqual(['sms']);
    expect(await stepRows(t.db, flowId)).toEqual([step('primary', 'sms', 'Undelivered', tracking(to, 'sms'))]);
  });

  it('…07 Viber 503 on send: the SMS failover is sent at once, Succeeded', async () => {
    const to = phone('07');
    const { flowId } = await send(failoverRequest(to));
    expect(await finalFlow(t.db, flowId)).toMatchObject({
      status: 'Succeeded',
      status_code: null,
      next_check_at: null,
    });
    expect(attemptsTo(to)).toEqual(['viber 503', 'viber 503', 'viber 503', 'sms 200']);
    expect(await stepRows(t.db, flowId)).toEqual([
      step('primary', 'viber', 'FAILED', null, { send_state: 'failed', send_error: 'unavailable' }),
      step('failover', 'sms', SMS_OK, tracking(to, 'sms')),
    ]);
  });

  it('…08 Viber FAILED, SMS Undelivered: Failed 2', async () => {
    const to = phone('08');
    const { flowId } = await send(failoverRequest(to));
    expect(await finalFlow(t.db, flowId)).toMatchObject({
      status: 'Failed',
      status_code: 2,
      next_check_at: null,
      error: expect.any(String),
    });
    expect(sendsTo(to).map((s) => s.channel)).toEqual(['viber', 'sms']);
    expect(await stepRows(t.db, flowId)).toEqual([
      step('primary', 'viber', 'FAILED', tracking(to, 'viber')),
      step('failover', 'sms', 'Undelivered', tracking(to, 'sms')),
    ]);
  });

  it('…09 Viber UNSENT: Failed 1, no failover', async () => {
    const to = phone('09');
    const { flowId } = await send(failoverRequest(to));
    expect(await finalFlow(t.db, flowId)).toMatchObject({ status: 'Failed', status_code: 1, next_check_at: null });
    await new Promise((r) => setTimeout(r, 300));
    expect(sendsTo(to).map((s) => s.channel)).toEqual(['viber']);
    expect(await stepRows(t.db, flowId)).toEqual([step('primary', 'viber', 'UNSENT', tracking(to, 'viber'))]);
  });
});

describe('failover engine: a primary with no final status after its ttl', () => {
  let t: TestGateway;

  beforeAll(async () => {
    // Routee takes 2 s to report anything: longer than the primary's ttl
    t = await startTestGateway({ env: { REFRESH_INTERVAL_MS: '100' }, sandbox: { statusDelayMs: 2000 } });
  });
  afterAll(() => t.close());

  it('counts as EXPIRED: the SMS failover is sent about ttl seconds after the send', async () => {
    const to = phone('00');
    const started = Date.now();
    const res = await t.http
      .post('/otp/send-failover')
      .set(AUTH)
      .send(failoverRequest(to, { viber: { ttl: 1 } }));
    expect(res.status).toBe(200);
    const flow = await finalFlow(t.db, res.body.flowId);
    expect(flow).toMatchObject({ status: 'Succeeded', status_code: null, next_check_at: null });
    const sends = t.sandbox.state.sends.filter((s) => s.to === to);
    expect(sends.map((s) => s.channel)).toEqual(['viber', 'sms']);
    // fired by the ttl, before Routee reported anything final on the primary (at 2 s)
    const smsAt = Date.parse(sends[1].at) - started;
    expect(smsAt).toBeGreaterThanOrEqual(1000);
    expect(smsAt).toBeLessThan(1800);
    const steps = await stepRows(t.db, res.body.flowId);
    expect(steps.map((s) => [s.role, s.channel, s.send_state])).toEqual([
      ['primary', 'viber', 'sent'],
      ['failover', 'sms', 'sent'],
    ]);
  }, 15_000);
});
