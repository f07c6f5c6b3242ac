import { createServer, IncomingMessage, Server } from 'node:http';
import { RouteeClient, RouteeError, type RouteeTracking } from '@app/routee';
import { spawnSandbox, type SpawnedSandbox } from '../apps/routee-sandbox/src/testing/spawn-sandbox';
import { smsSendRequest, viberOtpSendRequest } from './support/factories';

/** The sandbox's scripted outcomes, tracking, callbacks and Routee-shaped errors, over real HTTP. */

const STATUS_DELAY_MS = 50;
const SEEN_DELAY_MS = 30;
const phone = (scenario: string) => `3069123456${scenario}`;

const viberOtp = (to: string, callbackUrl?: string) => viberOtpSendRequest({ to, callbackUrl });
const sms = (to: string, body = 'Your code is 482913', callbackUrl?: string) => smsSendRequest({ to, body, callbackUrl });

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
        expect.objectContaining({ bodyAnalysis: { characters: 400, parts: 3, unicode: false, unsupportedGSMCharacters: [] } }),
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
      const sent = await client.sendSms(sms(phone('04'), 'B'.repeat(200), `${receiver.url}/routee/callbacks/sms?token=t1`));
      await settled();

      const reports = receiver.received.map((r) => r.body);
      expect(receiver.received.every((r) => r.path === '/routee/callbacks/sms?token=t1')).toBe(true);
      expect(reports.map((r) => [(r.status as { name: string }).name, r.part]).sort()).toEqual(
        [
          ['Queued', 1], ['Queued', 2],
          ['Sent', 1], ['Sent', 2],
          ['Delivered', 1], ['Delivered', 2],
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
          reason: { detailedStatus: 'Delivered', description: 'The SMS was sent and it was delivered to its recipient.' },
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

    it('posts Viber delivery reports with upper-case status names', async () => {
      const sent = await client.sendViberOtp(viberOtp(phone('04'), `${receiver.url}/routee/callbacks/viber?token=t1`));
      await settled();

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
        label: 'login',
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

    it.each([
      ['/sms', { from: 'Acme', body: 'x' }, '400005000', 'The SMS has no recipients or the recipient is not a valid E.164 number'],
      ['/sms', { from: 'Acme', to: '+306912345604' }, '400000000', 'body: may not be empty'],
      ['/sms', { from: 'Acme', to: '+306912345604', body: 'x', ttl: 0 }, '400000000', 'ttl: must be an integer between 1 and 4320'],
      ['/viber/otp', { to: ['306912345604'], templateId: 't', templateParams: { pin: '1' } }, '400019000', 'senderInfoTrackingId: may not be empty'],
      ['/viber/otp', { senderInfoTrackingId: 's', to: ['306912345604'], templateId: 't', templateParams: {} }, '400019000', 'templateParams.pin: may not be empty'],
      ['/viber/otp', { senderInfoTrackingId: 's', to: ['1', '2'], templateId: 't', templateParams: { pin: '1' } }, '400019000', 'to: exactly one recipient in E.164 format is required'],
    ])('validates %s bodies: %j', async (path, body, code, developerMessage) => {
      const { body: t } = await token();

      expect(await post(path, body, t.access_token as string)).toEqual({ status: 400, body: { code, developerMessage } });
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
          { channel: 'sms', to: phone('04'), trackingId: expect.any(String), body: 'Your code is 482913', at: expect.any(String) },
          { channel: 'viber', to: phone('04'), trackingId: expect.any(String), templateParams: { pin: '482913' }, at: expect.any(String) },
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
