import { createServer, IncomingMessage, Server } from 'node:http';
import {
  readVoiceCallback,
  RouteeClient,
  RouteeError,
  type RouteeTracking,
  type ViberSendRequest,
  type VoiceCallRequest,
} from '@app/routee';
import { spawnSandbox, type SpawnedSandbox } from '../apps/routee-sandbox/src/testing/spawn-sandbox';
import { smsSendRequest, viberOtpSendRequest } from './support/factories';

/** The sandbox's scripted outcomes, tracking, callbacks and Routee-shaped errors, over real HTTP. */

// long enough that a loaded 2-core box reads the first status before the next one is due
const STATUS_DELAY_MS = 200;
const SEEN_DELAY_MS = 100;
const phone = (scenario: string) => `3069123456${scenario}`;

const viberOtp = (to: string) => viberOtpSendRequest({ to });
const sms = (to: string, body = 'Your code is 482913', callbackUrl?: string) =>
  smsSendRequest({ to, body, callbackUrl });

const viberMessage = (to: string, overrides: Partial<ViberSendRequest> = {}): ViberSendRequest => ({
  senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
  to,
  ttlSeconds: 600,
  text: 'Your code is 482913',
  label: 'login',
  ...overrides,
});
const voiceCall = (to: string, overrides: Partial<VoiceCallRequest> = {}): VoiceCallRequest => ({
  from: 'Acme',
  to,
  verbs: [{ type: 'SAY', message: { language: 'en-US', gender: 'female', text: 'Your code is 4 8 2 9 1 3' } }],
  ...overrides,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** after the last scripted change (final + SEEN) with room for a loaded CI box */
const settled = () => sleep(STATUS_DELAY_MS + SEEN_DELAY_MS + 300);

interface Received {
  path: string;
  body: Record<string, unknown>;
}

interface Receiver {
  url: string;
  received: Received[];
  /** resolves once `n` callbacks have arrived (at most 10 s), then after the scripted changes' time, for any extra */
  settled(n: number): Promise<void>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
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
    settled: async (n) => {
      const deadline = Date.now() + 10_000;
      while (received.length < n && Date.now() < deadline) await sleep(20);
      await settled();
    },
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

  describe('scripted Viber message outcomes (POST /viber, the Viber OTP suffixes)', () => {
    it.each([
      ['01', 'EXPIRED', 'TTL Expired', 0],
      ['02', 'UNDELIVERED', 'Not Viber User', 0],
      ['03', 'DELIVERED', 'Delivered', 0.0093],
      ['04', 'SEEN', 'Seen', 0.0093],
      ['08', 'FAILED', 'Message Rejected', 0],
      ['09', 'UNSENT', 'Unsent', 0],
      ['42', 'SEEN', 'Seen', 0.0093],
    ] as const)('…%s goes from QUEUED to %s, tracked on /viber/tracking', async (scenario, status, detailed, price) => {
      const sent = await client.sendViber(viberMessage(phone(scenario)));
      const first = await client.getViberTracking(sent.trackingId);
      await settled();
      const last = await client.getViberTracking(sent.trackingId);

      expect([sent.status, first.status]).toEqual(['QUEUED', 'QUEUED']);
      expect(last).toEqual({
        trackingId: sent.trackingId,
        status,
        statusDate: expect.any(String),
        detailedStatus: detailed,
        description: expect.any(String),
        price,
        country: 'GR',
        raw: expect.objectContaining({
          to: `+${phone(scenario)}`,
          message: 'Your code is 482913',
          originatingService: 'Viber',
          direction: 'Outbound',
          ttl: 600,
          label: 'login',
        }),
      });
    });

    it.each([
      ['05', 'insufficient_balance', 400, '400001009'],
      ['07', 'server_error', 503, '503000000'],
    ] as const)('…%s refuses the send (%s)', async (scenario, kind, httpStatus, code) => {
      const err = (await client.sendViber(viberMessage(phone(scenario))).catch((e: unknown) => e)) as RouteeError;
      expect([err.kind, err.httpStatus, err.routeeCode]).toEqual([kind, httpStatus, code]);
    });

    it("answers with the reference's response fields (imageUrl, viberAction, viberFile.fileUrl)", async () => {
      const sent = await client.sendViber(
        viberMessage(phone('04'), {
          imageUrl: 'https://example.com/i.png',
          action: { caption: 'Open', targetUrl: 'https://example.com/' },
          inboundUrl: 'https://example.com/in',
        }),
      );
      const file = await client.sendViber(
        viberMessage(phone('04'), {
          text: undefined,
          viberFile: { fileName: 'a.pdf', fileType: 'pdf', fileUrl: 'https://example.com/a.pdf' },
        }),
      );

      expect(sent.raw).toEqual({
        trackingId: sent.trackingId,
        to: `+${phone('04')}`,
        from: 'RouteeSandbox',
        country: 'GR',
        status: { status: 'QUEUED', date: expect.any(String) },
        applicationName: 'default',
        direction: 'Outbound',
        ttl: 600,
        message: 'Your code is 482913',
        imageUrl: 'https://example.com/i.png',
        viberAction: { caption: 'Open', targetUrl: 'https://example.com/' },
        label: 'login',
        inboundUrl: 'https://example.com/in',
      });
      expect((file.raw as Record<string, unknown>).viberFile).toEqual({
        fileName: 'a.pdf',
        fileType: 'pdf',
        fileUrl: 'https://example.com/a.pdf',
      });
    });
  });

  describe('scripted Voice outcomes (POST /voice/conversation)', () => {
    it.each([
      ['04', 'Completed', 4, 0.0039466668, 'HUMAN'],
      ['42', 'Completed', 4, 0.0039466668, 'HUMAN'],
      ['06', 'Completed', 4, 0.0039466668, 'MACHINE'],
      ['02', 'Busy', 0, 0, 'UNKNOWN'],
      ['03', 'NoAnswer', 0, 0, 'UNKNOWN'],
      ['08', 'Failed', 0, 0, 'UNKNOWN'],
      ['09', 'Unsent', 0, 0, 'UNKNOWN'],
    ] as const)('…%s goes from Queued to %s', async (scenario, status, duration, price, answeredBy) => {
      const sent = await client.startVoiceCall(voiceCall(phone(scenario)));
      const first = await client.getVoiceTracking(sent.trackingId);
      await settled();
      const last = await client.getVoiceTracking(sent.trackingId);

      expect(sent).toEqual({
        trackingId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        status: 'Queued',
        raw: {
          trackingId: sent.trackingId,
          direction: 'Outbound',
          from: 'Acme',
          to: { phone: `+${phone(scenario)}` },
          dialPlan: { verbs: voiceCall('').verbs },
          createdAt: expect.any(String),
        },
      });
      expect(first).toEqual({
        trackingId: sent.trackingId,
        messageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        // not final yet: Queued, or a later step of the call when the machine was slow to ask (from 1/4 of the delay on)
        status: expect.stringMatching(/^(Queued|Initiated|Ringing|InProgress)$/),
        statusDate: expect.any(String),
        price: 0,
        duration: 0,
        answeredBy,
        country: 'GR',
        raw: expect.anything(),
      });
      expect(last).toEqual({
        ...first,
        status,
        statusDate: expect.any(String),
        price,
        duration,
        raw: {
          content: [
            {
              messageId: first.messageId,
              conversationTrackingId: sent.trackingId,
              to: `+${phone(scenario)}`,
              from: 'Acme',
              country: 'GR',
              status: { status, date: expect.any(String) },
              originatingService: 'Voice',
              direction: 'Outbound',
              duration,
              price,
              chargeInterval: 1,
              recordings: [],
              answeredBy,
            },
          ],
          last: true,
          first: true,
          totalElements: 1,
          totalPages: 1,
          size: 20,
          number: 0,
          numberOfElements: 1,
        },
      });
    });

    it.each([
      ['05', 'insufficient_balance', 400, '400001009'],
      ['07', 'server_error', 503, '503000000'],
    ] as const)('…%s refuses the call (%s)', async (scenario, kind, httpStatus, code) => {
      const err = (await client.startVoiceCall(voiceCall(phone(scenario))).catch((e: unknown) => e)) as RouteeError;
      expect([err.kind, err.httpStatus, err.routeeCode]).toEqual([kind, httpStatus, code]);
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
      await receiver.settled(6);

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
      await receiver.settled(4);
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

  describe('callbacks of Viber messages and Voice calls', () => {
    let receiver: Awaited<ReturnType<typeof startReceiver>>;

    beforeEach(async () => {
      receiver = await startReceiver();
    });

    afterEach(async () => {
      await receiver.close();
    });

    it("posts a /viber message's reports to its own callbackUrl, its content in `body`", async () => {
      const sent = await client.sendViber(
        viberMessage(phone('04'), {
          imageUrl: 'https://example.com/i.png',
          action: { caption: 'Open', targetUrl: 'https://example.com/' },
          callbackUrl: `${receiver.url}/routee/callbacks/viber?token=t1`,
        }),
      );
      await receiver.settled(4);

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
        body: {
          text: 'Your code is 482913',
          imageURL: 'https://example.com/i.png',
          viberAction: { caption: 'Open', targetUrl: 'https://example.com/' },
        },
        ttl: 600,
        label: 'login',
        applicationName: 'default',
        price: 0.0093,
        direction: 'Outbound',
        originatingService: 'Viber',
        createdAt: expect.any(String),
      });
    });

    // DECISION (Routee's pages are silent): a /viber message without its own callbackUrl reports where a
    // Viber OTP does, to the application's Viber callback URL (set in Routee's portal); with one, only there.
    it("DECISION: a /viber message without callbackUrl reports to the application's Viber callback URL", async () => {
      await sandbox.setViberCallbackUrl(`${receiver.url}/application`);
      await client.sendViber(viberMessage(phone('02')));
      await client.sendViber(viberMessage(phone('02'), { callbackUrl: `${receiver.url}/own` }));
      await receiver.settled(6);
      await sandbox.setViberCallbackUrl(undefined);

      const names = (path: string) =>
        receiver.received.filter((r) => r.path === path).map((r) => (r.body.status as { name: string }).name);
      expect([names('/application'), names('/own')]).toEqual([
        ['QUEUED', 'SENT', 'UNDELIVERED'],
        ['QUEUED', 'SENT', 'UNDELIVERED'],
      ]);
    });

    it("posts Routee's voice callback body on every change (OnChange)", async () => {
      const sent = await client.startVoiceCall(
        voiceCall(phone('04'), { callbackUrl: `${receiver.url}/routee/callbacks/voice?token=t1` }),
      );
      await receiver.settled(5);

      expect(receiver.received.every((r) => r.path === '/routee/callbacks/voice?token=t1')).toBe(true);
      const reports = receiver.received.map((r) => r.body);
      expect(reports.map((r) => (r.status as { name: string }).name)).toEqual([
        'Queued',
        'Initiated',
        'Ringing',
        'InProgress',
        'Completed',
      ]);
      expect(reports[4]).toEqual({
        messageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        conversationTrackingId: sent.trackingId,
        to: `+${phone('04')}`,
        from: 'Acme',
        status: { name: 'Completed', updatedDate: expect.any(String) },
        direction: 'Outbound',
        originatingService: 'Voice',
        respectQuietHours: false,
        duration: 4,
        price: 0.0039466668,
      });
      expect(readVoiceCallback(reports[4])?.status).toBe('Completed');
    });

    it('posts the final state only with OnCompletion', async () => {
      const token = await fetch(`${sandbox.url}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${sandbox.appId}:${sandbox.appSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      }).then((r) => r.json() as Promise<{ access_token: string }>);
      const res = await fetch(`${sandbox.url}/voice/conversation`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token.access_token}` },
        body: JSON.stringify({
          from: 'Acme',
          to: { phone: `+${phone('03')}` },
          dialPlan: { verbs: [{ type: 'PLAY', fileURL: 'https://example.com/code.wav' }] },
          callback: { url: `${receiver.url}/cb`, strategy: 'OnCompletion' },
        }),
      });
      expect(res.status).toBe(200);
      await receiver.settled(1);

      expect(receiver.received.map((r) => (r.body.status as { name: string }).name)).toEqual(['NoAnswer']);
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

    const VIBER_MESSAGE = {
      senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
      to: '+306912345604',
      body: {
        text: 'Your code is 482913',
        imageURL: 'https://example.com/i.png',
        action: { caption: 'Open', targetUrl: 'https://example.com/' },
      },
      ttl: 600,
      label: 'login',
      inboundUrl: 'https://example.com/in',
      callbackUrl: 'https://example.com/cb',
    };
    const FILE = { fileName: 'a.pdf', fileType: 'pdf', fileURL: 'https://example.com/a.pdf' };
    const withBody = (body: Record<string, unknown>) => ({ ...VIBER_MESSAGE, body });
    const SAY = { type: 'SAY', message: { language: 'en-US', gender: 'female', text: 'Your code is 4 8 2 9 1 3' } };
    const PLAY = { type: 'PLAY', fileURL: 'https://example.com/code.wav', repeat: 1, bargeIn: false };
    const VOICE = {
      from: 'Acme',
      to: { phone: '+306912345604' },
      dialPlan: { verbs: [SAY, PLAY] },
      machineDetection: { strategy: 'Hangup' },
      callback: { url: 'https://example.com/cb', strategy: 'OnChange' },
    };
    const withVerb = (verb: unknown) => ({ ...VOICE, dialPlan: { verbs: [verb] } });
    const VOICE_TO = 'must be a phone number in E.164 format, with + and the country code (e.g. +306912345678)';
    const LANGUAGES =
      'must be one of en-US, de-DE, fr-FR, it-IT, pt-BR, es-ES, es-LA, en-GB, el-GR, bg-BG, pl-PL, hu-HU, sv-SE, ru-RU';

    it('takes the /viber and /voice/conversation bodies Routee documents', async () => {
      const { body: t } = await token();
      const bearer = t.access_token as string;
      const taken = async (path: string, body: unknown) => (await post(path, body, bearer)).status;
      expect(
        await Promise.all([
          taken('/viber', VIBER_MESSAGE),
          taken('/viber', { senderInfoTrackingId: 's', to: '+306912345604', body: { imageURL: 'https://x.io/i.png' } }),
          taken('/viber', { senderInfoTrackingId: 's', to: '+306912345604', body: { viberFile: FILE }, ttl: 30 }),
          taken('/viber', { ...VIBER_MESSAGE, ttl: 86400, isSessionMessage: false }),
          taken('/voice/conversation', VOICE),
          // the Failover API's own example: empty viber and sip, repeat and bargeIn on each verb
          taken('/voice/conversation', { ...VOICE, to: { phone: '+306912345604', viber: '', sip: '' } }),
          taken('/voice/conversation', withVerb({ type: 'SAY', message: { language: 'el-GR', text: 'Γεια' } })),
          taken('/voice/conversation', withVerb({ ...PLAY, repeat: -1 })),
          taken('/voice/conversation', withVerb({ type: 'DIAL', from: 'Acme', to: { phone: '+306912345678' } })),
          taken('/voice/conversation', { from: 'Acme', to: VOICE.to, dialPlanUrl: 'https://example.com/plan' }),
          taken('/voice/conversation', {
            ...VOICE,
            machineDetection: { strategy: 'Continue', eventUrl: 'https://example.com/amd' },
            callback: { url: 'https://example.com/cb', strategy: 'OnCompletion' },
            hangupDelay: 30,
            maxDuration: 120,
          }),
          taken('/voice/conversation', { ...VOICE, dialPlan: { verbs: Array(10).fill(SAY) } }),
        ]),
      ).toEqual(Array(12).fill(200));
    });

    // one row per field Routee's reference constrains: 400 and Routee's error body naming that field
    it.each<[string, string, unknown, string, Record<string, string>]>([
      ['Viber message to without +', '/viber', { ...VIBER_MESSAGE, to: '306912345604' }, '400019000', { to: VIBER_TO }],
      ['Viber message without to', '/viber', without(VIBER_MESSAGE, 'to'), '400019000', { to: VIBER_TO }],
      [
        'Viber message without senderInfoTrackingId',
        '/viber',
        without(VIBER_MESSAGE, 'senderInfoTrackingId'),
        '400019000',
        { senderInfoTrackingId: 'may not be empty' },
      ],
      [
        'Viber message without body',
        '/viber',
        without(VIBER_MESSAGE, 'body'),
        '400019000',
        { body: 'must be an object {text, imageURL, action, viberFile}' },
      ],
      [
        'Viber message without text, image or file',
        '/viber',
        withBody({}),
        '400019000',
        { 'body.text': 'may not be empty unless an image or a file is given' },
      ],
      [
        'Viber message text over 1000 characters',
        '/viber',
        withBody({ text: 'x'.repeat(1001) }),
        '400019000',
        { 'body.text': 'must be a string of at most 1000 characters' },
      ],
      [
        'Viber message image not https',
        '/viber',
        withBody({ text: 'x', imageURL: 'http://example.com/i.png' }),
        '400019000',
        { 'body.imageURL': 'must be an https URL of at most 1000 characters' },
      ],
      [
        'Viber message image URL over 1000 characters',
        '/viber',
        withBody({ text: 'x', imageURL: `https://example.com/${'i'.repeat(1000)}` }),
        '400019000',
        { 'body.imageURL': 'must be an https URL of at most 1000 characters' },
      ],
      [
        'Viber message button caption empty',
        '/viber',
        withBody({ text: 'x', action: { caption: '', targetUrl: 'https://example.com/' } }),
        '400019000',
        { 'body.action.caption': 'must be a string of 1 to 30 characters' },
      ],
      [
        'Viber message button caption over 30 characters',
        '/viber',
        withBody({ text: 'x', action: { caption: 'c'.repeat(31), targetUrl: 'https://example.com/' } }),
        '400019000',
        { 'body.action.caption': 'must be a string of 1 to 30 characters' },
      ],
      [
        'Viber message button without targetUrl',
        '/viber',
        withBody({ text: 'x', action: { caption: 'Open' } }),
        '400019000',
        { 'body.action.targetUrl': 'must be an http(s) URL' },
      ],
      [
        'Viber message file name over 25 characters',
        '/viber',
        withBody({ viberFile: { ...FILE, fileName: `${'f'.repeat(22)}.pdf` } }),
        '400019000',
        { 'body.viberFile.fileName': 'must be a string of 1 to 25 characters' },
      ],
      [
        'Viber message file without fileType',
        '/viber',
        withBody({ viberFile: without(FILE, 'fileType') }),
        '400019000',
        { 'body.viberFile.fileType': 'may not be empty' },
      ],
      [
        'Viber message file URL not https',
        '/viber',
        withBody({ viberFile: { ...FILE, fileURL: 'http://example.com/a.pdf' } }),
        '400019000',
        { 'body.viberFile.fileURL': 'must be an https URL' },
      ],
      [
        'Viber message ttl under 30 s',
        '/viber',
        { ...VIBER_MESSAGE, ttl: 29 },
        '400019000',
        { ttl: 'must be an integer between 30 and 86400' },
      ],
      [
        'Viber message ttl over 86400 s',
        '/viber',
        { ...VIBER_MESSAGE, ttl: 86401 },
        '400019000',
        { ttl: 'must be an integer between 30 and 86400' },
      ],
      [
        'Viber message label over 350 characters',
        '/viber',
        { ...VIBER_MESSAGE, label: 'l'.repeat(351) },
        '400019000',
        { label: 'must be a string of at most 350 characters' },
      ],
      [
        'Viber message callbackUrl not a URL',
        '/viber',
        { ...VIBER_MESSAGE, callbackUrl: 'example.com/cb' },
        '400019000',
        { callbackUrl: 'must be an http(s) URL' },
      ],
      [
        'Viber message inboundUrl not a URL',
        '/viber',
        { ...VIBER_MESSAGE, inboundUrl: 'in' },
        '400019000',
        { inboundUrl: 'must be an http(s) URL' },
      ],
      [
        'Viber message isSessionMessage not a boolean',
        '/viber',
        { ...VIBER_MESSAGE, isSessionMessage: 'yes' },
        '400019000',
        { isSessionMessage: 'must be true or false' },
      ],
      ['Voice without from', '/voice/conversation', without(VOICE, 'from'), '400013000', { from: 'may not be empty' }],
      [
        'Voice to as a string',
        '/voice/conversation',
        { ...VOICE, to: '+306912345604' },
        '400013000',
        { 'to.phone': VOICE_TO },
      ],
      [
        'Voice to.phone without +',
        '/voice/conversation',
        { ...VOICE, to: { phone: '306912345604' } },
        '400013000',
        { 'to.phone': VOICE_TO },
      ],
      [
        'Voice without dialPlan',
        '/voice/conversation',
        without(VOICE, 'dialPlan'),
        '400013000',
        { dialPlan: 'is required (or dialPlanUrl)' },
      ],
      [
        'Voice dialPlanUrl not a URL',
        '/voice/conversation',
        { ...without(VOICE, 'dialPlan'), dialPlanUrl: 'plan' },
        '400013000',
        { dialPlanUrl: 'must be an http(s) URL' },
      ],
      [
        'Voice without verbs',
        '/voice/conversation',
        { ...VOICE, dialPlan: { verbs: [] } },
        '400013000',
        { 'dialPlan.verbs': 'must be a list of 1 to 10 verbs' },
      ],
      [
        'Voice over 10 verbs',
        '/voice/conversation',
        { ...VOICE, dialPlan: { verbs: Array(11).fill(SAY) } },
        '400013000',
        { 'dialPlan.verbs': 'must be a list of 1 to 10 verbs' },
      ],
      [
        'Voice verb without type',
        '/voice/conversation',
        withVerb(without(PLAY, 'type')),
        '400013000',
        { 'dialPlan.verbs[0].type': 'may not be empty' },
      ],
      [
        'Voice verb of no documented type',
        '/voice/conversation',
        withVerb({ ...PLAY, type: 'SING' }),
        '400013000',
        { 'dialPlan.verbs[0].type': 'must be one of SAY, PLAY, DIAL, COLLECT, PAUSE' },
      ],
      [
        'Voice PLAY without fileURL',
        '/voice/conversation',
        withVerb(without(PLAY, 'fileURL')),
        '400013000',
        { 'dialPlan.verbs[0].fileURL': 'must be an http(s) URL of a .wav file' },
      ],
      [
        'Voice PLAY fileURL not http(s)',
        '/voice/conversation',
        withVerb({ ...PLAY, fileURL: 'ftp://example.com/code.wav' }),
        '400013000',
        { 'dialPlan.verbs[0].fileURL': 'must be an http(s) URL of a .wav file' },
      ],
      [
        'Voice repeat under -1',
        '/voice/conversation',
        withVerb({ ...PLAY, repeat: -2 }),
        '400013000',
        { 'dialPlan.verbs[0].repeat': 'must be a whole number, -1 (forever) or more' },
      ],
      [
        'Voice bargeIn not a boolean',
        '/voice/conversation',
        withVerb({ ...PLAY, bargeIn: 'no' }),
        '400013000',
        { 'dialPlan.verbs[0].bargeIn': 'must be true or false' },
      ],
      [
        'Voice SAY without message',
        '/voice/conversation',
        withVerb({ type: 'SAY' }),
        '400013000',
        { 'dialPlan.verbs[0].message': 'must be an object {text, language, gender}' },
      ],
      [
        'Voice SAY without text',
        '/voice/conversation',
        withVerb({ type: 'SAY', message: { language: 'en-US', gender: 'male' } }),
        '400013000',
        { 'dialPlan.verbs[0].message.text': 'may not be empty' },
      ],
      [
        'Voice SAY without language',
        '/voice/conversation',
        withVerb({ type: 'SAY', message: { gender: 'male', text: 'x' } }),
        '400013000',
        { 'dialPlan.verbs[0].message.language': 'may not be empty' },
      ],
      [
        'Voice SAY language not one of the 14',
        '/voice/conversation',
        withVerb({ type: 'SAY', message: { language: 'en', text: 'x' } }),
        '400013000',
        { 'dialPlan.verbs[0].message.language': LANGUAGES },
      ],
      [
        'Voice SAY gender neither male nor female',
        '/voice/conversation',
        withVerb({ type: 'SAY', message: { language: 'en-US', gender: 'robot', text: 'x' } }),
        '400013000',
        { 'dialPlan.verbs[0].message.gender': 'must be one of male, female' },
      ],
      [
        'Voice machineDetection strategy not documented',
        '/voice/conversation',
        { ...VOICE, machineDetection: { strategy: 'Drop' } },
        '400013000',
        { 'machineDetection.strategy': 'must be Hangup or Continue' },
      ],
      [
        'Voice machineDetection eventUrl not a URL',
        '/voice/conversation',
        { ...VOICE, machineDetection: { strategy: 'Continue', eventUrl: 'amd' } },
        '400013000',
        { 'machineDetection.eventUrl': 'must be an http(s) URL' },
      ],
      [
        "Voice callback strategy not documented (OnStep is the Failover API's)",
        '/voice/conversation',
        { ...VOICE, callback: { url: 'https://example.com/cb', strategy: 'OnStep' } },
        '400013000',
        { 'callback.strategy': 'must be OnChange or OnCompletion' },
      ],
      [
        'Voice callback url not a URL',
        '/voice/conversation',
        { ...VOICE, callback: { url: 'cb', strategy: 'OnChange' } },
        '400013000',
        { 'callback.url': 'must be an http(s) URL' },
      ],
      [
        'Voice hangupDelay under 1 s',
        '/voice/conversation',
        { ...VOICE, hangupDelay: 0 },
        '400013000',
        { hangupDelay: 'must be a whole number of seconds, 1 or more' },
      ],
      [
        'Voice maxDuration under 1 s',
        '/voice/conversation',
        { ...VOICE, maxDuration: 0 },
        '400013000',
        { maxDuration: 'must be a whole number of seconds, 1 or more' },
      ],
      [
        'Voice with every problem at once',
        '/voice/conversation',
        { to: {}, dialPlan: { verbs: [{ type: 'PLAY' }, { type: 'SAY', message: {} }] } },
        '400013000',
        {
          from: 'may not be empty',
          'to.phone': VOICE_TO,
          'dialPlan.verbs[0].fileURL': 'must be an http(s) URL of a .wav file',
          'dialPlan.verbs[1].message.text': 'may not be empty',
          'dialPlan.verbs[1].message.language': 'may not be empty',
        },
      ],
    ])('refuses %s', async (_what, path, body, code, properties) => {
      await sandbox.reset();
      const { body: t } = await token();

      expect(await post(path, body, t.access_token as string)).toEqual(refusal(code, properties));
      const stats = await sandbox.stats();
      expect([stats.counts, stats.voice]).toEqual([
        { viber: 0, sms: 0 },
        { calls: 0, attempts: 0 },
      ]);
    });

    // DECISION (Routee's pages are silent): fields the reference does not list are ignored, as on /sms and
    // /viber/otp; so a misspelt field is no field: `body.imageUrl` (the answer's casing) is no image, and a
    // body with nothing else is refused for its missing text.
    it('DECISION: unknown fields are ignored, so a misspelt body.imageUrl is no image', async () => {
      const { body: t } = await token();
      const misspelt = withBody({ imageUrl: 'https://example.com/i.png' });
      expect(await post('/viber', misspelt, t.access_token as string)).toEqual(
        refusal('400019000', { 'body.text': 'may not be empty unless an image or a file is given' }),
      );
      expect((await post('/viber', { ...VIBER_MESSAGE, colour: 'blue' }, t.access_token as string)).status).toBe(200);
    });

    // DECISION (sandbox scope): DIAL, COLLECT and PAUSE are Routee verbs (dialplan-verbs, the IVR how-to) and
    // are taken without checks, since the sandbox plays no dial plan; PLAY and SAY, which a Failover Voice
    // step sends, are checked field by field; anything else is refused.
    it('DECISION: DIAL, COLLECT and PAUSE verbs are taken unchecked; other verb types are refused', async () => {
      const { body: t } = await token();
      const statuses = await Promise.all(
        [
          { type: 'DIAL' },
          { type: 'COLLECT', eventUrl: 'https://example.com/dtmf' },
          { type: 'PAUSE', duration: 3 },
        ].map(async (verb) => (await post('/voice/conversation', withVerb(verb), t.access_token as string)).status),
      );
      expect(statuses).toEqual([200, 200, 200]);
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
      expect(await get('/voice/tracking/conversation/unknown')).toEqual({
        status: 404,
        body: { code: '404013000', developerMessage: 'Conversation tracking not found.' },
      });
    });

    it('counts sends, attempts and tokens, and forgets them on reset', async () => {
      await sandbox.reset();
      await client.sendSms(sms(phone('04')));
      await client.sendViberOtp(viberOtp(phone('04'))).catch(() => undefined);
      await client.sendViberOtp(viberOtp(phone('05'))).catch(() => undefined);
      const call = await client.startVoiceCall(voiceCall(phone('04')));
      await client.startVoiceCall(voiceCall(phone('07'))).catch(() => undefined);

      const stats = await sandbox.stats();
      expect(stats).toEqual({
        counts: { viber: 1, sms: 1 },
        attempts: { viber: 2, sms: 1 },
        voice: { calls: 1, attempts: 2 },
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
          { channel: 'voice', to: phone('04'), trackingId: call.trackingId, at: expect.any(String) },
        ],
      });

      await sandbox.reset();
      expect(await sandbox.stats()).toEqual({
        counts: { viber: 0, sms: 0 },
        attempts: { viber: 0, sms: 0 },
        voice: { calls: 0, attempts: 0 },
        tokensIssued: 0,
        callbacksPosted: expect.any(Number),
        requests: 0,
        faulted: { unavailable: 0, hang: 0, reset_before: 0, reset_after: 0 },
        sends: [],
      });
    });
  });
});
