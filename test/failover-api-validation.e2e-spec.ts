import { AUTH, startTestGateway, type TestGateway } from './support/test-gateway';
import type { Json } from './support/factories';

/**
 * POST /failover's validation (CONTRACT section 10): a bad field is a 400 in Routee's platform body naming it,
 * `{"code":"400000000","developerMessage":"Validation failed","properties":{"flow[0].to":"…"}}`, and nothing is sent.
 */

const TO = '+306912345600';

const sms = (o: Json = {}): Json => ({
  type: 'Sms',
  from: 'Acme',
  to: TO,
  order: 1,
  message: { body: 'hello' },
  ...o,
});
const viber = (o: Json = {}): Json => ({
  type: 'Viber',
  senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
  to: TO,
  order: 1,
  message: { text: 'hello' },
  ...o,
});
const voice = (o: Json = {}): Json => ({
  type: 'Voice',
  from: 'Acme',
  to: { phone: TO },
  order: 1,
  dialPlan: { verbs: [{ type: 'SAY', message: { language: 'en-US', gender: 'female', text: 'hi' } }] },
  ...o,
});
const play = (o: Json = {}): Json => ({ type: 'PLAY', fileURL: 'https://example.com/a.wav', ...o });
const say = (o: Json = {}): Json => ({
  type: 'SAY',
  message: { language: 'en-US', gender: 'female', text: 'hi', ...o },
});
const one = (step: Json, body: Json = {}): Json => ({ flow: [step], ...body });

