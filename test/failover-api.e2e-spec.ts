import { AUTH, startTestGateway, type TestGateway } from './support/test-gateway';
import { failoverRequest, phone, type Json } from './support/factories';

/** Routee's Failover API (CONTRACT section 10): POST /failover and GET /failover/tracking/{trackingId}, real HTTP. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** a value that is null or of this type (the tracking object's unknowns are null) */
function nullOr(type: 'string' | 'number') {
  return {
    asymmetricMatch: (value: unknown) => value === null || typeof value === type,
    toString: () => `null or a ${type}`,
    toAsymmetricMatcher: () => `null or a ${type}`,
  };
}

/** Failover API step bodies, with overrides (seed 004's shapes) */
function sms(to: string, overrides: Json = {}): Json {
  return {
    type: 'Sms',
    from: 'senderId',
    to: `+${to}`,
    ttl: 30,
    message: { body: 'The sms message to be sent', flash: true, label: 'string', transcode: true },
    order: 1,
    failoverOnStatuses: ['FAILED', 'UNDELIVERED'],
    ...overrides,
  };
}

function voice(to: string, overrides: Json = {}): Json {
  return {
    type: 'Voice',
    from: 'ASenderId',
    to: { phone: `+${to}`, viber: '', sip: '' },
    dialPlan: {
      verbs: [
        {
          type: 'PLAY',
          repeat: 2,
          fileURL: 'http://www.externalharddrive.com/waves/animal/monkey.wav',
          bargeIn: false,
        },
        {
          type: 'SAY',
          repeat: 3,
          bargeIn: false,
          message: { language: 'en-US', gender: 'female', text: 'Failover Voice Dialplan' },
        },
      ],
    },
    machineDetection: { strategy: 'Hangup' },
    order: 2,
    failoverOnStatuses: ['Busy', 'NoAnswer'],
    ...overrides,
  };
}

function viber(to: string, overrides: Json = {}): Json {
  return {
    type: 'Viber',
    senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
    to: `+${to}`,
    inboundUrl: 'https://inbound.example.com',
    ttl: 30,
    expireOnDelivery: false,
    message: {
      text: 'string',
      imageUrl: 'https://image.example.com/a.png',
      action: { caption: 'Go', targetUrl: 'https://www.routee.net/' },
    },
    order: 3,
    failoverOnStatuses: ['EXPIRED', 'FAILED', 'UNDELIVERED'],
    ...overrides,
  };
}

/** Sms (undelivered) → Voice (busy) → Viber (delivered) */
function threeSteps(): Json {
  return { flow: [sms(phone('08')), voice(phone('02')), viber(phone('04'))] };
}

