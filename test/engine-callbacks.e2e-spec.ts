import { AUTH, startTestGateway, type TestGateway } from './support/test-gateway';
import { failoverRequest, phone, smsStep, type Json } from './support/factories';
import { finalFlow, flowRow, freePort, stepRows, waitFor } from './support/engine-support';
import { SMS_CALLBACK, VIBER_CALLBACK } from './fixtures/routee-reference';

const TOKEN = 'callback-token-0123456789abcdef';

/**
 * A gateway that listens on a real port and gives Routee (the sandbox) its own
 * URL as PUBLIC_URL, with the worker OFF: whatever happens after the send
 * happens because a delivery report came in.
 */
async function startCallbackGateway(
  statusDelayMs: number,
  { viberReports }: { viberReports: boolean },
): Promise<TestGateway & { url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = await startTestGateway({
    env: { PUBLIC_URL: url, ROUTEE_CALLBACK_TOKEN: TOKEN, WORKER_ENABLED: 'false' },
    sandbox: {
      statusDelayMs,
      seenDelayMs: 100,
      // the Routee application's Viber callback URL (set in Routee's portal: /viber/otp takes no callback per message)
      ...(viberReports && { viberCallbackUrl: `${url}/routee/callbacks/viber?token=${TOKEN}` }),
    },
  });
  await t.gateway.app.listen({ port, host: '127.0.0.1' });
  const close = async () => {
    // Sockets that were busy when the server began closing stay open as idle
    // keep-alives (Fastify keeps them 72 s): stop the reporter, then drop them.
    await t.sandbox.close();
    (t.gateway.app.getHttpServer() as { closeAllConnections(): void }).closeAllConnections();
    await t.db.end();
    await t.gateway.close();
  };
  return { ...t, url, close };
}

const LONG_BODY = `Your code is 482913. ${'This message is long enough to need several SMS parts. '.repeat(6)}`;

describe('Routee callbacks: the sandbox reports, the gateway reacts (worker off)', () => {
  let t: TestGateway & { url: string };

  beforeAll(async () => {
    t = await startCallbackGateway(100, { viberReports: true });
  });
  afterAll(() => t.close());

  const send = async (body: Json) => {
    const res = await t.http.post('/otp/send-failover').set(AUTH).send(body);
    expect(res.status).toBe(200);
    return res.body.flowId as string;
  };

  it('a Viber UNDELIVERED report fires the SMS failover; the SMS reports end the flow Succeeded', async () => {
    const to = phone('02');
    const flowId = await send(failoverRequest(to));
    expect(await finalFlow(t.db, flowId, 5000)).toEqual({
      status: 'Succeeded',
      status_code: null,
      next_check_at: null,
      error: null,
    });
    const sends = t.sandbox.state.sends.filter((s) => s.to === to);
    expect(sends.map((s) => s.channel)).toEqual(['viber', 'sms']);
    // the SMS step keeps following its reports after the flow succeeded (Sent, then Delivered)
    const steps = await waitFor(
      'the SMS step to be Delivered',
      async () => {
        const rows = await stepRows(t.db, flowId);
        return rows[1]?.status === 'Delivered' ? rows : undefined;
      },
      5000,
    );
    expect(steps).toEqual([
      {
        role: 'primary',
        channel: 'viber',
        status: 'UNDELIVERED',
        send_state: 'sent',
        send_error: null,
        tracking_id: sends[0].trackingId,
      },
      {
        role: 'failover',
        channel: 'sms',
        status: 'Delivered',
        send_state: 'sent',
        send_error: null,
        tracking_id: sends[1].trackingId,
      },
    ]);
    expect(t.sandbox.state.stats().callbacksPosted).toBeGreaterThanOrEqual(5);
  });

  it('a SEEN report ends a failoverOnDelivered flow without SMS', async () => {
    const to = phone('04');
    const flowId = await send(failoverRequest(to, { viber: { ttl: 5, failoverOnDelivered: true } }));
    expect(await finalFlow(t.db, flowId, 5000)).toMatchObject({ status: 'Succeeded', status_code: null });
    expect(t.sandbox.state.sends.filter((s) => s.to === to).map((s) => s.channel)).toEqual(['viber']);
    expect((await stepRows(t.db, flowId)).map((s) => s.status)).toEqual(['SEEN']);
  });

  it('a multipart SMS is Delivered once every part is, priced as the sum of its parts', async () => {
    const to = phone('00');
    const flowId = await send({ flow: [smsStep({ to, order: 1, message: { body: LONG_BODY } })] });
    expect(await finalFlow(t.db, flowId, 5000)).toMatchObject({ status: 'Succeeded', status_code: null });
    const step = await waitFor(
      'the SMS to be Delivered',
      async () => {
        const { rows } = await t.db.query('SELECT status, price FROM steps WHERE flow_id = $1', [flowId]);
        return rows[0]?.status === 'Delivered' ? rows[0] : undefined;
      },
      5000,
    );
    expect(step).toEqual({ status: 'Delivered', price: 0.1125 });
  });
});

