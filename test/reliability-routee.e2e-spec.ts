import { ROUTEE_CLIENT } from '@app/engine';
import { RouteeClient, RouteeError } from '@app/routee';
import { startSandbox, type RunningSandbox } from '@app/routee-sandbox/sandbox';
import { AUTH, resetTables, startTestGateway, type TestGateway } from './support/test-gateway';
import { failoverRequest, phone, viberOtpSendRequest, viberStep, type Json } from './support/factories';
import { finalFlow, flowRow, sleep, stepRows, waitFor } from './support/engine-support';

/**
 * Issue 7, point 2: Routee faults. The sandbox's fault modes (503 bursts,
 * answers that never come, resets before and after a send was taken, slow
 * answers, revoked tokens) against the Routee client alone, then against the
 * whole gateway: retries of what is safe, the circuit breaker, queued sends
 * that go out after recovery, and never a message sent twice.
 */

const viber = (to: string) => viberOtpSendRequest({ to });

const kindOf = (err: unknown) => (err instanceof RouteeError ? err.kind : String(err));

describe('Routee client under sandbox faults', () => {
  let sandbox: RunningSandbox;
  let client: RouteeClient;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, statusDelayMs: 100 });
  });
  afterAll(() => sandbox.close());
  beforeEach(() => {
    sandbox.state.reset();
    client = new RouteeClient({
      authUrl: sandbox.url,
      apiUrl: sandbox.url,
      appId: sandbox.appId,
      appSecret: sandbox.appSecret,
      requestTimeoutMs: 600,
      retryBaseDelayMs: 20,
      circuitFailureThreshold: 4,
      circuitOpenMs: 400,
    });
  });
  afterEach(() => client.close());

  it('a 503 burst shorter than the retries: the send goes through once', async () => {
    await client.getViberTracking('warm-up').catch(() => undefined); // token fetched outside the burst
    sandbox.state.setFaults({ unavailableCount: 2, scope: 'send' });
    const result = await client.sendViberOtp(viber(phone()));
    expect(result.trackingId).toEqual(expect.any(String));
    const stats = sandbox.state.stats();
    expect(stats.faulted.unavailable).toBe(2);
    expect(stats.counts.viber).toBe(1);
  });

  it('a 503 burst longer than the retries: server_error after 3 attempts, nothing taken', async () => {
    sandbox.state.setFaults({ unavailableCount: 10, scope: 'send' });
    await expect(
      client.sendSms({ from: 'Acme', to: phone(), body: 'code 1234', ttlSeconds: 60 }),
    ).rejects.toMatchObject({ kind: 'server_error', httpStatus: 503 });
    expect(sandbox.state.stats().faulted.unavailable).toBe(3);
    expect(sandbox.state.stats().counts.sms).toBe(0);
  });

  it('a reset after Routee took the send: unknown_outcome, never repeated', async () => {
    sandbox.state.setFaults({ resetCount: 1, resetWhen: 'after', scope: 'send' });
    const err = await client.sendViberOtp(viber(phone())).catch((e: unknown) => e);
    expect(kindOf(err)).toBe('unknown_outcome');
    const stats = sandbox.state.stats();
    expect(stats.faulted.reset_after).toBe(1);
    expect(stats.attempts.viber).toBe(1); // one request, no retry
    expect(stats.counts.viber).toBe(1); // and Routee has the message
  });

  it('an answer that never comes to a send: unknown_outcome after the request timeout, not repeated', async () => {
    sandbox.state.setFaults({ hangCount: 1, scope: 'send' });
    const started = Date.now();
    const err = await client.sendViberOtp(viber(phone())).catch((e: unknown) => e);
    expect(kindOf(err)).toBe('unknown_outcome');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(sandbox.state.stats().faulted.hang).toBe(1);
    expect(sandbox.state.stats().attempts.viber).toBe(0);
  });

  it('a read whose answer was lost is repeated; a slow answer within the timeout is just slow', async () => {
    const sent = await client.sendViberOtp(viber(phone()));
    sandbox.state.setFaults({ resetCount: 1, resetWhen: 'before', scope: 'tracking' });
    await expect(client.getViberTracking(sent.trackingId)).resolves.toMatchObject({ trackingId: sent.trackingId });
    expect(sandbox.state.stats().faulted.reset_before).toBe(1);
    sandbox.state.setFaults({ latencyMs: 300 });
    const started = Date.now();
    await expect(client.getViberTracking(sent.trackingId)).resolves.toMatchObject({ trackingId: sent.trackingId });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('the Viber circuit opens after 4 failed attempts, refuses without calling Routee, lets one probe through and closes; SMS has its own', async () => {
    await client.getViberTracking('warm-up').catch(() => undefined);
    const before = sandbox.state.stats().requests;
    sandbox.state.setFaults({ unavailableForMs: 60_000, scope: 'send' });
    await expect(client.sendViberOtp(viber(phone()))).rejects.toMatchObject({ kind: 'server_error' }); // 3 attempts
    expect(client.circuitState('viber')).toBe('closed');
    await expect(client.sendViberOtp(viber(phone()))).rejects.toMatchObject({ kind: 'circuit_open' }); // the 4th attempt opens it, no 5th
    expect(client.circuitState('viber')).toBe('open');
    const requests = sandbox.state.stats().requests;
    expect(requests - before).toBe(4);
    for (let i = 0; i < 20; i++)
      await expect(client.sendViberOtp(viber(phone()))).rejects.toMatchObject({ kind: 'circuit_open' });
    await expect(client.getViberTracking('any')).rejects.toMatchObject({ kind: 'circuit_open' });
    expect(sandbox.state.stats().requests).toBe(requests); // nothing reached Routee
    expect(client.isAvailable('sms')).toBe(true); // a Viber outage leaves SMS alone
    await expect(client.getSmsTracking('unknown')).rejects.toMatchObject({ kind: 'not_found' });
    const requestsAfterSms = sandbox.state.stats().requests;

    await sleep(450);
    expect(client.circuitState('viber')).toBe('half_open');
    await expect(client.sendViberOtp(viber(phone()))).rejects.toMatchObject({ kind: 'circuit_open' }); // the probe failed (503): open again
    expect(sandbox.state.stats().requests).toBe(requestsAfterSms + 1);
    expect(client.circuitState('viber')).toBe('open');

    sandbox.state.setFaults({ unavailableForMs: 0 });
    await sleep(450);
    await expect(client.sendViberOtp(viber(phone()))).resolves.toMatchObject({ trackingId: expect.any(String) });
    expect(client.circuitState('viber')).toBe('closed');
  });

  it('tokens revoked mid-run: 20 concurrent calls refresh the token once', async () => {
    await client.sendViberOtp(viber(phone()));
    const before = sandbox.state.tokensIssued;
    sandbox.state.setFaults({ revokeTokens: true });
    const results = await Promise.all(Array.from({ length: 20 }, () => client.sendViberOtp(viber(phone()))));
    expect(results).toHaveLength(20);
    expect(sandbox.state.tokensIssued).toBe(before + 1);
  });
});

