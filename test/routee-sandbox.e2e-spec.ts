import { createServer, IncomingMessage, Server } from 'node:http';
import { RouteeClient, RouteeError, type RouteeTracking } from '@app/routee';
import { spawnSandbox, type SpawnedSandbox } from '../apps/routee-sandbox/src/testing/spawn-sandbox';
import { smsSendRequest, viberOtpSendRequest } from './support/factories';

/** The sandbox's scripted outcomes, tracking, callbacks and Routee-shaped errors, over real HTTP. */

const STATUS_DELAY_MS = 50;
const SEEN_DELAY_MS = 30;
const phone = (scenario: string) => `3069123456${scenario}`;

const viberOtp = (to: string) => viberOtpSendRequest({ to });
const sms = (to: string, body = 'Your code is 482913', callbackUrl?: string) =>
  smsSendRequest({ to, body, callbackUrl });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** after the last scripted change (final + SEEN) with room for a loaded CI box */
const settled = () => sleep(STATUS_DELAY_MS + SEEN_DELAY_MS + 150);

interface Received {
  path: string;
  body: Record<string, unknown>;
}

async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(data) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('Routee sandbox', () => {
  let sandbox: SpawnedSandbox;
  let client: RouteeClient;

  beforeAll(async () => {
    sandbox = await spawnSandbox({ statusDelayMs: STATUS_DELAY_MS, seenDelayMs: SEEN_DELAY_MS });
    client = new RouteeClient({
      authUrl: sandbox.url,
      apiUrl: sandbox.url,
      appId: sandbox.appId,
      appSecret: sandbox.appSecret,
      retryBaseDelayMs: 10,
      maxRetries: 0,
    });
  });

  afterAll(async () => {
    await client?.close();
    await sandbox?.close();
  });

  describe('scripted Viber outcomes', () => {
    const viberFinal = (status: string, detailedStatus: string, description: string, price: number) => ({
      status,
      detailedStatus,
      description,
      price,
      country: 'GR',
    });
    const delivered = ['DELIVERED', 'Delivered', 'The message was delivered to its recipient.', 0.0093] as const;
    const seen = ['SEEN', 'Seen', 'The message was delivered and read by the recipient.', 0.0093] as const;

    it.each([
      ['01', ['EXPIRED', 'TTL Expired', 'The TTL of the message has expired. The message could not be delivered.', 0]],
      ['02', ['UNDELIVERED', 'Not Viber User', 'The recipient is not a Viber user.', 0]],
      ['03', delivered],
      ['04', seen],
      ['06', seen],
      ['08', ['FAILED', 'Message Rejected', 'Viber rejected the message due to incorrect parameters', 0]],
      ['09', ['UNSENT', 'Unsent', 'Viber Message could not be sent due to insufficient balance.', 0]],
      ['42', seen],
    ] as const)('…%s goes from QUEUED to its scripted final status', async (scenario, final) => {
      const sent = await client.sendViberOtp(viberOtp(phone(scenario)));
      const first = await client.getViberTracking(sent.trackingId);
      await settled();
      const last = await client.getViberTracking(sent.trackingId);

      expect(first).toEqual({
        trackingId: sent.trackingId,
        status: 'QUEUED',
        statusDate: expect.any(String),
        price: 0.0093,
        country: 'GR',
        raw: expect.anything(),
      });
      expect(last).toEqual({
        trackingId: sent.trackingId,
        statusDate: expect.any(String),
        ...viberFinal(final[0], final[1], final[2], final[3]),
        raw: expect.objectContaining({ to: `+${phone(scenario)}`, originatingService: 'Viber', direction: 'Outbound' }),
      });
    });

    it('…07 answers the Viber send with 503', async () => {
      const err = (await client.sendViberOtp(viberOtp(phone('07'))).catch((e: unknown) => e)) as RouteeError;

      expect(err).toBeInstanceOf(RouteeError);
      expect([err.kind, err.httpStatus, err.routeeCode]).toEqual(['server_error', 503, '503000000']);
    });
  });

  describe('scripted SMS outcomes', () => {
    it.each([
      ['04', 'Delivered', 'Delivered', 'The SMS was sent and it was delivered to its recipient.'],
      ['06', 'Undelivered', 'Undelivered on Handset', 'The SMS was sent but it could not be delivered to the handset.'],
      ['07', 'Delivered', 'Delivered', 'The SMS was sent and it was delivered to its recipient.'],
      ['08', 'Undelivered', 'Undelivered on Handset', 'The SMS was sent but it could not be delivered to the handset.'],
      ['42', 'Delivered', 'Delivered', 'The SMS was sent and it was delivered to its recipient.'],
    ])('…%s goes from Queued to %s', async (scenario, status, detailedStatus, description) => {
      const sent = await client.sendSms(sms(phone(scenario)));
      const first = await client.getSmsTracking(sent.trackingId);
      await settled();
      const last = await client.getSmsTracking(sent.trackingId);

      expect(first).toEqual({
        trackingId: sent.trackingId,
        status: 'Queued',
        statusDate: expect.any(String),
        price: 0.0375,
        latencyMs: 0,
        country: 'GR',
        operator: 'Cosmote',
        parts: 1,
        raw: expect.any(Array),
      });
      expect(last).toEqual({
        trackingId: sent.trackingId,
        status,
        statusDate: expect.any(String),
        detailedStatus,
        description,
        price: 0.0375,
        latencyMs: expect.any(Number),
        country: 'GR',
        operator: 'Cosmote',
        parts: 1,
        raw: expect.any(Array),
      });
      expect(last.latencyMs).toBeGreaterThanOrEqual(STATUS_DELAY_MS - 5);
    });

    it('folds a multipart SMS into one tracking with the summed price', async () => {
      const body = 'A'.repeat(400); // GSM-7: 3 parts of up to 153 septets
      const sent = await client.sendSms(sms(phone('04'), body));
      await settled();

      const tracking = await client.getSmsTracking(sent.trackingId);
      const parts = tracking.raw as Array<Record<string, unknown>>;

      expect(sent.raw).toEqual(
        expect.objectContaining({
          bodyAnalysis: { characters: 400, parts: 3, unicode: false, unsupportedGSMCharacters: [] },
        }),
      );
      expect(parts.map((p) => [p.messageId, p.part, p.parts, p.price])).toEqual([
        [sent.trackingId, 1, 3, 0.0375],
        [sent.trackingId, 2, 3, 0.0375],
        [sent.trackingId, 3, 3, 0.0375],
      ]);
      expect(new Set(parts.map((p) => p.smsId)).size).toBe(3);
      expect(tracking).toEqual<RouteeTracking>({
        trackingId: sent.trackingId,
        status: 'Delivered',
        statusDate: expect.any(String),
        detailedStatus: 'Delivered',
        description: 'The SMS was sent and it was delivered to its recipient.',
        price: 0.1125,
        latencyMs: expect.any(Number),
        country: 'GR',
        operator: 'Cosmote',
        parts: 3,
        raw: parts,
      });
    });

    it('counts a unicode body in 67-character parts', async () => {
      const sent = await client.sendSms(sms(phone('04'), 'Ο κωδικός σας είναι 482913. '.repeat(3)));

      expect((sent.raw as { bodyAnalysis: unknown }).bodyAnalysis).toEqual({
        characters: 84,
        parts: 2,
        unicode: true,
        unsupportedGSMCharacters: [],
      });
    });
  });

  describe('callbacks', () => {
    let receiver: Awaited<ReturnType<typeof startReceiver>>;

    beforeEach(async () => {
      receiver = await startReceiver();
    });

    afterEach(async () => {
      await receiver.close();
    });

    it('posts a Routee SMS delivery report per part on every status change', async () => {
      const sent = await client.sendSms(
        sms(phone('04'), 'B'.repeat(200), `${receiver.url}/routee/callbacks/sms?token=t1`),
      );
      await settled();

      const reports = receiver.received.map((r) => r.body);
      expect(receiver.received.every((r) => r.path === '/routee/callbacks/sms?token=t1')).toBe(true);
      expect(reports.map((r) => [(r.status as { name: string }).name, r.part]).sort()).toEqual(
        [
          ['Queued', 1],
          ['Queued', 2],
          ['Sent', 1],
          ['Sent', 2],
          ['Delivered', 1],
          ['Delivered', 2],
        ].sort(),
      );
      const delivered = reports.find((r) => (r.status as { name: string }).name === 'Delivered' && r.part === 1)!;
      expect(delivered).toEqual({
        messageId: sent.trackingId,
        smsId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        part: 1,
        parts: 2,
        label: 'login',
        to: `+${phone('04')}`,
        from: 'Acme',
        country: 'GR',
        operator: 'Cosmote',
        groups: [],
        status: {
          name: 'Delivered',
          reason: {
            detailedStatus: 'Delivered',
            description: 'The SMS was sent and it was delivered to its recipient.',
          },
          updatedDate: expect.any(String),
        },
        message: 'B'.repeat(200),
        applicationName: 'default',
        latency: expect.any(Number),
        price: 0.0375,
        direction: 'Outbound',
        originatingService: 'Sms',
      });
    });

    it("posts Viber OTP delivery reports, upper-case status names, to the application's Viber callback URL", async () => {
      // /viber/otp takes no callback per message: Routee posts to the URL set on the application
      await sandbox.setViberCallbackUrl(`${receiver.url}/routee/callbacks/viber?token=t1`);
      const sent = await client.sendViberOtp(viberOtp(phone('04')));
      await settled();
      await sandbox.setViberCallbackUrl(undefined);

      expect(receiver.received.every((r) => r.path === '/routee/callbacks/viber?token=t1')).toBe(true);
      const reports = receiver.received.map((r) => r.body);
      expect(reports.map((r) => (r.status as { name: string }).name)).toEqual(['QUEUED', 'SENT', 'DELIVERED', 'SEEN']);
      expect(reports[3]).toEqual({
        trackingId: sent.trackingId,
        to: `+${phone('04')}`,
        from: 'RouteeSandbox',
        groups: [],
        country: 'GR',
        status: {
          name: 'SEEN',
          reason: { detailedStatus: 'Seen', description: 'The message was delivered and read by the recipient.' },
          updatedDate: expect.any(String),
        },
        ttl: 60,
        label: 'transactional',
        applicationName: 'default',
        price: 0.0093,
        direction: 'Outbound',
        originatingService: 'Viber',
        createdAt: expect.any(String),
      });
    });
  });

  describe('Routee-shaped HTTP answers', () => {
    const token = async () => {
      const res = await fetch(`${sandbox.url}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${sandbox.appId}:${sandbox.appSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    const post = async (path: string, body: unknown, bearer?: string) => {
      const res = await fetch(`${sandbox.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };

    it('issues client-credentials tokens', async () => {
      expect(await token()).toEqual({
        status: 200,
        body: {
          access_token: expect.stringMatching(/^[0-9a-f-]{36}$/),
          token_type: 'bearer',
          expires_in: 3600,
          scope: 'sms viber account',
          permissions: ['MT_ROLE_SMS', 'MT_ROLE_VIBER', 'MT_ROLE_ACCOUNT_FINANCE'],
        },
      });
    });

    it('refuses a missing or revoked bearer token with 401', async () => {
      const { body: t } = await token();
      expect(await post('/sms', { from: 'Acme', to: '+306912345604', body: 'x' })).toEqual({
        status: 401,
        body: { code: '401000000', developerMessage: 'Invalid or expired access token' },
      });

      await sandbox.revokeTokens();
      expect(await post('/sms', { from: 'Acme', to: '+306912345604', body: 'x' }, t.access_token as string)).toEqual({
        status: 401,
        body: { code: '401000000', developerMessage: 'Invalid or expired access token' },
      });
    });

    const VIBER_OTP = {
      senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
      to: '+306912345604',
      ttl: 60,
      label: 'transactional',
      templateId: '0aac888f-2ee2-4112-9659-1755a951966a',
      templateParams: { pin: '482913' },
      templateLang: 'en',
    };
    const VALIDITY_TEMPLATE = 'bed0942f-e07e-4879-834b-29cc4cf3ec35';
    const SMS = { from: 'Acme', to: '+306912345604', body: 'Your code is 482913', ttl: 5 };
    const without = <T extends object>(o: T, key: keyof T) =>
      Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));
    const refusal = (code: string, properties: Record<string, string>) => ({
      status: 400,
      body: {
        code,
        developerMessage: Object.entries(properties)
          .map(([f, p]) => `${f}: ${p}`)
          .join('; '),
        properties,
      },
    });
    const VIBER_TO = 'must be one recipient in E.164 format, with + and the country code (e.g. +306912345678)';
    const SMS_TO = 'The SMS has no recipients or the recipient is not in E.164 format (+ and country code)';

    it('takes the bodies Routee documents', async () => {
      const { body: t } = await token();
      expect((await post('/viber/otp', VIBER_OTP, t.access_token as string)).status).toBe(200);
      expect(
        (
          await post(
            '/viber/otp',
            { ...VIBER_OTP, label: 'promotional', templateLang: 'br', ttl: 30, seq: 7, type: 'ALL_DEVICE' },
            t.access_token as string,
          )
        ).status,
      ).toBe(200);
      expect(
        (
          await post(
            '/viber/otp',
            { ...VIBER_OTP, templateId: VALIDITY_TEMPLATE, templateParams: { pin: '1234', codeValidityTime: 5 } },
            t.access_token as string,
          )
        ).status,
      ).toBe(200);
      expect((await post('/sms', SMS, t.access_token as string)).status).toBe(200);
      expect(
        (
          await post(
            '/sms',
            { ...SMS, from: '306912345678', callback: { url: 'https://example.com/cb', strategy: 'OnCompletion' } },
            t.access_token as string,
          )
        ).status,
      ).toBe(200);
    });

    // each row: what Routee's reference documents as invalid, refused with 400 and Routee's error body naming the field
    it.each<[string, string, unknown, string, Record<string, string>]>([
      ['Viber OTP to without +', '/viber/otp', { ...VIBER_OTP, to: '306912345604' }, '400019000', { to: VIBER_TO }],
      [
        'Viber OTP to as an array',
        '/viber/otp',
        { ...VIBER_OTP, to: ['+306912345604'] },
        '400019000',
        { to: VIBER_TO },
      ],
      ['Viber OTP without to', '/viber/otp', without(VIBER_OTP, 'to'), '400019000', { to: VIBER_TO }],
      [
        'Viber OTP without senderInfoTrackingId',
        '/viber/otp',
        without(VIBER_OTP, 'senderInfoTrackingId'),
        '400019000',
        { senderInfoTrackingId: 'may not be empty' },
      ],
      [
        'Viber OTP label other than transactional/promotional',
        '/viber/otp',
        { ...VIBER_OTP, label: 'login' },
        '400019000',
        { label: 'must be one of transactional, promotional' },
      ],
      [
        'Viber OTP ttl under 30 s',
        '/viber/otp',
        { ...VIBER_OTP, ttl: 29 },
        '400019000',
        { ttl: 'must be an integer between 30 and 86400' },
      ],
      [
        'Viber OTP ttl over 86400 s',
        '/viber/otp',
        { ...VIBER_OTP, ttl: 86401 },
        '400019000',
        { ttl: 'must be an integer between 30 and 86400' },
      ],
      [
        'Viber OTP type not documented',
        '/viber/otp',
        { ...VIBER_OTP, type: 'SOME' },
        '400019000',
        { type: 'must be one of PRIMARY_ONLY, ALL_DEVICE' },
      ],
      [
        'Viber OTP templateLang not ISO 639-1',
        '/viber/otp',
        { ...VIBER_OTP, templateLang: 'pt-BR' },
        '400019000',
        {
          templateLang:
            'must be one of ar, be, bg, br, cs, da, de, el, en, es, fa, fi, fr, he, hi, hr, id, it, ja, ko, my, nl, pl, pt, ru, sk, sr, sv, th, tr, uk, vi',
        },
      ],
      [
        'Viber OTP unknown template',
        '/viber/otp',
        { ...VIBER_OTP, templateId: 'no-such-template' },
        '400019000',
        { templateId: 'is not a template of the Viber OTP templates inventory' },
      ],
      [
        'Viber OTP without pin',
        '/viber/otp',
        { ...VIBER_OTP, templateParams: {} },
        '400019000',
        { 'templateParams.pin': 'is required by the template' },
      ],
      [
        'Viber OTP without templateParams',
        '/viber/otp',
        without(VIBER_OTP, 'templateParams'),
        '400019000',
        { templateParams: 'must be an object with the parameters of the template' },
      ],
      [
        'Viber OTP codeValidityTime as a string',
        '/viber/otp',
        { ...VIBER_OTP, templateId: VALIDITY_TEMPLATE, templateParams: { pin: '1234', codeValidityTime: '5' } },
        '400019000',
        {
          'templateParams.codeValidityTime': 'must be a whole number (e.g. 5), not a string',
        },
      ],
      [
        'Viber OTP parameter the template does not have',
        '/viber/otp',
        { ...VIBER_OTP, templateParams: { pin: '1234', pinType: 'login' } },
        '400019000',
        { 'templateParams.pinType': 'is not a parameter of the template' },
      ],
      [
        'Viber OTP text parameter with a link',
        '/viber/otp',
        { ...VIBER_OTP, templateParams: { pin: 'https://x.io' } },
        '400019000',
        { 'templateParams.pin': 'must not contain links' },
      ],
      [
        'Viber OTP text parameter over 50 characters',
        '/viber/otp',
        { ...VIBER_OTP, templateParams: { pin: '1'.repeat(51) } },
        '400019000',
        { 'templateParams.pin': 'must be at most 50 characters' },
      ],
      ['SMS to without +', '/sms', { ...SMS, to: '306912345604' }, '400005000', { to: SMS_TO }],
      ['SMS without to', '/sms', without(SMS, 'to'), '400005000', { to: SMS_TO }],
      [
        'SMS without from',
        '/sms',
        without(SMS, 'from'),
        '400005000',
        { from: 'The sender is invalid: up to 11 letters, digits and spaces, or up to 16 digits without +' },
      ],
      [
        'SMS numeric from with +',
        '/sms',
        { ...SMS, from: '+306912345678' },
        '400005000',
        { from: 'The sender is invalid: up to 11 letters, digits and spaces, or up to 16 digits without +' },
      ],
      ['SMS without body', '/sms', without(SMS, 'body'), '400005000', { body: 'may not be empty' }],
      [
        'SMS ttl under 1 minute',
        '/sms',
        { ...SMS, ttl: 0 },
        '400005000',
        { ttl: 'must be an integer between 1 and 4320' },
      ],
      [
        'SMS ttl over 4320 minutes',
        '/sms',
        { ...SMS, ttl: 4321 },
        '400005000',
        { ttl: 'must be an integer between 1 and 4320' },
      ],
      [
        'SMS callback strategy not documented',
        '/sms',
        { ...SMS, callback: { url: 'https://example.com/cb', strategy: 'Always' } },
        '400005000',
        { 'callback.strategy': 'must be OnChange or OnCompletion' },
      ],
      [
        'SMS with every problem at once',
        '/sms',
        { to: '1', ttl: 'x' },
        '400005000',
        {
          to: SMS_TO,
          from: 'The sender is invalid: up to 11 letters, digits and spaces, or up to 16 digits without +',
          body: 'may not be empty',
          ttl: 'must be an integer between 1 and 4320',
        },
      ],
    ])('refuses %s', async (_what, path, body, code, properties) => {
      await sandbox.reset();
      const { body: t } = await token();

      expect(await post(path, body, t.access_token as string)).toEqual(refusal(code, properties));
      expect((await sandbox.stats()).counts).toEqual({ viber: 0, sms: 0 });
    });

    it('refuses a body that is not a JSON object', async () => {
      const { body: t } = await token();
      expect(await post('/sms', [SMS], t.access_token as string)).toEqual({
        status: 400,
        body: { code: '400000000', developerMessage: 'The request body must be a JSON object' },
      });
    });

    it("answers Routee's 404 codes for unknown trackings", async () => {
      const { body: t } = await token();
      const get = async (path: string) => {
        const res = await fetch(`${sandbox.url}${path}`, {
          headers: { authorization: `Bearer ${t.access_token as string}` },
        });
        return { status: res.status, body: await res.json() };
      };
      expect(await get('/viber/tracking/unknown')).toEqual({
        status: 404,
        body: { code: '404019006', developerMessage: 'viberTracking was not found.' },
      });
      expect(await get('/sms/tracking/single/unknown')).toEqual({
        status: 404,
        body: { code: '404005000', developerMessage: 'Tracking not found.' },
      });
    });

    it('counts sends, attempts and tokens, and forgets them on reset', async () => {
      await sandbox.reset();
      await client.sendSms(sms(phone('04')));
      await client.sendViberOtp(viberOtp(phone('04'))).catch(() => undefined);
      await client.sendViberOtp(viberOtp(phone('05'))).catch(() => undefined);

      const stats = await sandbox.stats();
      expect(stats).toEqual({
        counts: { viber: 1, sms: 1 },
        attempts: { viber: 2, sms: 1 },
        tokensIssued: expect.any(Number),
        callbacksPosted: expect.any(Number),
        requests: expect.any(Number),
        faulted: { unavailable: 0, hang: 0, reset_before: 0, reset_after: 0 },
        sends: [
          {
            channel: 'sms',
            to: phone('04'),
            trackingId: expect.any(String),
            body: 'Your code is 482913',
            at: expect.any(String),
          },
          {
            channel: 'viber',
            to: phone('04'),
            trackingId: expect.any(String),
            templateParams: { pin: '482913' },
            at: expect.any(String),
          },
        ],
      });

      await sandbox.reset();
      expect(await sandbox.stats()).toEqual({
        counts: { viber: 0, sms: 0 },
        attempts: { viber: 0, sms: 0 },
        tokensIssued: 0,
        callbacksPosted: expect.any(Number),
        requests: 0,
        faulted: { unavailable: 0, hang: 0, reset_before: 0, reset_after: 0 },
        sends: [],
      });
    });
  });
});