describe('Failover API', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());
  beforeEach(() => t.sandbox.state.reset());

  const send = (body: unknown, headers: Record<string, string> = AUTH) =>
    t.http
      .post('/failover')
      .set(headers)
      .send(body as object);
  const track = (id: string, headers: Record<string, string> = AUTH) =>
    t.http.get(`/failover/tracking/${encodeURIComponent(id)}`).set(headers);

  /** polls the tracking GET until `done` holds (or the time is up) */
  async function trackUntil(id: string, done: (body: Json) => boolean, timeoutMs = 8000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await track(id);
      if (res.status === 200 && done(res.body)) return res.body;
      if (Date.now() > deadline) return res.body;
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  describe("auth: Routee's platform body", () => {
    it.each<[string, Record<string, string>, number, Json]>([
      ['no header', {}, 403, { code: '403000000', developerMessage: 'Missing Bearer credentials' }],
      [
        'not Bearer',
        { Authorization: 'Basic dXNlcjpwdw==' },
        403,
        { code: '403000000', developerMessage: 'Missing Bearer credentials' },
      ],
      [
        'an unknown key',
        { Authorization: 'Bearer nope' },
        401,
        { code: '401000000', developerMessage: 'Invalid or expired Bearer token' },
      ],
    ])('POST /failover with %s', async (_what, headers, status, body) => {
      const res = await send(threeSteps(), headers);
      expect(res.status).toBe(status);
      expect(res.body).toEqual(body);
      expect(t.sandbox.state.sends).toHaveLength(0);
    });

    it('GET /failover/tracking/{id} without a key', async () => {
      const res = await track('30830fad-21ed-49b0-89d0-bbada2fd5640', {});
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ code: '403000000', developerMessage: 'Missing Bearer credentials' });
    });
  });

  describe('POST /failover', () => {
    it('a three-step send answers 200 with the tracking object, step 1 handed to Routee and in progress', async () => {
      const body = threeSteps();
      const smsTo = (body.flow as Json[])[0].to as string;
      const res = await send({ ...body, callback: { strategy: 'OnStep', url: 'https://hooks.example.com/failover' } });
      expect(res.status).toBe(200);
      const sent = t.sandbox.state.sends;
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ channel: 'sms', to: smsTo.slice(1), body: 'The sms message to be sent' });
      expect(res.body).toEqual({
        trackingId: expect.stringMatching(UUID),
        messages: [
          {
            type: 'Sms',
            messageId: sent[0].trackingId,
            smsId: sent[0].trackingId,
            order: 1,
            failoverOnStatuses: ['FAILED', 'UNDELIVERED'],
            createdAt: expect.stringMatching(ISO),
            to: smsTo,
            from: 'senderId',
            country: nullOr('string'),
            status: {
              name: expect.any(String),
              reason: { detailedStatus: nullOr('string'), description: nullOr('string') },
              updatedDate: expect.stringMatching(ISO),
            },
            price: nullOr('number'),
            body: 'The sms message to be sent',
            operator: nullOr('string'),
            label: 'string',
            ttl: 30,
            part: 1,
            parts: 1,
            latency: nullOr('number'),
          },
        ],
        terminationChannel: null,
        status: 'InProgress',
        statusCode: null,
        totalPrice: expect.any(Number),
        originatingService: 'Failover',
        applicationId: 'env:1',
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
      });
      expect(['Queued', 'Sent']).toContain(res.body.messages[0].status.name);

      // the database: a failover flow, the definition normalised (ttl in seconds, to as digits, per-channel fields kept)
      const { rows } = await t.db.query(
        'SELECT kind, callback_strategy, callback_url, api_key_id, definition FROM flows WHERE id = $1',
        [res.body.trackingId],
      );
      expect(rows).toEqual([
        {
          kind: 'failover',
          callback_strategy: 'OnStep',
          callback_url: 'https://hooks.example.com/failover',
          api_key_id: 'env:1',
          definition: [
            expect.objectContaining({
              type: 'Sms',
              order: 1,
              ttl: 1800,
              to: smsTo.slice(1),
              label: 'string',
              failoverOnStatuses: ['FAILED', 'UNDELIVERED'],
              from: 'senderId',
              message: { body: 'The sms message to be sent', flash: true, transcode: true },
            }),
            expect.objectContaining({
              type: 'Voice',
              order: 2,
              to: ((body.flow as Json[])[1].to as { phone: string }).phone.slice(1),
              address: (body.flow as Json[])[1].to,
              failoverOnStatuses: ['Busy', 'NoAnswer'],
              machineDetection: { strategy: 'Hangup' },
            }),
            expect.objectContaining({
              type: 'Viber',
              order: 3,
              ttl: 1800,
              expireOnDelivery: false,
              senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
            }),
          ],
        },
      ]);
    });

    it('sorts the steps by order and fills in the defaults (ttl, failoverOnStatuses, expireOnDelivery), type in any case', async () => {
      const viberTo = phone('04');
      const smsTo = phone('00');
      const res = await send({
        flow: [
          { type: 'sms', from: 'Acme', to: smsTo, order: 7, message: { body: 'hi' } },
          { type: 'VIBER', senderInfoTrackingId: 'sender-1', to: `+${viberTo}`, order: 3, message: { text: 'hello' } },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body.messages).toHaveLength(1);
      expect(res.body.messages[0]).toMatchObject({
        type: 'Viber',
        order: 3,
        ttl: 10,
        expireOnDelivery: false,
        expiredOnDeliveryAt: null,
        failoverOnStatuses: ['Expired', 'Failed', 'Undelivered'],
        to: `+${viberTo}`,
        body: { text: 'hello' },
        inboundUrl: null,
        label: null,
      });
      const { rows } = await t.db.query('SELECT definition FROM flows WHERE id = $1', [res.body.trackingId]);
      expect(rows[0].definition[1]).toMatchObject({
        type: 'Sms',
        order: 7,
        ttl: 1200 * 60,
        to: smsTo,
        failoverOnStatuses: ['Undelivered', 'Failed'],
      });
    });

    it('runs the flow on: Sms Undelivered → Voice Busy → Viber delivered, Succeeded on Viber', async () => {
      const res = await send(threeSteps());
      expect(res.status).toBe(200);
      const done = await trackUntil(
        res.body.trackingId,
        (b) => b.status === 'Succeeded' || b.status === 'Failed',
        15000,
      );
      expect(done).toMatchObject({
        status: 'Succeeded',
        statusCode: null,
        terminationChannel: 'Viber',
        messages: [
          { type: 'Sms', order: 1, status: { name: 'Undelivered' } },
          { type: 'Voice', order: 2, status: { name: 'Busy' } },
          { type: 'Viber', order: 3 },
        ],
      });
    }, 30000);
  });

  describe('first steps on each channel', () => {
    it('a Viber first step: handed to Routee, in progress', async () => {
      const to = phone('04');
      const res = await send({ flow: [viber(to, { order: 1 }), sms(phone('00'), { order: 2 })] });
      expect(res.status).toBe(200);
      expect(t.sandbox.state.sends).toEqual([expect.objectContaining({ channel: 'viber', to, text: 'string' })]);
      expect(res.body).toMatchObject({
        status: 'InProgress',
        messages: [
          {
            type: 'Viber',
            trackingId: t.sandbox.state.sends[0].trackingId,
            to: `+${to}`,
            from: '0094d198-4dd2-4fb5-b451-d46aca191b27',
            ttl: 30,
            body: {
              text: 'string',
              imageUrl: 'https://image.example.com/a.png',
              action: { caption: 'Go', targetUrl: 'https://www.routee.net/' },
            },
            inboundUrl: 'https://inbound.example.com',
            expireOnDelivery: false,
            expiredOnDeliveryAt: null,
          },
        ],
      });
    });

    it("a Voice first step answered: Succeeded on Voice, tracked by the conversation's id and the call's", async () => {
      const to = phone('01');
      const res = await send({ flow: [voice(to, { order: 1 }), sms(phone('00'), { order: 2 })] });
      expect(res.status).toBe(200);
      expect(res.body.messages[0]).toMatchObject({ type: 'Voice', to: `+${to}`, from: 'ASenderId', label: null });
      const conversation = res.body.messages[0].conversationTrackingId as string;
      expect(conversation).toEqual(expect.any(String));
      const done = await trackUntil(conversation, (b) => b.status === 'Succeeded' || b.status === 'Failed');
      expect(done).toMatchObject({
        trackingId: res.body.trackingId,
        status: 'Succeeded',
        terminationChannel: 'Voice',
        messages: [{ type: 'Voice', status: { name: 'Completed' }, duration: expect.any(Number) }],
      });
      expect(done.messages).toHaveLength(1);
      // the call's own id (its messageId) finds the flow too
      const callId = (done.messages as Json[])[0].messageId as string;
      expect(callId).toEqual(expect.any(String));
      const byCall = await track(callId);
      expect(byCall.status).toBe(200);
      expect(byCall.body.trackingId).toBe(res.body.trackingId);
    });

    it('insufficient balance on step 1: 200, Failed with statusCode "1", nothing further sent', async () => {
      const res = await send({ flow: [sms(phone('05')), viber(phone('00'), { order: 2 })] });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'Failed', statusCode: '1', terminationChannel: 'Sms' });
      expect(res.body.messages).toHaveLength(1);
      expect(t.sandbox.state.sends).toHaveLength(0);
    });
  });

  describe('GET /failover/tracking/{trackingId}', () => {
    it("answers the same object by the flow's trackingId and by a message's id", async () => {
      const sent = await send({ flow: [sms(phone('00'))] });
      expect(sent.status).toBe(200);
      const byFlow = await track(sent.body.trackingId);
      expect(byFlow.status).toBe(200);
      expect(byFlow.body).toMatchObject({ trackingId: sent.body.trackingId, originatingService: 'Failover' });
      expect(Object.keys(byFlow.body)).toEqual(Object.keys(sent.body));
      const byMessage = await track(sent.body.messages[0].messageId);
      expect(byMessage.status).toBe(200);
      expect(byMessage.body.trackingId).toBe(sent.body.trackingId);
    });

    it('refreshes a pending step from Routee within the call', async () => {
      const sent = await send({ flow: [sms(phone('00'))] });
      const done = await trackUntil(sent.body.trackingId, (b) => b.status === 'Succeeded');
      expect(done).toMatchObject({
        status: 'Succeeded',
        terminationChannel: 'Sms',
        messages: [{ status: { name: 'Delivered', reason: { detailedStatus: 'Delivered' } } }],
      });
    });

    it.each([
      ['an unknown flow id', '30830fad-21ed-49b0-89d0-bbada2fd5640'],
      ['an unknown message id', 'not-a-known-id'],
      ['an id that cannot be one', 'x'.repeat(300)],
    ])('404 for %s', async (_what, id) => {
      const res = await track(id);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ code: '404000000', developerMessage: 'tracking not found' });
    });

    it("404 for a Failover OTP flow's id (each surface tracks its own flows)", async () => {
      const otp = await t.http.post('/otp/send-failover').set(AUTH).send(failoverRequest());
      expect(otp.status).toBe(200);
      const res = await track(otp.body.flowId);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ code: '404000000', developerMessage: 'tracking not found' });
    });
  });

  describe('Idempotency-Key', () => {
    it('a repeat with the same key and body gets the first answer and sends nothing', async () => {
      const body = { flow: [sms(phone('00')), viber(phone('00'), { order: 2 })] };
      const headers = { ...AUTH, 'Idempotency-Key': `k-${Date.now()}` };
      const first = await send(body, headers);
      const again = await send(body, headers);
      expect(first.status).toBe(200);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      expect(t.sandbox.state.sends).toHaveLength(1);
      const { rows } = await t.db.query('SELECT count(*)::int AS n FROM flows WHERE id = $1', [first.body.trackingId]);
      expect(rows[0].n).toBe(1);
    });

    it('the same key with another body is a 409 in the platform body', async () => {
      const headers = { ...AUTH, 'Idempotency-Key': `m-${Date.now()}` };
      expect((await send({ flow: [sms(phone('00'))] }, headers)).status).toBe(200);
      const res = await send({ flow: [sms(phone('00'), { ttl: 31 })] }, headers);
      expect(res.status).toBe(409);
      expect(res.body).toEqual({
        code: '409000000',
        developerMessage: 'Idempotency-Key was already used with a different request body',
      });
      expect(t.sandbox.state.sends).toHaveLength(1);
    });

    it('a key over 255 characters is a 400 naming the header', async () => {
      const res = await send({ flow: [sms(phone('00'))] }, { ...AUTH, 'Idempotency-Key': 'k'.repeat(256) });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        code: '400000000',
        developerMessage: 'Validation failed',
        properties: { 'Idempotency-Key': 'Idempotency-Key must be 1 to 255 characters' },
      });
    });
  });

  describe('the /otp surface keeps its {detail} bodies', () => {
    it('422 {detail:[...]} for a bad send', async () => {
      const res = await t.http.post('/otp/send-failover').set(AUTH).send({});
      expect(res.status).toBe(422);
      expect(res.body).toEqual({
        detail: [{ loc: ['body', 'flow'], msg: expect.any(String), type: expect.any(String) }],
      });
    });

    it('404 {detail} for an unknown id, 403 {detail} without a key', async () => {
      const missing = await t.http.get('/otp/failover/30830fad-21ed-49b0-89d0-bbada2fd5640').set(AUTH);
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ detail: 'tracking not found' });
      const noKey = await t.http.get('/otp/failover/30830fad-21ed-49b0-89d0-bbada2fd5640');
      expect(noKey.status).toBe(403);
      expect(noKey.body).toEqual({ detail: 'Missing Bearer credentials' });
    });
  });

  describe('decisions where Routee pages disagree', () => {
    it("DECISION: seed 004's three-step example gives Voice and Viber both order 2; orders are unique (CONTRACT section 10), so it is a 400 naming the second", async () => {
      const body = threeSteps();
      (body.flow as Json[])[2].order = 2;
      const res = await send(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        code: '400000000',
        developerMessage: 'Validation failed',
        properties: { 'flow[2].order': 'order 2 is used twice (flow[1] and flow[2]): orders are unique' },
      });
      expect(t.sandbox.state.sends).toHaveLength(0);
    });

    it("DECISION: the Voice step's dial plan is `dialPlan` (seed 004's examples, Routee's Voice API), not the reference table's `dialPlans`", async () => {
      const to = phone('00');
      const { dialPlan, ...rest } = voice(to, { order: 1 });
      const res = await send({ flow: [{ ...rest, dialPlans: dialPlan }] });
      expect(res.status).toBe(400);
      expect(res.body.properties).toEqual({
        'flow[0].dialPlans': 'property dialPlans should not exist',
        'flow[0].dialPlan': 'dialPlan is required',
      });
    });

    it('DECISION: originatingService is "Failover" (failover-callbacks) not "failover" (the how-to), and statusCode a string or null', async () => {
      const res = await send({ flow: [sms(phone('00'))] });
      expect(res.body).toMatchObject({ originatingService: 'Failover', statusCode: null });
    });

    it("DECISION: every message's status is {name, reason {detailedStatus, description}, updatedDate}, Voice too (the how-to's Voice example has reason and description side by side)", async () => {
      const res = await send({ flow: [voice(phone('00'), { order: 1 })] });
      expect(res.status).toBe(200);
      expect(res.body.messages[0]).toMatchObject({
        type: 'Voice',
        status: {
          name: expect.any(String),
          reason: { detailedStatus: nullOr('string'), description: nullOr('string') },
        },
      });
      expect(Object.keys(res.body.messages[0].status)).toEqual(['name', 'reason', 'updatedDate']);
    });

    it('DECISION: a recipient is accepted with or without the leading + (seed 004 writes +; the Failover OTP surface takes both) and answered with it', async () => {
      const to = phone('00');
      const res = await send({ flow: [{ ...sms(to), to }] });
      expect(res.status).toBe(200);
      expect(res.body.messages[0].to).toBe(`+${to}`);
    });
  });
});