describe('POST /failover validation: 400 naming the field, nothing sent', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());
  beforeEach(() => t.sandbox.state.reset());

  const send = (body: unknown) =>
    t.http
      .post('/failover')
      .set(AUTH)
      .send(body as object);

  const cases: [string, unknown, string][] = [
    // the request
    ['flow missing', {}, 'flow'],
    ['flow empty', { flow: [] }, 'flow'],
    ['flow not an array', { flow: 'Sms' }, 'flow'],
    ['a step not an object', { flow: [sms(), 3] }, 'flow'],
    ['an unknown top-level field', { ...one(sms()), priority: 'high' }, 'priority'],
    // every step
    ['type missing', one(sms({ type: undefined })), 'flow[0].type'],
    ['type unknown', one(sms({ type: 'Email' })), 'flow[0].type'],
    ['type __proto__', one(sms({ type: '__proto__' })), 'flow[0].type'],
    ['an optional field null', one(sms({ ttl: null })), 'flow[0].ttl'],
    ['Viber text empty', one(viber({ message: { text: '' } })), 'flow[0].message.text'],
    ['Viber action null', one(viber({ message: { text: 'x', action: null } })), 'flow[0].message.action'],
    ['Voice machineDetection null', one(voice({ machineDetection: null })), 'flow[0].machineDetection'],
    [
      'Voice verb type __proto__',
      one(voice({ dialPlan: { verbs: [play({ type: '__proto__' })] } })),
      'flow[0].dialPlan.verbs[0].type',
    ],
    ['type ViberOtp (the other surface)', one(sms({ type: 'ViberOtp' })), 'flow[0].type'],
    ['order missing', one(sms({ order: undefined })), 'flow[0].order'],
    ['order 0', one(sms({ order: 0 })), 'flow[0].order'],
    ['order not an integer', one(sms({ order: 1.5 })), 'flow[0].order'],
    ['order a string', one(sms({ order: '1' })), 'flow[0].order'],
    ['order used twice', { flow: [sms(), viber({ order: 1 })] }, 'flow[1].order'],
    ['failoverOnStatuses not an array', one(sms({ failoverOnStatuses: 'FAILED' })), 'flow[0].failoverOnStatuses'],
    ['Sms failoverOnStatuses: Expired', one(sms({ failoverOnStatuses: ['Expired'] })), 'flow[0].failoverOnStatuses'],
    [
      'Sms failoverOnStatuses: Delivered',
      one(sms({ failoverOnStatuses: ['FAILED', 'Delivered'] })),
      'flow[0].failoverOnStatuses',
    ],
    ['Viber failoverOnStatuses: Busy', one(viber({ failoverOnStatuses: ['Busy'] })), 'flow[0].failoverOnStatuses'],
    [
      'Voice failoverOnStatuses: Undelivered',
      one(voice({ failoverOnStatuses: ['Undelivered'] })),
      'flow[0].failoverOnStatuses',
    ],
    ['failoverOnStatuses with a number', one(sms({ failoverOnStatuses: [1] })), 'flow[0].failoverOnStatuses'],
    // Sms
    ['Sms from missing', one(sms({ from: undefined })), 'flow[0].from'],
    ['Sms from too long', one(sms({ from: 'ABCDEFGHIJKL' })), 'flow[0].from'],
    ['Sms to missing', one(sms({ to: undefined })), 'flow[0].to'],
    ['Sms to not a number', one(sms({ to: 'abc' })), 'flow[0].to'],
    ['Sms to too short', one(sms({ to: '+3069' })), 'flow[0].to'],
    ['Sms to too long', one(sms({ to: '+3069123456789012' })), 'flow[0].to'],
    ['Sms to a number', one(sms({ to: 306912345600 })), 'flow[0].to'],
    ['Sms to an object', one(sms({ to: { phone: TO } })), 'flow[0].to'],
    ['Sms ttl 0', one(sms({ ttl: 0 })), 'flow[0].ttl'],
    ['Sms ttl 1441', one(sms({ ttl: 1441 })), 'flow[0].ttl'],
    ['Sms ttl 1.5', one(sms({ ttl: 1.5 })), 'flow[0].ttl'],
    ['Sms ttl a string', one(sms({ ttl: '30' })), 'flow[0].ttl'],
    ['Sms message missing', one(sms({ message: undefined })), 'flow[0].message'],
    ['Sms message a string', one(sms({ message: 'hello' })), 'flow[0].message'],
    ['Sms message.body missing', one(sms({ message: {} })), 'flow[0].message.body'],
    ['Sms message.body empty', one(sms({ message: { body: '' } })), 'flow[0].message.body'],
    ['Sms message.flash a string', one(sms({ message: { body: 'x', flash: 'yes' } })), 'flow[0].message.flash'],
    [
      'Sms message.label too long',
      one(sms({ message: { body: 'x', label: 'l'.repeat(351) } })),
      'flow[0].message.label',
    ],
    ['Sms message.transcode a number', one(sms({ message: { body: 'x', transcode: 1 } })), 'flow[0].message.transcode'],
    ['Sms message.text (a Viber field)', one(sms({ message: { body: 'x', text: 'y' } })), 'flow[0].message.text'],
    ['Sms label at step level (Viber only)', one(sms({ label: 'x' })), 'flow[0].label'],
    [
      'Sms senderInfoTrackingId (a Viber field)',
      one(sms({ senderInfoTrackingId: 'x' })),
      'flow[0].senderInfoTrackingId',
    ],
    // Viber
    [
      'Viber senderInfoTrackingId missing',
      one(viber({ senderInfoTrackingId: undefined })),
      'flow[0].senderInfoTrackingId',
    ],
    ['Viber senderInfoTrackingId empty', one(viber({ senderInfoTrackingId: '' })), 'flow[0].senderInfoTrackingId'],
    ['Viber to bad', one(viber({ to: '12' })), 'flow[0].to'],
    ['Viber ttl 0.4', one(viber({ ttl: 0.4 })), 'flow[0].ttl'],
    ['Viber ttl 1440.5', one(viber({ ttl: 1440.5 })), 'flow[0].ttl'],
    ['Viber ttl two decimals', one(viber({ ttl: 1.25 })), 'flow[0].ttl'],
    ['Viber ttl a string', one(viber({ ttl: '10' })), 'flow[0].ttl'],
    ['Viber expireOnDelivery a string', one(viber({ expireOnDelivery: 'true' })), 'flow[0].expireOnDelivery'],
    ['Viber inboundUrl not a URL', one(viber({ inboundUrl: 'inbound' })), 'flow[0].inboundUrl'],
    ['Viber label too long', one(viber({ label: 'l'.repeat(351) })), 'flow[0].label'],
    ['Viber message missing', one(viber({ message: undefined })), 'flow[0].message'],
    ['Viber message without text, image or file', one(viber({ message: {} })), 'flow[0].message.text'],
    ['Viber text too long', one(viber({ message: { text: 't'.repeat(1001) } })), 'flow[0].message.text'],
    [
      'Viber imageUrl http',
      one(viber({ message: { imageUrl: 'http://example.com/a.png' } })),
      'flow[0].message.imageUrl',
    ],
    [
      'Viber imageUrl too long',
      one(viber({ message: { imageUrl: `https://example.com/${'a'.repeat(990)}` } })),
      'flow[0].message.imageUrl',
    ],
    ['Viber action not an object', one(viber({ message: { text: 'x', action: 'Go' } })), 'flow[0].message.action'],
    [
      'Viber action.caption empty',
      one(viber({ message: { text: 'x', action: { caption: '', targetUrl: 'https://a.example' } } })),
      'flow[0].message.action.caption',
    ],
    [
      'Viber action.caption too long',
      one(viber({ message: { text: 'x', action: { caption: 'c'.repeat(31), targetUrl: 'https://a.example' } } })),
      'flow[0].message.action.caption',
    ],
    [
      'Viber action.targetUrl missing',
      one(viber({ message: { text: 'x', action: { caption: 'Go' } } })),
      'flow[0].message.action.targetUrl',
    ],
    [
      'Viber action.targetUrl not a URL',
      one(viber({ message: { text: 'x', action: { caption: 'Go', targetUrl: 'routee' } } })),
      'flow[0].message.action.targetUrl',
    ],
    [
      'Viber viberFile.fileName too long',
      one(
        viber({
          message: {
            viberFile: { fileName: `${'f'.repeat(22)}.pdf`, fileType: 'pdf', fileUrl: 'https://example.com/f.pdf' },
          },
        }),
      ),
      'flow[0].message.viberFile.fileName',
    ],
    [
      'Viber viberFile.fileType missing',
      one(viber({ message: { viberFile: { fileName: 'f.pdf', fileUrl: 'https://example.com/f.pdf' } } })),
      'flow[0].message.viberFile.fileType',
    ],
    [
      'Viber viberFile.fileUrl http',
      one(
        viber({ message: { viberFile: { fileName: 'f.pdf', fileType: 'pdf', fileUrl: 'http://example.com/f.pdf' } } }),
      ),
      'flow[0].message.viberFile.fileUrl',
    ],
    ['Viber message.body (an Sms field)', one(viber({ message: { text: 'x', body: 'y' } })), 'flow[0].message.body'],
    ['Viber from (not a Viber field)', one(viber({ from: 'Acme' })), 'flow[0].from'],
    // Voice
    ['Voice from missing', one(voice({ from: undefined })), 'flow[0].from'],
    ['Voice to a string', one(voice({ to: TO })), 'flow[0].to'],
    ['Voice to.phone missing', one(voice({ to: { viber: '' } })), 'flow[0].to.phone'],
    ['Voice to.phone bad', one(voice({ to: { phone: '+30' } })), 'flow[0].to.phone'],
    ['Voice to.sip a number', one(voice({ to: { phone: TO, sip: 5 } })), 'flow[0].to.sip'],
    ['Voice dialPlan missing', one(voice({ dialPlan: undefined })), 'flow[0].dialPlan'],
    ['Voice verbs missing', one(voice({ dialPlan: {} })), 'flow[0].dialPlan.verbs'],
    ['Voice verbs empty', one(voice({ dialPlan: { verbs: [] } })), 'flow[0].dialPlan.verbs'],
    [
      'Voice 11 verbs',
      one(voice({ dialPlan: { verbs: Array.from({ length: 11 }, () => play()) } })),
      'flow[0].dialPlan.verbs',
    ],
    [
      'Voice verb type unknown',
      one(voice({ dialPlan: { verbs: [play({ type: 'DIAL' })] } })),
      'flow[0].dialPlan.verbs[0].type',
    ],
    [
      'Voice PLAY fileURL missing',
      one(voice({ dialPlan: { verbs: [play({ fileURL: undefined })] } })),
      'flow[0].dialPlan.verbs[0].fileURL',
    ],
    [
      'Voice PLAY fileURL not a URL',
      one(voice({ dialPlan: { verbs: [play({ fileURL: 'monkey.wav' })] } })),
      'flow[0].dialPlan.verbs[0].fileURL',
    ],
    [
      'Voice PLAY repeat 0',
      one(voice({ dialPlan: { verbs: [play({ repeat: 0 })] } })),
      'flow[0].dialPlan.verbs[0].repeat',
    ],
    [
      'Voice PLAY bargeIn a string',
      one(voice({ dialPlan: { verbs: [play({ bargeIn: 'no' })] } })),
      'flow[0].dialPlan.verbs[0].bargeIn',
    ],
    [
      'Voice SAY message missing',
      one(voice({ dialPlan: { verbs: [play(), { type: 'SAY' }] } })),
      'flow[0].dialPlan.verbs[1].message',
    ],
    [
      'Voice SAY language bad',
      one(voice({ dialPlan: { verbs: [say({ language: 'English' })] } })),
      'flow[0].dialPlan.verbs[0].message.language',
    ],
    [
      'Voice SAY gender unknown',
      one(voice({ dialPlan: { verbs: [say({ gender: 'robot' })] } })),
      'flow[0].dialPlan.verbs[0].message.gender',
    ],
    [
      'Voice SAY text missing',
      one(voice({ dialPlan: { verbs: [say({ text: undefined })] } })),
      'flow[0].dialPlan.verbs[0].message.text',
    ],
    [
      'Voice machineDetection.strategy unknown',
      one(voice({ machineDetection: { strategy: 'Ignore' } })),
      'flow[0].machineDetection.strategy',
    ],
    [
      'Voice machineDetection.eventUrl bad',
      one(voice({ machineDetection: { strategy: 'Continue', eventUrl: 'x' } })),
      'flow[0].machineDetection.eventUrl',
    ],
    ['Voice ttl (not a Voice field)', one(voice({ ttl: 10 })), 'flow[0].ttl'],
    ['a bad second step is named by its place', { flow: [sms(), sms({ order: 2, to: 'nope' })] }, 'flow[1].to'],
    // callback
    ['callback not an object', one(sms(), { callback: 'https://a.example' }), 'callback'],
    ['callback.url missing', one(sms(), { callback: { strategy: 'OnStep' } }), 'callback.url'],
    [
      'callback.url not http(s)',
      one(sms(), { callback: { strategy: 'OnStep', url: 'ftp://a.example' } }),
      'callback.url',
    ],
    [
      'callback.url private',
      one(sms(), { callback: { strategy: 'OnStep', url: 'http://127.0.0.1/hook' } }),
      'callback.url',
    ],
    ['callback.strategy missing', one(sms(), { callback: { url: 'https://a.example' } }), 'callback.strategy'],
    [
      'callback.strategy unknown',
      one(sms(), { callback: { strategy: 'OnChange', url: 'https://a.example' } }),
      'callback.strategy',
    ],
  ];

  it.each(cases)('%s → properties[%#]', async (_what, body, key) => {
    const res = await send(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      code: '400000000',
      developerMessage: 'Validation failed',
      properties: { [key]: expect.any(String) },
    });
    expect(t.sandbox.state.sends).toHaveLength(0);
  });

  it('a body that is not an object names flow', async () => {
    const res = await send([1, 2]);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: '400000000', properties: { flow: 'flow is required' } });
  });

  it('names every bad field, one property each', async () => {
    const res = await send({
      flow: [sms({ to: 'x', ttl: 0 }), viber({ order: 2, message: {} })],
      callback: { strategy: 'Never', url: 'x' },
    });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.properties).sort()).toEqual(
      ['callback.strategy', 'callback.url', 'flow[0].to', 'flow[0].ttl', 'flow[1].message.text'].sort(),
    );
  });

  it('the refused failoverOnStatuses are named, with the allowed ones', async () => {
    const res = await send(one(sms({ failoverOnStatuses: ['failed', 'Delivered'] })));
    expect(res.body.properties).toEqual({
      'flow[0].failoverOnStatuses':
        '"Delivered" cannot trigger a failover on a Sms step: use any of Failed, Undelivered',
    });
  });

  it('malformed JSON is a 400 in the platform body', async () => {
    const res = await t.http.post('/failover').set(AUTH).set('Content-Type', 'application/json').send('{"flow": [');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: '400000000', developerMessage: expect.any(String) });
  });

  it.each<[string, Json]>([
    [
      'type, failoverOnStatuses, verb type and gender in any case',
      one(
        voice({
          type: 'vOiCe',
          failoverOnStatuses: ['busy', 'NOANSWER', 'No Answer'],
          dialPlan: { verbs: [play({ type: 'play' }), say({ gender: 'FEMALE' })] },
        }),
      ),
    ],
    ['a Viber step with an image only', one(viber({ message: { imageUrl: 'https://example.com/a.png' } }))],
    [
      'a Viber step with a file only',
      one(
        viber({ message: { viberFile: { fileName: 'f.pdf', fileType: 'pdf', fileUrl: 'https://example.com/f.pdf' } } }),
      ),
    ],
    ['Viber ttl 0.5 and 1440', { flow: [viber({ ttl: 0.5 }), viber({ order: 2, ttl: 1440 })] }],
    ['Sms ttl 1 and 1440', { flow: [sms({ ttl: 1 }), sms({ order: 2, ttl: 1440 })] }],
    ['an empty failoverOnStatuses (no trigger)', one(sms({ failoverOnStatuses: [] }))],
    ["Voice to with seed 004's empty viber and sip", one(voice({ to: { phone: TO, viber: '', sip: '' } }))],
  ])('accepts %s', async (_what, body) => {
    const res = await send(body);
    expect(res.status).toBe(200);
    expect(res.body.trackingId).toEqual(expect.any(String));
  });
});