describe('the gateway under Routee faults', () => {
  let t: TestGateway;
  let routee: RouteeClient;
  const OPEN_MS = 800;

  beforeAll(async () => {
    t = await startTestGateway({
      env: {
        REFRESH_INTERVAL_MS: '100',
        ROUTEE_REQUEST_TIMEOUT_MS: '700',
        ROUTEE_CIRCUIT_THRESHOLD: '3',
        ROUTEE_CIRCUIT_OPEN_MS: String(OPEN_MS),
        ROUTEE_OUTAGE_QUEUE_MS: '30000',
        SEND_CLAIM_MS: '2000',
      },
      sandbox: { statusDelayMs: 100, seenDelayMs: 50 },
    });
    routee = t.gateway.app.get(ROUTEE_CLIENT);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    t.sandbox.state.reset();
    await resetTables(t.db); // a failed test leaves no queued flow behind
    await waitFor(
      'the circuit to close',
      async () => {
        if (routee.circuitState('viber') === 'half_open') await routee.getViberTracking('probe').catch(() => undefined);
        if (routee.circuitState('sms') === 'half_open') await routee.getSmsTracking('probe').catch(() => undefined);
        return routee.circuitState('viber') === 'closed' && routee.circuitState('sms') === 'closed';
      },
      5000,
    );
  });

  const send = async (body: Json) => {
    const started = Date.now();
    const res = await t.http.post('/otp/send-failover').set(AUTH).send(body);
    expect(res.status).toBe(200);
    return {
      ...(res.body as { flowId: string; status: string; statusCode: number | null; type: string | null }),
      ms: Date.now() - started,
    };
  };
  /** every number got at most one message per channel */
  const expectNoDuplicateSend = () => {
    const seen = new Set<string>();
    for (const s of t.sandbox.state.sends) {
      const key = `${s.channel} ${s.to}`;
      expect(seen.has(key) ? key : undefined).toBeUndefined();
      seen.add(key);
    }
  };

  it('a 503 burst absorbed by the retries: every flow Succeeded on Viber, no SMS, nothing sent twice', async () => {
    const phones = Array.from({ length: 10 }, () => phone('44'));
    t.sandbox.state.setFaults({ unavailableCount: 2, scope: 'send' });
    const flows = await Promise.all(phones.map((to) => send(failoverRequest(to))));
    for (const f of flows) expect(f).toMatchObject({ status: 'InProgress', statusCode: null, type: 'Viber' });
    for (const f of flows)
      expect(await finalFlow(t.db, f.flowId)).toMatchObject({ status: 'Succeeded', status_code: null });
    expect(t.sandbox.state.stats().faulted.unavailable).toBe(2);
    expect(t.sandbox.state.stats().counts).toEqual({ viber: 10, sms: 0 });
    expectNoDuplicateSend();
  });

  it('Routee down: the circuits open, sends are queued without calling Routee, and go out once after recovery', async () => {
    await routee.getViberTracking('warm-up').catch(() => undefined); // a token in hand: the token endpoint's own circuit stays out of this
    t.sandbox.state.setFaults({ unavailableForMs: 60_000 });
    // the first flow finds Routee down: its Viber send fails after 3 attempts (the Viber circuit opens) and it fails
    // over at once, as SMS is not known to be down; the SMS send fails its 3 attempts too, opens that circuit and is queued
    const openedAt = Date.now(); // both circuits open after this
    const first = await send(failoverRequest(phone('44')));
    expect(routee.isAvailable('viber')).toBe(false);
    expect(routee.isAvailable('sms')).toBe(false);
    expect(first).toMatchObject({ status: 'InProgress', statusCode: null, type: null });
    const requestsWhenOpened = t.sandbox.state.stats().requests;
    /** half-open probes: at most one request per circuit (Viber, SMS) per open period */
    const probesAllowed = () => 2 * Math.floor((Date.now() - openedAt) / OPEN_MS);

    // while open: sends answer at once, nothing reaches Routee, flows stay InProgress with their primary queued
    const queued = [];
    for (let i = 0; i < 8; i++) queued.push(await send(failoverRequest(phone('44'))));
    for (const f of queued) {
      expect(f).toMatchObject({ status: 'InProgress', statusCode: null, type: null });
      expect(f.ms).toBeLessThan(1000); // a closed circuit would take 3 attempts with backoff, then the SMS's
    }
    const tracked = await t.http.get(`/otp/failover/${queued[0].flowId}`).set(AUTH);
    expect(tracked.status).toBe(200);
    expect(tracked.body).toMatchObject({
      status: 'InProgress',
      statusCode: null,
      steps: [{ role: 'primary', status: 'QUEUED', channel: 'viber' }],
    });
    expect(tracked.body.steps[0].error_message).toBeUndefined();
    expect(await stepRows(t.db, queued[0].flowId)).toEqual([
      expect.objectContaining({ role: 'primary', send_state: 'queued', tracking_id: null }),
    ]);
    expect(t.sandbox.state.stats().requests - requestsWhenOpened).toBeLessThanOrEqual(probesAllowed());

    // the probes fail while Routee is still down, and each opens the circuit again
    await sleep(2 * OPEN_MS + 200);
    expect(t.sandbox.state.stats().requests - requestsWhenOpened).toBeLessThanOrEqual(probesAllowed());
    expect(t.sandbox.state.stats().counts).toEqual({ viber: 0, sms: 0 });

    // recovery: the next probe closes the circuit and the worker sends every queued step once
    t.sandbox.state.setFaults({ unavailableForMs: 0 });
    await waitFor(
      'the circuits to close',
      async () => routee.circuitState('viber') === 'closed' && routee.circuitState('sms') === 'closed',
      5000,
    );
    expect(await finalFlow(t.db, first.flowId, 15_000)).toMatchObject({ status: 'Succeeded', status_code: null });
    expect(
      (await stepRows(t.db, first.flowId)).map((s) => `${s.role} ${s.channel} ${s.send_state} ${s.send_error}`),
    ).toEqual(['primary viber failed unavailable', 'failover sms sent null']);
    // a queued primary goes out on Viber, or, when the SMS circuit closed first and Viber's was still being probed, fails over to SMS
    for (const f of queued) {
      expect(await finalFlow(t.db, f.flowId, 15_000)).toMatchObject({ status: 'Succeeded', status_code: null });
      expect([['primary viber sent'], ['primary viber failed', 'failover sms sent']]).toContainEqual(
        (await stepRows(t.db, f.flowId)).map((s) => `${s.role} ${s.channel} ${s.send_state}`),
      );
    }
    const { counts } = t.sandbox.state.stats();
    expect(counts.viber + counts.sms).toBe(1 + queued.length); // one message per flow
    expectNoDuplicateSend();
  }, 30_000);

  it('Viber down, SMS up: once the Viber circuit is open, primaries fail over to SMS at once without calling Viber', async () => {
    // a Viber-only outage: the sandbox's …07 scenario answers the Viber send 503 and delivers the SMS
    const flows = [];
    const started = Date.now();
    for (let i = 0; i < 6; i++) flows.push(await send(failoverRequest(phone('07'))));
    const elapsed = Date.now() - started;
    expect(routee.isAvailable('viber')).toBe(false);
    expect(routee.isAvailable('sms')).toBe(true);
    for (const f of flows) {
      expect(f).toMatchObject({ status: 'InProgress', type: 'Sms' });
      expect(await finalFlow(t.db, f.flowId)).toMatchObject({ status: 'Succeeded', status_code: null });
    }
    const viberAttempts = t.sandbox.state.attempts.filter((a) => a.channel === 'viber').length;
    // the first flow's 3 attempts opened the Viber circuit; after that only a probe per open period reaches Viber
    expect(viberAttempts).toBeLessThanOrEqual(3 + Math.ceil(elapsed / OPEN_MS));
    expect(viberAttempts).toBeLessThan(3 * 6);
    expect(t.sandbox.state.stats().counts).toEqual({ viber: 0, sms: 6 });
    expectNoDuplicateSend();
  });

  it('a reset after Routee took the Viber send: not repeated, the SMS failover goes out at once (the code may arrive twice, on two channels)', async () => {
    const to = phone('44');
    t.sandbox.state.setFaults({ resetCount: 1, resetWhen: 'after', scope: 'send' });
    const f = await send(failoverRequest(to));
    expect(f).toMatchObject({ status: 'InProgress', statusCode: null, type: 'Sms' });
    expect(await finalFlow(t.db, f.flowId)).toMatchObject({ status: 'Succeeded', status_code: null });
    expect(
      (await stepRows(t.db, f.flowId)).map((s) => `${s.role} ${s.channel} ${s.send_state} ${s.send_error}`),
    ).toEqual(['primary viber failed unavailable', 'failover sms sent null']);
    expect(t.sandbox.state.sends.map((s) => s.channel)).toEqual(['viber', 'sms']); // Routee took the Viber message once
    expect(t.sandbox.state.attempts.filter((a) => a.channel === 'viber')).toHaveLength(1);
  });

  it('a reset on a single-step flow: Failed with statusCode 0 at once, the send not repeated', async () => {
    t.sandbox.state.setFaults({ resetCount: 1, resetWhen: 'after', scope: 'send' });
    const f = await send({ flow: [viberStep({ to: phone('44') })] });
    expect(f).toMatchObject({ status: 'Failed', statusCode: 0, type: null });
    expect(t.sandbox.state.stats().counts).toEqual({ viber: 1, sms: 0 });
  });

  it('tokens revoked mid-run: sends and polling carry on with one new token', async () => {
    const flows = await Promise.all(Array.from({ length: 5 }, () => send(failoverRequest(phone('44')))));
    const before = t.sandbox.state.tokensIssued;
    t.sandbox.state.setFaults({ revokeTokens: true });
    flows.push(...(await Promise.all(Array.from({ length: 10 }, () => send(failoverRequest(phone('44')))))));
    for (const f of flows) expect(await finalFlow(t.db, f.flowId)).toMatchObject({ status: 'Succeeded' });
    expect(t.sandbox.state.tokensIssued).toBe(before + 1);
    expect(t.sandbox.state.stats().counts).toEqual({ viber: 15, sms: 0 });
  });

  it('tracking while Routee hangs answers the stored story within its budget', async () => {
    const f = await send(failoverRequest(phone('44')));
    t.sandbox.state.setFaults({ hangForMs: 60_000, scope: 'tracking' });
    const started = Date.now();
    const res = await t.http.get(`/otp/failover/${f.flowId}`).set(AUTH);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000); // the 1 s budget, not the 60 s hang
    t.sandbox.state.setFaults({ hangForMs: 0 });
    expect(await finalFlow(t.db, f.flowId)).toMatchObject({ status: 'Succeeded' });
  });
});

