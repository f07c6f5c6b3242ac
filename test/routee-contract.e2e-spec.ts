import { randomUUID } from 'node:crypto';
import { decideFlow } from '@app/flow';
import {
  foldSmsParts,
  readErrorBody,
  readViberTracking,
  readVoiceCallback,
  RouteeClient,
  type ViberSendRequest,
  type VoiceCallRequest,
} from '@app/routee';
import { aConfig, aPrimary, at } from '../libs/flow/test/flow.factory';
import {
  ERRORS,
  SMS_ANSWER,
  SMS_CALLBACK,
  SMS_REQUEST,
  SMS_TRACKING_ANSWER,
  TOKEN_ANSWER,
  VIBER_CALLBACK,
  VIBER_OTP_ANSWER,
  VIBER_OTP_REQUEST,
  VIBER_TRACKING_ANSWER,
  VIBER_CALLBACK_URL,
  VIBER_FILE_MESSAGE_REQUEST,
  VIBER_MESSAGE_ANSWER,
  VIBER_MESSAGE_CALLBACK,
  VIBER_MESSAGE_REQUEST,
  VIBER_MESSAGE_TRACKING_ANSWER,
  VOICE_CALLBACK,
  VOICE_CALLBACK_URL,
  VOICE_CONVERSATION_ANSWER,
  VOICE_CONVERSATION_REQUEST,
  VOICE_DIAL_TRACKING_ANSWER,
} from './fixtures/routee-reference';
import { startFakeRoutee, type FakeRoutee } from './support/fake-routee';
import { AUTH, startTestGateway, type TestGateway } from './support/test-gateway';
import { caught } from './support/routee-error';

/**
 * The Routee client against Routee's own examples (fixtures written from the
 * reference pages), over real HTTP to a stand-in that answers with them and
 * records what arrives. Our sandbox is not involved: what is checked here is
 * the reference itself, field by field.
 */

const APP = { appId: '5756a411e4b06a33d50517c7', appSecret: 'vb6QpjCIOG' };
const TRACKING_ID = VIBER_OTP_ANSWER.trackingId;
const VIBER_MESSAGE_ID = VIBER_MESSAGE_ANSWER.trackingId;
const CONVERSATION_ID = VOICE_CONVERSATION_ANSWER.trackingId;

const routeeDefaults = {
  'POST /oauth/token': { status: 200, body: TOKEN_ANSWER },
  'POST /viber/otp': { status: 200, body: VIBER_OTP_ANSWER },
  'POST /sms': { status: 200, body: SMS_ANSWER },
  [`GET /viber/tracking/${TRACKING_ID}`]: { status: 200, body: VIBER_TRACKING_ANSWER },
  [`GET /sms/tracking/single/${TRACKING_ID}`]: { status: 200, body: SMS_TRACKING_ANSWER },
  'POST /viber': { status: 200, body: VIBER_MESSAGE_ANSWER },
  [`GET /viber/tracking/${VIBER_MESSAGE_ID}`]: { status: 200, body: VIBER_MESSAGE_TRACKING_ANSWER },
  'POST /voice/conversation': { status: 200, body: VOICE_CONVERSATION_ANSWER },
  [`GET /voice/tracking/conversation/${CONVERSATION_ID}`]: { status: 200, body: VOICE_DIAL_TRACKING_ANSWER },
};