describe('Routee callbacks: reports posted by hand (Routee reports nothing final for 10 s)', () => {
  let t: TestGateway & { url: string };

  beforeAll(async () => {
    // no Viber reports from the sandbox: its QUEUED report could race the ones these tests post by hand
    t = await startCallbackGateway(10_000, { viberReports: false });
  });
  afterAll(() => t.close());

  const send = async (body: Json) => {
    const res = await t.http.post('/otp/send-failover').set(AUTH).send(body);
    expect(res.status).toBe(200);
    return res.body as { flowId: string; flow: { trackingId: string | null }[] };
  };
  const post = (channel: string, body: unknown, token: string | null = TOKEN) =>
    t.http
      .post(`/routee/callbacks/${channel}${token === null ? '' : `?token=${encodeURIComponent(token)}`}`)
      .send(body as object);
  /** what a Viber report left on the step besides its status */
  const reportDetails = async (trackingId: string) =>
    (
      await t.db.query('SELECT detailed_status, error_message, price, country FROM steps WHERE tracking_id = $1', [
        trackingId,
      ])
    ).rows;
  const NOT_VIBER_USER = [
    { detailed_status: 'Not Viber User', error_message: 'The recipient is not a Viber user.', price: 0, country: 'GR' },
  ];
  const viberReport = (trackingId: string, name: string) => ({
    trackingId,
    to: '+306912345600',
    status: {
      name,
      reason: { detailedStatus: 'Not Viber User', description: 'The recipient is not a Viber user.' },
      updatedDate: new Date().toISOString(),
    },
    price: 0,
    country: 'GR',
  });

  it('refuses a missing or wrong token with 401 and applies nothing', async () => {
    const sent = await send(failoverRequest(phone('00')));
    const report = viberReport(sent.flow[0].trackingId!, 'UNDELIVERED');
    for (const token of [null, '', 'wrong-token', `${TOKEN}x`]) {
      const res = await post('viber', report, token);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ detail: 'invalid callback token' });
    }
    expect((await stepRows(t.db, sent.flowId)).map((s) => s.status)).toEqual(['QUEUED']);
  });

  it('fires the due failover inside the callback request', async () => {
    const to = phone('00');
    const sent = await send(failoverRequest(to));
    const res = await post('viber', viberReport(sent.flow[0].trackingId!, 'UNDELIVERED'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ result: 'applied' });
    // no waiting: the SMS went out before the answer
    const smsSends = t.sandbox.state.sends.filter((s) => s.to === to && s.channel === 'sms');
    expect(smsSends).toHaveLength(1);
    expect(await stepRows(t.db, sent.flowId)).toEqual([
      {
        role: 'primary',
        channel: 'viber',
        status: 'UNDELIVERED',
        send_state: 'sent',
        send_error: null,
        tracking_id: sent.flow[0].trackingId,
      },
      {
        role: 'failover',
        channel: 'sms',
        status: 'Queued',
        send_state: 'sent',
        send_error: null,
        tracking_id: smsSends[0].trackingId,
      },
    ]);
    expect(await flowRow(t.db, sent.flowId)).toMatchObject({ status: 'InProgress', status_code: null });
    expect(await reportDetails(sent.flow[0].trackingId!)).toEqual(NOT_VIBER_USER);
  });

  it("takes Routee's Viber callback body as its reference page documents it (docs: viber-callback)", async () => {
    const to = phone('00');
    const sent = await send(failoverRequest(to));
    const res = await post('viber', { ...VIBER_CALLBACK, trackingId: sent.flow[0].trackingId, to: `+${to}` });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ result: 'applied' });
    expect((await stepRows(t.db, sent.flowId)).map((s) => [s.role, s.status])).toEqual([
      ['primary', 'UNDELIVERED'],
      ['failover', 'Queued'],
    ]);
    expect(await reportDetails(sent.flow[0].trackingId!)).toEqual(NOT_VIBER_USER);
  });

  it("takes Routee's SMS callback body as its reference page documents it (docs: callbacks)", async () => {
    const to = phone('00');
    const sent = await send({ flow: [smsStep({ to, order: 1 })] });
    const res = await post('sms', { ...SMS_CALLBACK, messageId: sent.flow[0].trackingId, to: `+${to}` });
    expect(res.body).toEqual({ result: 'applied' });
    expect(await flowRow(t.db, sent.flowId)).toMatchObject({ status: 'Succeeded', status_code: null });
  });

  it('the same report again, and concurrent repeats, change nothing and send nothing more', async () => {
    const to = phone('00');
    const sent = await send(failoverRequest(to));
    const report = viberReport(sent.flow[0].trackingId!, 'UNDELIVERED');
    const answers = await Promise.all(Array.from({ length: 10 }, () => post('viber', report)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(answers.filter((a) => a.body.result === 'applied')).toHaveLength(1);
    expect((await post('viber', report)).body).toEqual({ result: 'unchanged' });
    expect(t.sandbox.state.sends.filter((s) => s.to === to && s.channel === 'sms')).toHaveLength(1);
    const { rows } = await t.db.query("SELECT count(*)::int AS n FROM steps WHERE flow_id = $1 AND role = 'failover'", [
      sent.flowId,
    ]);
    expect(rows[0].n).toBe(1);
  });

  it('answers 200 and ignores a report for an unknown trackingId', async () => {
    expect((await post('viber', viberReport('00000000-0000-0000-0000-000000000000', 'DELIVERED'))).body).toEqual({
      result: 'ignored',
    });
    const sms = {
      messageId: 'no-such-message',
      part: 1,
      parts: 1,
      status: { name: 'Delivered', updatedDate: new Date().toISOString() },
    };
    const res = await post('sms', sms);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ result: 'ignored' });
    expect((await post('sms', { ...sms, parts: 2 })).body).toEqual({ result: 'ignored' });
  });

  it('refuses what is not a delivery report with 422', async () => {
    const res = await post('viber', { hello: 'world' });
    expect(res.status).toBe(422);
    expect(res.body.detail[0].loc).toEqual(['body', 'trackingId']);
    expect((await post('sms', { messageId: 'x' })).status).toBe(422);
    expect((await post('sms', [1, 2])).status).toBe(422);
  });

  it('applies a one-part SMS report as is', async () => {
    const to = phone('00');
    const sent = await send({ flow: [smsStep({ to, order: 1 })] });
    const messageId = sent.flow[0].trackingId!;
    const res = await post('sms', {
      messageId,
      smsId: 'p1',
      part: 1,
      parts: 1,
      to: `+${to}`,
      status: {
        name: 'Delivered',
        reason: { detailedStatus: 'Delivered', description: 'Delivered to handset' },
        updatedDate: new Date().toISOString(),
      },
      price: 0.0375,
      latency: 2,
      country: 'GR',
      operator: 'Cosmote',
    });
    expect(res.body).toEqual({ result: 'applied' });
    expect(await flowRow(t.db, sent.flowId)).toMatchObject({ status: 'Succeeded', next_check_at: null });
    const { rows } = await t.db.query('SELECT status, price, latency_ms, operator FROM steps WHERE tracking_id = $1', [
      messageId,
    ]);
    expect(rows).toEqual([{ status: 'Delivered', price: 0.0375, latency_ms: 2000, operator: 'Cosmote' }]);
  });

  it("a multipart SMS part's Delivered does not deliver the message: it is re-read from Routee, where the parts are still on their way", async () => {
    const to = phone('00');
    const sent = await send({ flow: [smsStep({ to, order: 1, message: { body: LONG_BODY } })] });
    const messageId = sent.flow[0].trackingId!;
    const res = await post('sms', {
      messageId,
      smsId: 'p1',
      part: 1,
      parts: 3,
      status: { name: 'Delivered', updatedDate: new Date().toISOString() },
      price: 0.0375,
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ result: 'refreshed' });
    const { rows } = await t.db.query('SELECT status, delivered_at FROM steps WHERE tracking_id = $1', [messageId]);
    expect(rows).toEqual([{ status: 'Queued', delivered_at: null }]);
    expect(await flowRow(t.db, sent.flowId)).toMatchObject({ status: 'InProgress' });
  });
});