describe('the gateway when Routee stays down past ROUTEE_OUTAGE_QUEUE_MS', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({
      env: {
        REFRESH_INTERVAL_MS: '100',
        ROUTEE_CIRCUIT_THRESHOLD: '2',
        ROUTEE_CIRCUIT_OPEN_MS: '300',
        ROUTEE_OUTAGE_QUEUE_MS: '1500',
      },
      sandbox: { statusDelayMs: 100 },
    });
  });
  afterAll(() => t.close());

  it('the queued flow ends Failed with statusCode 0 once the queue time is used up, and nothing was sent', async () => {
    t.sandbox.state.setFaults({ unavailableForMs: 60_000 });
    const res = await t.http
      .post('/otp/send-failover')
      .set(AUTH)
      .send(failoverRequest(phone('44')));
    expect(res.status).toBe(200);
    const row = await finalFlow(t.db, res.body.flowId, 8000);
    expect(row).toMatchObject({ status: 'Failed', status_code: 0 });
    expect((await stepRows(t.db, res.body.flowId)).map((s) => `${s.role} ${s.send_state} ${s.send_error}`)).toEqual([
      'primary failed unavailable',
      'failover failed unavailable',
    ]);
    expect(t.sandbox.state.stats().counts).toEqual({ viber: 0, sms: 0 });
    expect(await flowRow(t.db, res.body.flowId)).toMatchObject({ next_check_at: null });
  }, 15_000);
});
