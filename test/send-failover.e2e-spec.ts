import { AUTH, startTestGateway, type TestGateway } from './support/test-gateway';
import { failoverRequest, phone, smsStep, viberStep, type Json } from './support/factories';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('POST /otp/send-failover', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());
  beforeEach(() => t.sandbox.state.reset());

  const send = (body: unknown, headers: Record<string, string> = AUTH) =>
    t.http
      .post('/otp/send-failover')
      .set(headers)
      .send(body as object);

  describe('auth', () => {
    it("refuses a missing header with 403 and Routee's wording", async () => {
      const res = await send(failoverRequest(), {});
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ detail: 'Missing Bearer credentials' });
    });

    it('refuses a non-Bearer header with 403', async () => {
      const res = await send(failoverRequest(), { Authorization: 'Basic dXNlcjpwdw==' });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ detail: 'Missing Bearer credentials' });
    });

    it('refuses an unknown key with 401', async () => {
      const res = await send(failoverRequest(), { Authorization: 'Bearer nope' });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ detail: 'Invalid or expired Bearer token' });
      expect(t.sandbox.state.sends).toHaveLength(0);
    });
  });

  describe('validation: 422 naming the field, nothing sent', () => {
    const to = '306912345600';
    const cases: [string, unknown, (string | number)[]][] = [
      ['body not an object', [1, 2], ['body', 'flow']],
      ['flow missing', {}, ['body', 'flow']],
      ['flow empty', { flow: [] }, ['body', 'flow']],
      ['three steps', { flow: [viberStep(), smsStep(), smsStep({ order: 3 })] }, ['body', 'flow']],
      ['unknown type', { flow: [viberStep({ type: 'Voice' })] }, ['body', 'flow', 0, 'type']],
      ['to missing', { flow: [viberStep({ to: undefined })] }, ['body', 'flow', 0, 'to']],
      ['to not a number', { flow: [viberStep({ to: 'abc' })] }, ['body', 'flow', 0, 'to']],
      ['to too short', { flow: [viberStep({ to: '+3069' })] }, ['body', 'flow', 0, 'to']],
      ['to too long', { flow: [viberStep({ to: '3069123456789012' })] }, ['body', 'flow', 0, 'to']],
      ['to leading zero', { flow: [viberStep({ to: '06912345600' })] }, ['body', 'flow', 0, 'to']],
      ['to array of two', { flow: [viberStep({ to: [to, to] })] }, ['body', 'flow', 0, 'to']],
      ['to array on Sms', { flow: [smsStep({ to: [to], order: 1 })] }, ['body', 'flow', 0, 'to']],
      ['order 0', { flow: [viberStep({ order: 0 })] }, ['body', 'flow', 0, 'order']],
      ['order not integer', { flow: [viberStep({ order: 1.5 })] }, ['body', 'flow', 0, 'order']],
      ['order duplicated', { flow: [viberStep({ order: 1 }), smsStep({ order: 1 })] }, ['body', 'flow', 1, 'order']],
      ['ttl negative', { flow: [viberStep({ ttl: -1 })] }, ['body', 'flow', 0, 'ttl']],
      ['ttl over a day', { flow: [viberStep({ ttl: 86401 })] }, ['body', 'flow', 0, 'ttl']],
      ['ttl a string', { flow: [viberStep({ ttl: '60' })] }, ['body', 'flow', 0, 'ttl']],
      ['label too long', { flow: [viberStep({ label: 'x'.repeat(351) })] }, ['body', 'flow', 0, 'label']],
      [
        'senderInfoTrackingId missing',
        { flow: [viberStep({ senderInfoTrackingId: undefined })] },
        ['body', 'flow', 0, 'senderInfoTrackingId'],
      ],
      ['templateId missing', { flow: [viberStep({ templateId: undefined })] }, ['body', 'flow', 0, 'templateId']],
      [
        'templateId unknown',
        { flow: [viberStep({ templateId: '11111111-2222-3333-4444-555555555555' })] },
        ['body', 'flow', 0, 'templateId'],
      ],
      ['pin missing', { flow: [viberStep({ pin: undefined })] }, ['body', 'flow', 0, 'pin']],
      ['pin too short', { flow: [viberStep({ pin: '123' })] }, ['body', 'flow', 0, 'pin']],
      ['pin too long', { flow: [viberStep({ pin: '12345678901' })] }, ['body', 'flow', 0, 'pin']],
      ['pin a number', { flow: [viberStep({ pin: 482913 })] }, ['body', 'flow', 0, 'pin']],
      [
        'template param missing',
        { flow: [viberStep({ templateId: 'c33cccaf-735f-4d62-8383-a76bf4999e2d' })] },
        ['body', 'flow', 0, 'businessPlatformName'],
      ],
      [
        'codeValidityTime not integer',
        { flow: [viberStep({ templateId: 'bed0942f-e07e-4879-834b-29cc4cf3ec35', codeValidityTime: 'five' })] },
        ['body', 'flow', 0, 'codeValidityTime'],
      ],
      [
        'template param with a link',
        {
          flow: [
            viberStep({ templateId: 'c33cccaf-735f-4d62-8383-a76bf4999e2d', businessPlatformName: 'see https://x.io' }),
          ],
        },
        ['body', 'flow', 0, 'businessPlatformName'],
      ],
      [
        'template param too long',
        {
          flow: [
            viberStep({
              templateId: 'be56d97b-2a33-4c89-ac5f-f555a2c827d9',
              businessPlatformName: 'Acme',
              codeReason: 'y'.repeat(51),
            }),
          ],
        },
        ['body', 'flow', 0, 'codeReason'],
      ],
      [
        'param the template does not take',
        { flow: [viberStep({ pinType: 'login code' })] },
        ['body', 'flow', 0, 'pinType'],
      ],
      [
        "templateType not one of Routee's nine",
        { flow: [viberStep({ templateType: 'fancy' })] },
        ['body', 'flow', 0, 'templateType'],
      ],
      [
        'templateType of another template',
        { flow: [viberStep({ templateType: 'with_validity' })] },
        ['body', 'flow', 0, 'templateType'],
      ],
      [
        'templateType whose parameters are missing',
        {
          flow: [viberStep({ templateId: 'c33cccaf-735f-4d62-8383-a76bf4999e2d', templateType: 'with_business_name' })],
        },
        ['body', 'flow', 0, 'businessPlatformName'],
      ],
      [
        'templateLang not a Routee language',
        { flow: [viberStep({ templateLang: 'pt-BR' })] },
        ['body', 'flow', 0, 'templateLang'],
      ],
      ['templateLang not a string', { flow: [viberStep({ templateLang: 5 })] }, ['body', 'flow', 0, 'templateLang']],
      [
        'failoverOnDelivered not boolean',
        { flow: [viberStep({ failoverOnDelivered: 'yes' })] },
        ['body', 'flow', 0, 'failoverOnDelivered'],
      ],
      [
        'failoverOnDelivered on Sms',
        { flow: [smsStep({ order: 1, failoverOnDelivered: true })] },
        ['body', 'flow', 0, 'failoverOnDelivered'],
      ],
      [
        'failoverOnDelivered on the failover step',
        { flow: [smsStep({ order: 1 }), viberStep({ order: 2, failoverOnDelivered: true })] },
        ['body', 'flow', 1, 'failoverOnDelivered'],
      ],
      ['pin on Sms', { flow: [smsStep({ order: 1, pin: '1234' })] }, ['body', 'flow', 0, 'pin']],
      ['from missing', { flow: [smsStep({ order: 1, from: undefined })] }, ['body', 'flow', 0, 'from']],
      ['from too long', { flow: [smsStep({ order: 1, from: 'AcmeAcmeAcme' })] }, ['body', 'flow', 0, 'from']],
      ['from 17 digits', { flow: [smsStep({ order: 1, from: '12345678901234567' })] }, ['body', 'flow', 0, 'from']],
      ['from on Viber', { flow: [viberStep({ from: 'Acme' })] }, ['body', 'flow', 0, 'from']],
      ['message missing', { flow: [smsStep({ order: 1, message: undefined })] }, ['body', 'flow', 0, 'message']],
      [
        'message body empty',
        { flow: [smsStep({ order: 1, message: { body: '' } })] },
        ['body', 'flow', 0, 'message', 'body'],
      ],
      ['unknown step field', { flow: [viberStep({ color: 'red' })] }, ['body', 'flow', 0, 'color']],
      ['unknown top-level field', { ...failoverRequest(), extra: 1 }, ['body', 'extra']],
      ['callback url not http', { ...failoverRequest(), callback: { url: 'ftp://x' } }, ['body', 'callback', 'url']],
      ['callback not an object', { ...failoverRequest(), callback: 'https://x' }, ['body', 'callback']],
    ];

    it.each(cases)('%s', async (_name, body, loc) => {
      const res = await send(body);
      expect(res.status).toBe(422);
      expect(Array.isArray(res.body.detail)).toBe(true);
      const locs = (res.body.detail as { loc: unknown[]; msg: unknown; type: unknown }[]).map((d) => {
        expect(typeof d.msg).toBe('string');
        expect(typeof d.type).toBe('string');
        return d.loc;
      });
      expect(locs).toContainEqual(loc);
      expect(t.sandbox.state.sends).toHaveLength(0);
    });

    // a missing field says it is required (not what its first length or format check would say)
    it.each<[string, unknown, (string | number)[], string]>([
      ['flow', {}, ['body', 'flow'], 'flow is required'],
      ['type', { flow: [{ to: '306912345600', order: 1, ttl: 60 }] }, ['body', 'flow', 0, 'type'], 'type is required'],
      ['to', { flow: [viberStep({ to: undefined })] }, ['body', 'flow', 0, 'to'], 'to is required'],
      ['order', { flow: [viberStep({ order: undefined })] }, ['body', 'flow', 0, 'order'], 'order is required'],
      ['ttl', { flow: [viberStep({ ttl: undefined })] }, ['body', 'flow', 0, 'ttl'], 'ttl is required'],
      [
        'senderInfoTrackingId',
        { flow: [viberStep({ senderInfoTrackingId: undefined })] },
        ['body', 'flow', 0, 'senderInfoTrackingId'],
        'senderInfoTrackingId is required on ViberOtp steps',
      ],
      [
        'templateId',
        { flow: [viberStep({ templateId: undefined })] },
        ['body', 'flow', 0, 'templateId'],
        'templateId is required on ViberOtp steps',
      ],
      ['pin', { flow: [viberStep({ pin: null })] }, ['body', 'flow', 0, 'pin'], 'pin is required on ViberOtp steps'],
      [
        'from',
        { flow: [smsStep({ order: 1, from: undefined })] },
        ['body', 'flow', 0, 'from'],
        'from is required on Sms steps',
      ],
      [
        'message',
        { flow: [smsStep({ order: 1, message: undefined })] },
        ['body', 'flow', 0, 'message'],
        'message is required on Sms steps',
      ],
      [
        'message.body',
        { flow: [smsStep({ order: 1, message: {} })] },
        ['body', 'flow', 0, 'message', 'body'],
        'body is required',
      ],
      ['callback.url', { ...failoverRequest(), callback: {} }, ['body', 'callback', 'url'], 'url is required'],
    ])('a missing %s reads "is required"', async (_field, body, loc, msg) => {
      const res = await send(body);
      expect(res.status).toBe(422);
      expect(res.body).toEqual({ detail: [{ loc, msg, type: 'isDefined' }] });
    });

    it('names both templates when templateType and templateId disagree', async () => {
      const res = await send({ flow: [viberStep({ templateType: 'with_validity' })] });
      expect(res.status).toBe(422);
      expect(res.body).toEqual({
        detail: [
          {
            loc: ['body', 'flow', 0, 'templateType'],
            msg: 'templateType with_validity names the template "Validity" (bed0942f-e07e-4879-834b-29cc4cf3ec35), but templateId is "Basic", whose templateType is basic',
            type: 'value_error.template',
          },
        ],
      });
    });

    it('refuses malformed JSON with a 4xx in the error shape', async () => {
      const res = await t.http
        .post('/otp/send-failover')
        .set(AUTH)
        .set('Content-Type', 'application/json')
        .send('{"flow": [');
      expect(res.status).toBe(400);
      expect(typeof res.body.detail).toBe('string');
    });

    it('refuses an Idempotency-Key over 255 characters', async () => {
      const res = await send(failoverRequest(), { ...AUTH, 'Idempotency-Key': 'k'.repeat(256) });
      expect(res.status).toBe(422);
      expect(res.body.detail[0].loc).toEqual(['header', 'Idempotency-Key']);
    });
  });

  describe('accepted flows', () => {
    it('sends the Viber primary inside the request and answers the whole response', async () => {
      const to = phone('00');
      const res = await send(
        failoverRequest(`+${to}`, { body: { callback: { url: 'https://app.example.com/otp-events' } } }),
      );
      expect(res.status).toBe(200);
      const viberSends = t.sandbox.state.sends.filter((s) => s.channel === 'viber');
      expect(viberSends).toHaveLength(1);
      expect(res.body).toEqual({
        flowId: expect.stringMatching(UUID),
        status: 'InProgress',
        statusCode: null,
        type: 'Viber',
        flow: [
          {
            type: 'ViberOtp',
            to,
            order: 1,
            ttl: 60,
            label: 'login',
            failoverOnDelivered: false,
            senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
            templateId: '0aac888f-2ee2-4112-9659-1755a951966a',
            templateLang: 'en',
            // the code is never answered back (nor stored): the steps show where it goes
            pin: '{code}',
            trackingId: viberSends[0].trackingId,
          },
          {
            type: 'Sms',
            to,
            order: 2,
            ttl: 300,
            label: 'login',
            from: 'Acme',
            message: { body: 'Your code is {code}' },
            trackingId: null,
          },
        ],
        createdAt: expect.any(String),
      });
      expect(viberSends[0].to).toBe(to);
      const { rows } = await t.db.query(
        'SELECT role, channel, phone_number, tracking_id, status, send_state FROM steps WHERE flow_id = $1',
        [res.body.flowId],
      );
      expect(rows).toEqual([
        {
          role: 'primary',
          channel: 'viber',
          phone_number: to,
          tracking_id: viberSends[0].trackingId,
          status: 'QUEUED',
          send_state: 'sent',
        },
      ]);
      const flow = await t.db.query(
        "SELECT status, status_code, callback_url, webhook_state, next_check_at > now() AS due_later, next_check_at < now() + interval '1 minute' AS polled FROM flows WHERE id = $1",
        [res.body.flowId],
      );
      expect(flow.rows).toEqual([
        {
          status: 'InProgress',
          status_code: null,
          callback_url: 'https://app.example.com/otp-events',
          webhook_state: expect.any(String),
          due_later: true,
          polled: true,
        },
      ]);
      // what the response told the integrator is recorded, so no webhook repeats it
      expect(JSON.parse(flow.rows[0].webhook_state)).toEqual({
        status: 'InProgress',
        statusCode: null,
        steps: [['primary', 'QUEUED', viberSends[0].trackingId]],
        verification: 'pending',
      });
    });

    it('takes the type case-insensitively, a one-element array for Viber, and steps in any order', async () => {
      const to = phone('00');
      const res = await send({
        flow: [smsStep({ to, type: 'SMS', order: 5 }), viberStep({ to: [to], type: 'viberotp', order: 2 })],
      });
      expect(res.status).toBe(200);
      expect(res.body.flow.map((s: Json) => [s.type, s.order, s.to])).toEqual([
        ['ViberOtp', 2, to],
        ['Sms', 5, to],
      ]);
      expect(res.body.type).toBe('Viber');
    });

    it('sends a single SMS step and keeps it InProgress while only queued', async () => {
      const to = phone('00');
      const res = await send({ flow: [smsStep({ to, order: 1 })] });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'InProgress', statusCode: null, type: 'Sms' });
      expect(t.sandbox.state.sends.map((s) => s.channel)).toEqual(['sms']);
    });

    it('passes template parameters to Routee (businessName as an alias)', async () => {
      const to = phone('00');
      const res = await send({
        flow: [
          viberStep({
            to,
            templateId: '6C929CEF-29B4-4349-BC9D-2A07BDBB6E43',
            businessName: 'Acme',
            codeValidityTime: 5,
          }),
        ],
      });
      expect(res.status).toBe(200);
      expect(t.sandbox.state.sends[0].templateParams).toEqual({
        pin: '482913',
        businessPlatformName: 'Acme',
        codeValidityTime: 5,
      });
    });
  });

  describe('Routee refuses the primary', () => {
    it('insufficient balance: Failed with statusCode 1 and no SMS', async () => {
      const res = await send(failoverRequest(phone('05')));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'Failed', statusCode: 1, type: null, error: expect.any(String) });
      expect(res.body.flow.map((s: Json) => s.trackingId)).toEqual([null, null]);
      expect(t.sandbox.state.sends).toHaveLength(0);
      const { rows } = await t.db.query('SELECT role, send_state, send_error FROM steps WHERE flow_id = $1', [
        res.body.flowId,
      ]);
      expect(rows).toEqual([{ role: 'primary', send_state: 'failed', send_error: 'insufficient_balance' }]);
    });

    it('5xx on the Viber send: the SMS failover is sent at once', async () => {
      const to = phone('07');
      const res = await send(failoverRequest(to));
      expect(res.status).toBe(200);
      const smsSends = t.sandbox.state.sends.filter((s) => s.channel === 'sms');
      expect(smsSends).toHaveLength(1);
      expect(smsSends[0].to).toBe(to);
      expect(res.body).toMatchObject({ status: 'InProgress', statusCode: null, type: 'Sms' });
      expect(res.body.flow[0].trackingId).toBeNull();
      expect(res.body.flow[1].trackingId).toBe(smsSends[0].trackingId);
      const { rows } = await t.db.query(
        'SELECT role, send_state, send_error FROM steps WHERE flow_id = $1 ORDER BY role DESC',
        [res.body.flowId],
      );
      expect(rows).toEqual([
        { role: 'primary', send_state: 'failed', send_error: 'unavailable' },
        { role: 'failover', send_state: 'sent', send_error: null },
      ]);
    });

    it('5xx on a single-step flow: Failed with statusCode 0', async () => {
      const res = await send({ flow: [viberStep({ to: phone('07') })] });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'Failed', statusCode: 0, type: null });
    });
  });

  describe('Idempotency-Key', () => {
    it('a repeat with the same key and body returns the first response and sends nothing', async () => {
      const body = failoverRequest(phone('00'));
      const headers = { ...AUTH, 'Idempotency-Key': `login-${Date.now()}` };
      const first = await send(body, headers);
      const second = await send(body, headers);
      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      expect(second.body).toEqual(first.body);
      expect(t.sandbox.state.sends).toHaveLength(1);
      const { rows } = await t.db.query('SELECT count(*)::int AS n FROM flows');
      expect(rows[0].n).toBeGreaterThanOrEqual(1);
      const forKey = await t.db.query('SELECT count(*)::int AS n FROM flows WHERE id = $1', [first.body.flowId]);
      expect(forKey.rows[0].n).toBe(1);
    });

    it('concurrent repeats still send once', async () => {
      const body = failoverRequest(phone('00'));
      const headers = { ...AUTH, 'Idempotency-Key': `race-${Date.now()}` };
      const answers = await Promise.all([send(body, headers), send(body, headers), send(body, headers)]);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(new Set(answers.map((a) => a.body.flowId)).size).toBe(1);
      expect(t.sandbox.state.sends).toHaveLength(1);
    });

    it('the same key with another body is a 409', async () => {
      const headers = { ...AUTH, 'Idempotency-Key': `conflict-${Date.now()}` };
      expect((await send(failoverRequest(phone('00')), headers)).status).toBe(200);
      const res = await send(failoverRequest(phone('00')), headers);
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ detail: 'Idempotency-Key was already used with a different request body' });
      expect(t.sandbox.state.sends).toHaveLength(1);
    });
  });

  describe('Routee token', () => {
    it('a revoked token is refreshed once and the send succeeds', async () => {
      expect((await send(failoverRequest(phone('00')))).status).toBe(200);
      const before = t.sandbox.state.tokensIssued;
      t.sandbox.state.revokeAllTokens();
      const res = await send(failoverRequest(phone('00')));
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('InProgress');
      expect(res.body.flow[0].trackingId).toEqual(expect.any(String));
      expect(t.sandbox.state.tokensIssued).toBe(before + 1);
    });

    it('50 concurrent sends share one token', async () => {
      t.sandbox.state.revokeAllTokens();
      const before = t.sandbox.state.tokensIssued;
      const answers = await Promise.all(Array.from({ length: 50 }, () => send(failoverRequest(phone('00')))));
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(t.sandbox.state.tokensIssued).toBe(before + 1);
      expect(t.sandbox.state.sends.filter((s) => s.channel === 'viber')).toHaveLength(50);
    });
  });
});