describe("Routee client against Routee's reference examples", () => {
  let routee: FakeRoutee;
  let client: RouteeClient;

  beforeAll(async () => {
    routee = await startFakeRoutee(routeeDefaults);
  });
  beforeEach(() => {
    routee.reset();
    client = new RouteeClient({ authUrl: routee.url, apiUrl: routee.url, ...APP, retryBaseDelayMs: 5, maxRetries: 0 });
  });
  afterEach(() => client.close());
  afterAll(() => routee.close());

  const viberOtp = {
    senderInfoTrackingId: VIBER_OTP_REQUEST.senderInfoTrackingId,
    to: '306912345678',
    ttl: 60,
    templateId: VIBER_OTP_REQUEST.templateId,
    templateLang: 'el',
    templateParams: VIBER_OTP_REQUEST.templateParams,
  };

  describe('authentication (docs: authentication)', () => {
    it('asks for a client-credentials token with Basic appId:secret as a form, and sends the answer as Bearer', async () => {
      await client.sendViberOtp(viberOtp);

      const [tokenRequest] = routee.requestsTo('POST /oauth/token');
      expect(tokenRequest.headers.authorization).toBe(
        `Basic ${Buffer.from(`${APP.appId}:${APP.appSecret}`).toString('base64')}`,
      );
      // the page's own example: 5756a411e4b06a33d50517c7:vb6QpjCIOG encodes to this
      expect(tokenRequest.headers.authorization).toBe('Basic NTc1NmE0MTFlNGIwNmEzM2Q1MDUxN2M3OnZiNlFwakNJT0c=');
      expect(tokenRequest.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(tokenRequest.text).toBe('grant_type=client_credentials');
      expect(routee.requestsTo('POST /viber/otp')[0].headers.authorization).toBe(`Bearer ${TOKEN_ANSWER.access_token}`);
    });

    it('on a 401 fetches a new token once and repeats the call; a second 401 is auth_refused', async () => {
      let refusals = 0;
      routee.answer('POST /sms', () =>
        refusals++ < 1 ? { status: 401, body: ERRORS.unauthorized } : { status: 200, body: SMS_ANSWER },
      );
      await client.sendSms({ from: 'Acme', to: '306912345678', body: 'x', ttlSeconds: 60 });
      expect(routee.requestsTo('POST /oauth/token')).toHaveLength(2);

      routee.answer('POST /sms', { status: 401, body: ERRORS.unauthorized });
      const err = await caught(client.sendSms({ from: 'Acme', to: '306912345678', body: 'x', ttlSeconds: 60 }));
      expect({ kind: err.kind, code: err.routeeCode }).toEqual({ kind: 'auth_refused', code: '401000000' });
    });
  });

  describe('POST /viber/otp (docs: viber-otp-request)', () => {
    it("sends exactly the reference's body: to one +E.164 string, label transactional, no callback", async () => {
      const result = await client.sendViberOtp(viberOtp);

      const [sent] = routee.requestsTo('POST /viber/otp');
      expect(sent.headers['content-type']).toBe('application/json');
      expect(sent.json).toStrictEqual(VIBER_OTP_REQUEST);
      expect(result).toEqual({ trackingId: TRACKING_ID, status: 'QUEUED', raw: VIBER_OTP_ANSWER });
    });

    it("sends a ttl under 30 s as 30 (Viber's minimum; the step's own ttl still drives the failover timer)", async () => {
      await client.sendViberOtp({ ...viberOtp, ttl: 10 });
      expect((routee.requestsTo('POST /viber/otp')[0].json as { ttl: number }).ttl).toBe(30);
    });

    it('parses the tracking answer (docs: retrieve-single-viber-tracking)', async () => {
      expect(await client.getViberTracking(TRACKING_ID)).toEqual({
        trackingId: TRACKING_ID,
        status: 'DELIVERED',
        statusDate: '2026-02-16T12:00:03.456Z',
        detailedStatus: 'Delivered',
        description: 'The message was delivered to its recipient.',
        price: 0.0093,
        country: 'GR',
        raw: VIBER_TRACKING_ANSWER,
      });
    });

    it('parses the Viber callback body (docs: viber-callback)', () => {
      expect(readViberTracking(VIBER_CALLBACK, '')).toEqual({
        trackingId: TRACKING_ID,
        status: 'UNDELIVERED',
        statusDate: '2026-02-16T12:00:05.000Z',
        detailedStatus: 'Not Viber User',
        description: 'The recipient is not a Viber user.',
        price: 0,
        country: 'GR',
        raw: VIBER_CALLBACK,
      });
    });
  });

  describe('POST /sms (docs: send-single-sms)', () => {
    it("sends exactly the reference's body: to with +, ttl in minutes rounded up, callback {url, strategy OnChange}", async () => {
      const result = await client.sendSms({
        from: 'Acme',
        to: '306912345678',
        body: 'Your code is 123456',
        ttlSeconds: 241,
        label: 'login',
        callbackUrl: SMS_REQUEST.callback.url,
      });

      expect(routee.requestsTo('POST /sms')[0].json).toStrictEqual(SMS_REQUEST);
      expect(result).toEqual({ trackingId: TRACKING_ID, status: 'Queued', raw: SMS_ANSWER });
    });

    it('sends a numeric sender without + (a Routee sender id is letters or up to 16 digits)', async () => {
      await client.sendSms({ from: '+306900000000', to: '+306912345678', body: 'x', ttlSeconds: 60 });
      expect(routee.requestsTo('POST /sms')[0].json).toStrictEqual({
        from: '306900000000',
        to: '+306912345678',
        body: 'x',
        ttl: 1,
      });
    });

    // DECISION (two Routee pages disagree): the SMS tracking and callback pages give `latency` no unit and
    // their examples read as seconds; the Failover tracking pages say "Delivery latency (ms)". We call the
    // SMS API, so its latency is read as seconds (latency_ms = latency × 1000). README: "Routee's pages disagree".
    it('folds the tracking answer of a 2-part SMS: Delivered, the prices summed, latency read as seconds (DECISION)', async () => {
      expect(await client.getSmsTracking(TRACKING_ID)).toEqual({
        trackingId: TRACKING_ID,
        status: 'Delivered',
        statusDate: '2026-02-16T12:00:03.000Z',
        detailedStatus: 'Delivered',
        description: 'The SMS was sent and it was delivered to its recipient.',
        price: 0.075,
        latencyMs: 4000,
        country: 'GR',
        operator: 'Cosmote',
        parts: 2,
        raw: SMS_TRACKING_ANSWER,
      });
    });

    it('parses the SMS callback body (docs: callbacks)', () => {
      expect(foldSmsParts(SMS_CALLBACK, '')).toEqual({
        trackingId: TRACKING_ID,
        status: 'Delivered',
        statusDate: '2026-02-16T12:00:03.000Z',
        detailedStatus: 'Delivered',
        description: 'The SMS was sent and it was delivered to its recipient.',
        price: 0.0375,
        latencyMs: 3000,
        country: 'GR',
        operator: 'Cosmote',
        parts: 1,
        raw: SMS_CALLBACK,
      });
    });
  });

  describe('POST /viber (docs: send-a-viber-single-message)', () => {
    const viber: ViberSendRequest = {
      senderInfoTrackingId: VIBER_MESSAGE_REQUEST.senderInfoTrackingId,
      to: '306912345678',
      ttlSeconds: 600,
      text: 'Your code is 123456',
      imageUrl: 'https://example.com/image.png',
      action: { caption: 'Go', targetUrl: 'https://www.routee.net/' },
      inboundUrl: 'https://gateway.example.com/inbound',
      label: 'login',
      callbackUrl: VIBER_CALLBACK_URL,
    };

    it("sends exactly the reference's body: the content in `body`, to one +E.164 string, ttl in seconds, the message's callbackUrl", async () => {
      const result = await client.sendViber(viber);

      const [sent] = routee.requestsTo('POST /viber');
      expect(sent.headers['content-type']).toBe('application/json');
      expect(sent.json).toStrictEqual(VIBER_MESSAGE_REQUEST);
      expect(result).toEqual({ trackingId: VIBER_MESSAGE_ID, status: 'QUEUED', raw: VIBER_MESSAGE_ANSWER });
    });

    // DECISION (Routee's pages disagree on the casing): the request spells imageURL and viberFile.fileURL
    // (routee-docs/upstream-viber-and-voice.md, from Routee's API description; the callback's body.imageURL
    // agrees), while the send answer spells imageUrl and every answer viberFile.fileUrl. The client sends
    // the request's casing and keeps the answers' in `raw`.
    it('sends a file message as {viberFile {fileName, fileType, fileURL}} without text, ttl 10 s sent as 30 (DECISION)', async () => {
      await client.sendViber({
        senderInfoTrackingId: VIBER_FILE_MESSAGE_REQUEST.senderInfoTrackingId,
        to: '+306912345678',
        ttlSeconds: 10,
        viberFile: { fileName: 'invoice.pdf', fileType: 'pdf', fileUrl: 'https://example.com/invoice.pdf' },
      });
      expect(routee.requestsTo('POST /viber')[0].json).toStrictEqual(VIBER_FILE_MESSAGE_REQUEST);
    });

    it('sends a ttl within 30-86400 s, rounded up to whole seconds', async () => {
      await client.sendViber({ ...viber, ttlSeconds: 90_000 });
      await client.sendViber({ ...viber, ttlSeconds: 60.2 });
      expect(routee.requestsTo('POST /viber').map((r) => (r.json as { ttl: number }).ttl)).toEqual([86400, 61]);
    });

    it("parses a /viber message's tracking answer (docs: retrieve-single-viber-tracking)", async () => {
      expect(await client.getViberTracking(VIBER_MESSAGE_ID)).toEqual({
        trackingId: VIBER_MESSAGE_ID,
        status: 'SEEN',
        statusDate: '2026-02-16T12:00:04.000Z',
        detailedStatus: 'Seen',
        description: 'The message was delivered and read by the recipient.',
        price: 0.0093,
        country: 'GR',
        raw: VIBER_MESSAGE_TRACKING_ANSWER,
      });
    });

    it("parses a /viber message's callback body (docs: viber-callback)", () => {
      expect(readViberTracking(VIBER_MESSAGE_CALLBACK, '')).toEqual({
        trackingId: VIBER_MESSAGE_ID,
        status: 'EXPIRED',
        statusDate: '2026-02-16T12:10:00.000Z',
        detailedStatus: 'TTL Expired',
        description: 'The TTL of the message has expired. The message could not be delivered.',
        price: 0,
        country: 'GR',
        raw: VIBER_MESSAGE_CALLBACK,
      });
    });
  });

  describe('POST /voice/conversation (docs: perform-a-voice-conversation)', () => {
    const call: VoiceCallRequest = {
      from: 'Acme',
      to: '306912345678',
      verbs: [
        {
          type: 'SAY',
          message: { language: 'en-US', gender: 'female', text: 'Your code is 1 2 3 4 5 6' },
          repeat: 2,
          bargeIn: false,
        },
        { type: 'PLAY', fileURL: 'https://example.com/goodbye.wav' },
      ],
      machineDetection: { strategy: 'Hangup' },
      callbackUrl: VOICE_CALLBACK_URL,
    };

    // DECISION (Routee's pages are silent): the conversation's answer carries no status; a call Routee took
    // starts Queued, the first state of voice-messaging-statuses ("The API request was successful"), not
    // call-flow's Initiated (a state of the call once the carrier has it).
    it("sends exactly the reference's body: to {phone: +E.164}, dialPlan {verbs}, callback OnChange; the call starts Queued (DECISION)", async () => {
      const result = await client.startVoiceCall(call);

      const [sent] = routee.requestsTo('POST /voice/conversation');
      expect(sent.headers['content-type']).toBe('application/json');
      expect(sent.json).toStrictEqual(VOICE_CONVERSATION_REQUEST);
      expect(result).toEqual({ trackingId: CONVERSATION_ID, status: 'Queued', raw: VOICE_CONVERSATION_ANSWER });
    });

    it('sends no callback and no machineDetection when none is asked for', async () => {
      await client.startVoiceCall({ from: 'Acme', to: '+306912345678', verbs: [call.verbs[1]] });
      expect(routee.requestsTo('POST /voice/conversation')[0].json).toStrictEqual({
        from: 'Acme',
        to: { phone: '+306912345678' },
        dialPlan: { verbs: [{ type: 'PLAY', fileURL: 'https://example.com/goodbye.wav' }] },
      });
    });

    it('folds the dial tracking page to its last dial (docs: retrieve-conversation-dial-tracking)', async () => {
      expect(await client.getVoiceTracking(CONVERSATION_ID)).toEqual({
        trackingId: CONVERSATION_ID,
        messageId: VOICE_DIAL_TRACKING_ANSWER.content[0].messageId,
        status: 'Completed',
        statusDate: '2026-02-16T12:00:09.000Z',
        price: 0.0039466668,
        duration: 4,
        answeredBy: 'HUMAN',
        country: 'GR',
        raw: VOICE_DIAL_TRACKING_ANSWER,
      });
    });

    it('reads the Failover name of a call state however Routee spells it (No Answer, NoAnswer, NO_ANSWER)', async () => {
      const [dial] = VOICE_DIAL_TRACKING_ANSWER.content;
      const page = (parts: unknown[]) => ({ ...VOICE_DIAL_TRACKING_ANSWER, content: parts });
      const states: string[] = [];
      for (const spelt of ['No Answer', 'NoAnswer', 'NO_ANSWER', 'busy', 'Completed']) {
        routee.answer(`GET /voice/tracking/conversation/${CONVERSATION_ID}`, {
          status: 200,
          body: page([{ ...dial, status: { status: spelt, date: dial.status.date } }]),
        });
        states.push((await client.getVoiceTracking(CONVERSATION_ID)).status);
      }
      expect(states).toEqual(['NoAnswer', 'NoAnswer', 'NoAnswer', 'Busy', 'Completed']);
    });

    it('of several dials, the one whose status is the latest decides', async () => {
      const [dial] = VOICE_DIAL_TRACKING_ANSWER.content;
      routee.answer(`GET /voice/tracking/conversation/${CONVERSATION_ID}`, {
        status: 200,
        body: {
          ...VOICE_DIAL_TRACKING_ANSWER,
          content: [
            { ...dial, messageId: 'later', status: { status: 'Busy', date: '2026-02-16T12:00:20.000Z' } },
            { ...dial, messageId: 'earlier', status: { status: 'Completed', date: '2026-02-16T12:00:09.000Z' } },
          ],
        },
      });
      const tracking = await client.getVoiceTracking(CONVERSATION_ID);
      expect([tracking.messageId, tracking.status]).toEqual(['later', 'Busy']);
    });

    it('parses the voice conversation callback body (docs: voice-conversation-callbacks)', () => {
      expect(readVoiceCallback(VOICE_CALLBACK)).toEqual({
        trackingId: CONVERSATION_ID,
        messageId: VOICE_CALLBACK.messageId,
        status: 'Completed',
        statusDate: '2026-02-16T12:00:09.000Z',
        price: 0.0039466668,
        duration: 4,
        raw: VOICE_CALLBACK,
      });
      expect(readVoiceCallback({ ...VOICE_CALLBACK, status: { name: 'No Answer', updatedDate: 'd' } })?.status).toBe(
        'NoAnswer',
      );
      expect(readVoiceCallback({ trackingId: 'x', status: { name: 'Completed' } })).toBeNull();
      expect(readVoiceCallback({ ...VOICE_CALLBACK, status: undefined })).toBeNull();
    });

    // DECISION (Routee's pages are silent): retrieve-conversation-dial-tracking lists no error, so an unknown
    // conversation may be a 404 (the sandbox answers 404013000: 404 + voice module 013) or an empty page;
    // both read as not_found, as the SMS and Viber tracking 404s do.
    it('maps a 404 and an empty page alike to not_found (DECISION)', async () => {
      const path = `GET /voice/tracking/conversation/${CONVERSATION_ID}`;
      routee.answer(path, {
        status: 404,
        body: { code: '404013000', developerMessage: 'Conversation tracking not found.' },
      });
      const notFound = await caught(client.getVoiceTracking(CONVERSATION_ID));
      routee.answer(path, { status: 200, body: { ...VOICE_DIAL_TRACKING_ANSWER, content: [] } });
      const empty = await caught(client.getVoiceTracking(CONVERSATION_ID));
      expect([notFound.kind, notFound.routeeCode, empty.kind]).toEqual(['not_found', '404013000', 'not_found']);
    });

    it('maps a conversation refused 400001009 to insufficient_balance', async () => {
      routee.answer('POST /voice/conversation', { status: 400, body: ERRORS.insufficientBalance });
      const err = await caught(client.startVoiceCall(call));
      expect([err.kind, err.routeeCode]).toEqual(['insufficient_balance', '400001009']);
    });
  });

  describe('error bodies (docs: error-codes)', () => {
    it('reads code, developerMessage and the properties that name the refused fields', async () => {
      expect(readErrorBody(ERRORS.smsValidation)).toEqual(ERRORS.smsValidation);
      routee.answer('POST /sms', { status: 400, body: ERRORS.smsValidation });
      const err = await caught(client.sendSms({ from: 'Acme', to: '306912345678', body: 'x', ttlSeconds: 60 }));
      expect({
        kind: err.kind,
        httpStatus: err.httpStatus,
        code: err.routeeCode,
        developerMessage: err.developerMessage,
        properties: err.properties,
      }).toEqual({
        kind: 'validation',
        httpStatus: 400,
        code: '400005000',
        developerMessage: 'The SMS has no recipients or the sender is invalid',
        properties: { to: 'must match "^\\+[1-9]\\d{1,14}$"' },
      });
      expect(err.message).toBe(
        'POST /sms: HTTP 400 code 400005000 The SMS has no recipients or the sender is invalid [to: must match "^\\+[1-9]\\d{1,14}$"]',
      );
    });

    it.each([
      [
        'a Viber OTP send refused 400001009',
        'POST /viber/otp',
        400,
        ERRORS.insufficientBalance,
        'insufficient_balance',
      ],
      ['an SMS send refused 400001009', 'POST /sms', 400, ERRORS.insufficientBalance, 'insufficient_balance'],
      [
        'a Viber OTP sender Routee does not know (404 on a send)',
        'POST /viber/otp',
        404,
        ERRORS.viberSenderNotFound,
        'validation',
      ],
    ])('maps %s', async (_what, route, status, body, kind) => {
      routee.answer(route, { status, body });
      const send =
        route === 'POST /sms'
          ? client.sendSms({ from: 'Acme', to: '306912345678', body: 'x', ttlSeconds: 60 })
          : client.sendViberOtp(viberOtp);
      const err = await caught(send);
      expect({ kind: err.kind, code: err.routeeCode, developerMessage: err.developerMessage }).toEqual({
        kind,
        code: body.code,
        developerMessage: body.developerMessage,
      });
    });

    it('maps the tracking 404s (404019006 Viber, 404005000 SMS) to not_found', async () => {
      routee.answer(`GET /viber/tracking/${TRACKING_ID}`, { status: 404, body: ERRORS.viberTrackingNotFound });
      routee.answer(`GET /sms/tracking/single/${TRACKING_ID}`, { status: 404, body: ERRORS.smsTrackingNotFound });
      const viber = await caught(client.getViberTracking(TRACKING_ID));
      const sms = await caught(client.getSmsTracking(TRACKING_ID));
      expect([viber.kind, viber.routeeCode, sms.kind, sms.routeeCode]).toEqual([
        'not_found',
        '404019006',
        'not_found',
        '404005000',
      ]);
    });
  });

  // DECISION (two Routee pages disagree): Routee's error codes give insufficient balance as 400001009 on the
  // send, while its Viber statuses report UNSENT ("could not be sent due to insufficient balance") for a message
  // it took. Both end the flow Failed with statusCode 1. README: "Routee's pages disagree".
  it('Viber insufficient balance either way is statusCode 1: an UNSENT report (DECISION)', () => {
    const decision = decideFlow(aConfig({ hasFailoverStep: false }), [aPrimary({ status: 'UNSENT' })], at(5));
    expect({ status: decision.status, statusCode: decision.statusCode }).toEqual({ status: 'Failed', statusCode: 1 });
  });
});

describe('the gateway sends what the reference documents', () => {
  let routee: FakeRoutee;
  let t: TestGateway;
  const PUBLIC_URL = 'https://gateway.example.com';
  const TOKEN = 'secret-token-0123456789';

  beforeAll(async () => {
    // Routee gives every message its own trackingId
    routee = await startFakeRoutee({
      ...routeeDefaults,
      'POST /viber/otp': () => ({ status: 200, body: { ...VIBER_OTP_ANSWER, trackingId: randomUUID() } }),
      'POST /sms': () => ({ status: 200, body: { ...SMS_ANSWER, trackingId: randomUUID() } }),
    });
    t = await startTestGateway({
      env: {
        ROUTEE_AUTH_URL: routee.url,
        ROUTEE_API_URL: routee.url,
        PUBLIC_URL,
        ROUTEE_CALLBACK_TOKEN: TOKEN,
        WORKER_ENABLED: 'false',
      },
    });
  });
  beforeEach(() => routee.reset());
  afterAll(async () => {
    await t?.close();
    await routee?.close();
  });

  const send = (flow: unknown[]) => t.http.post('/otp/send-failover').set(AUTH).send({ flow });

  it("a ViberOtp step becomes the reference's /viber/otp body: businessName as businessPlatformName, templateLang lower-cased, label and callback never forwarded", async () => {
    const res = await send([
      {
        type: 'ViberOtp',
        to: '+306912345678',
        order: 1,
        ttl: 60,
        label: 'login',
        senderInfoTrackingId: VIBER_OTP_REQUEST.senderInfoTrackingId,
        templateId: VIBER_OTP_REQUEST.templateId,
        templateType: 'with_business_and_validity_hours',
        templateLang: 'EL',
        pin: '123456',
        businessName: 'MyApp',
        codeValidityTime: 5,
      },
    ]);

    expect(res.status).toBe(200);
    expect(res.body.flow[0].trackingId).toMatch(/^[0-9a-f-]{36}$/);
    expect(routee.requestsTo('POST /viber/otp').map((r) => r.json)).toStrictEqual([VIBER_OTP_REQUEST]);
  });

  it("an Sms step becomes the reference's /sms body, with the callback URL of PUBLIC_URL", async () => {
    const res = await send([
      {
        type: 'Sms',
        to: '306912345678',
        order: 1,
        ttl: 300,
        label: 'login',
        from: 'Acme',
        message: { body: 'Your code is 123456' },
      },
    ]);

    expect(res.status).toBe(200);
    expect(routee.requestsTo('POST /sms').map((r) => r.json)).toStrictEqual([
      { ...SMS_REQUEST, callback: { url: `${PUBLIC_URL}/routee/callbacks/sms?token=${TOKEN}`, strategy: 'OnChange' } },
    ]);
  });

  it('a send Routee refuses keeps its developerMessage and the fields it named, on the flow and the step', async () => {
    routee.answer('POST /sms', { status: 400, body: ERRORS.smsValidation });
    const res = await send([
      { type: 'Sms', to: '306912345678', order: 1, ttl: 300, from: 'Acme', message: { body: 'Your code is 123456' } },
    ]);

    const refusal = 'The SMS has no recipients or the sender is invalid (to: must match "^\\+[1-9]\\d{1,14}$")';
    expect({ status: res.body.status, statusCode: res.body.statusCode, error: res.body.error }).toEqual({
      status: 'Failed',
      statusCode: 2,
      error: refusal,
    });
    const tracked = await t.http.get(`/otp/failover/${res.body.flowId}`).set(AUTH);
    expect(tracked.body.steps[0]).toMatchObject({ status: 'Failed', error_message: refusal });
  });

  it("a Viber OTP send refused 400001009 ends the flow Failed, statusCode 1, Routee's message kept (DECISION, as above)", async () => {
    routee.answer('POST /viber/otp', { status: 400, body: ERRORS.insufficientBalance });
    const res = await send([
      {
        type: 'ViberOtp',
        to: '306912345678',
        order: 1,
        ttl: 60,
        senderInfoTrackingId: 's',
        templateId: '0aac888f-2ee2-4112-9659-1755a951966a',
        pin: '123456',
      },
    ]);

    expect(res.status).toBe(200);
    expect({ status: res.body.status, statusCode: res.body.statusCode, error: res.body.error }).toEqual({
      status: 'Failed',
      statusCode: 1,
      error: 'Insufficient balance',
    });
  });
});
