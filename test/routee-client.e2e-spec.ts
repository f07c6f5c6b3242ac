import { createServer } from 'node:net';
import {
  RouteeClient,
  type RouteeClientOptions,
  type RouteeError,
  type SmsSendRequest,
  type ViberOtpSendRequest,
  type ViberSendRequest,
  type VoiceCallRequest,
} from '@app/routee';
import { spawnSandbox, type SpawnedSandbox } from '../apps/routee-sandbox/src/testing/spawn-sandbox';
import { smsSendRequest, viberOtpSendRequest } from './support/factories';
import { caught } from './support/routee-error';

/** Real HTTP between RouteeClient and the Routee sandbox (in a child process, see spawn-sandbox.ts). */

const phone = (scenario: string) => `3069123456${scenario}`;

const viberOtp = (overrides: Partial<ViberOtpSendRequest> = {}) =>
  viberOtpSendRequest({ to: phone('04'), ...overrides });
const sms = (overrides: Partial<SmsSendRequest> = {}) => smsSendRequest({ to: phone('04'), ...overrides });
const viber = (overrides: Partial<ViberSendRequest> = {}): ViberSendRequest => ({
  senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
  to: phone('04'),
  ttlSeconds: 600,
  text: 'Your code is 482913',
  ...overrides,
});
const voice = (overrides: Partial<VoiceCallRequest> = {}): VoiceCallRequest => ({
  from: 'Acme',
  to: phone('04'),
  verbs: [{ type: 'SAY', message: { language: 'en-US', gender: 'female', text: 'Your code is 4 8 2 9 1 3' } }],
  ...overrides,
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function errorFields(err: RouteeError) {
  return {
    kind: err.kind,
    httpStatus: err.httpStatus,
    routeeCode: err.routeeCode,
    developerMessage: err.developerMessage,
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('RouteeClient against the Routee sandbox', () => {
  let sandbox: SpawnedSandbox;
  const clients: RouteeClient[] = [];

  const client = (overrides: Partial<RouteeClientOptions> = {}) => {
    const c = new RouteeClient({
      authUrl: sandbox.url,
      apiUrl: sandbox.url,
      appId: sandbox.appId,
      appSecret: sandbox.appSecret,
      retryBaseDelayMs: 10,
      requestTimeoutMs: 2000,
      ...overrides,
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    sandbox = await spawnSandbox({ statusDelayMs: 50, seenDelayMs: 30 });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await sandbox.reset();
  });

  afterAll(async () => {
    await sandbox?.close();
  });

  it('fetches exactly one token for 50 concurrent sends', async () => {
    const c = client();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => c.sendSms(sms({ to: phone(String(10 + i)) }))),
    );

    expect(results.map((r) => r.status)).toEqual(Array(50).fill('Queued'));
    expect(new Set(results.map((r) => r.trackingId)).size).toBe(50);
    const stats = await sandbox.stats();
    expect(stats.tokensIssued).toBe(1);
    expect(stats.counts).toEqual({ viber: 0, sms: 50 });
  });

  it('sends an SMS the way Routee documents it and returns its trackingId', async () => {
    const c = client();
    const result = await c.sendSms(sms({ to: '+306912345604', ttlSeconds: 61 }));

    expect(result).toEqual({
      trackingId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'Queued',
      raw: expect.objectContaining({
        trackingId: result.trackingId,
        from: 'Acme',
        to: '+306912345604',
        body: 'Your code is 482913',
        status: 'Queued',
        label: 'login',
        ttl: 2, // 61 s -> 2 minutes, Routee's unit
      }),
    });
    expect((await sandbox.stats()).sends).toEqual([
      {
        channel: 'sms',
        to: '306912345604',
        trackingId: result.trackingId,
        body: 'Your code is 482913',
        at: expect.any(String),
      },
    ]);
  });

  it("sends a Viber OTP and reads Routee's QUEUED status", async () => {
    const c = client();
    const result = await c.sendViberOtp(viberOtp());

    expect(result.status).toBe('QUEUED');
    expect(result.raw).toEqual(
      expect.objectContaining({
        trackingId: result.trackingId,
        to: '+306912345604',
        ttl: 60,
        templateId: '0aac888f-2ee2-4112-9659-1755a951966a',
        templateParams: { pin: '482913' },
        templateLang: 'en',
        label: 'transactional',
      }),
    );
  });

  it('refreshes a revoked token once and the send succeeds', async () => {
    const c = client();
    await c.sendSms(sms());
    expect((await sandbox.stats()).tokensIssued).toBe(1);

    await sandbox.revokeTokens();
    const result = await c.sendViberOtp(viberOtp());

    expect(result.status).toBe('QUEUED');
    const stats = await sandbox.stats();
    expect(stats.tokensIssued).toBe(2);
    expect(stats.counts).toEqual({ viber: 1, sms: 1 });
  });

  it('shares one refresh when many calls meet the revoked token together', async () => {
    const c = client();
    await c.sendSms(sms());
    await sandbox.revokeTokens();

    await Promise.all(Array.from({ length: 20 }, () => c.sendSms(sms())));

    expect((await sandbox.stats()).tokensIssued).toBe(2);
  });

  it('maps refused credentials to auth_refused', async () => {
    const err = await caught(client({ appSecret: 'wrong' }).sendSms(sms()));

    expect(errorFields(err)).toEqual({
      kind: 'auth_refused',
      httpStatus: 401,
      routeeCode: '401000001',
      developerMessage: 'Bad credentials',
    });
    expect((await sandbox.stats()).attempts).toEqual({ viber: 0, sms: 0 });
  });

  it('maps Routee 400001009 to insufficient_balance', async () => {
    const c = client();
    const viberErr = await caught(c.sendViberOtp(viberOtp({ to: phone('05') })));
    const smsErr = await caught(c.sendSms(sms({ to: phone('05') })));

    const expected = {
      kind: 'insufficient_balance',
      httpStatus: 400,
      routeeCode: '400001009',
      developerMessage: 'Insufficient balance',
    };
    expect(errorFields(viberErr)).toEqual(expected);
    expect(errorFields(smsErr)).toEqual(expected);
    expect((await sandbox.stats()).attempts).toEqual({ viber: 1, sms: 1 });
  });

  it('maps other 4xx answers to validation', async () => {
    const err = await caught(client().sendSms(sms({ from: 'ThisSenderIsTooLong' })));

    expect(errorFields(err)).toEqual({
      kind: 'validation',
      httpStatus: 400,
      routeeCode: '400005000',
      developerMessage:
        'from: The sender is invalid: up to 11 letters, digits and spaces, or up to 16 digits without +',
    });
    // Routee's `properties` name the refused field, in the error and in its message (the log line)
    expect(err.properties).toEqual({
      from: 'The sender is invalid: up to 11 letters, digits and spaces, or up to 16 digits without +',
    });
    expect(err.message).toBe(
      'POST /sms: HTTP 400 code 400005000 from: The sender is invalid: up to 11 letters, digits and spaces, or up to 16 digits without + ' +
        '[from: The sender is invalid: up to 11 letters, digits and spaces, or up to 16 digits without +]',
    );
  });

  it('retries a 503 maxRetries times, then reports server_error', async () => {
    const err = await caught(client({ maxRetries: 2 }).sendViberOtp(viberOtp({ to: phone('07') })));

    expect(errorFields(err)).toEqual({
      kind: 'server_error',
      httpStatus: 503,
      routeeCode: '503000000',
      developerMessage: 'Service temporarily unavailable, try again later',
    });
    expect((await sandbox.stats()).attempts).toEqual({ viber: 3, sms: 0 });
  });

  it('reports unreachable when nothing listens', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const c = client({ authUrl: url, apiUrl: url, maxRetries: 1 });

    const err = await caught(c.sendSms(sms()));

    expect(err.kind).toBe('unreachable');
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('reports unknown_outcome when a send is never answered', async () => {
    const c = client({ requestTimeoutMs: 300 });
    await c.sendSms(sms()); // token cached before the API goes slow
    await sandbox.setFaults({ latencyMs: 1500 });

    const started = Date.now();
    const err = await caught(c.sendSms(sms({ to: phone('42') })));

    expect(err.kind).toBe('unknown_outcome');
    expect(err.message).toContain('UND_ERR_HEADERS_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1200); // not retried
  });

  it('reports a slow tracking GET as unreachable, not unknown_outcome', async () => {
    const c = client({ requestTimeoutMs: 300 });
    const sent = await c.sendSms(sms());
    await sandbox.setFaults({ trackingLatencyMs: 1500 });

    const err = await caught(c.getSmsTracking(sent.trackingId));

    expect(err.kind).toBe('unreachable');
  });

  it('sends a Viber message and tracks it on /viber/tracking to SEEN', async () => {
    const c = client();
    const result = await c.sendViber(
      viber({ imageUrl: 'https://example.com/i.png', action: { caption: 'Open', targetUrl: 'https://example.com/' } }),
    );

    expect(result).toEqual({
      trackingId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'QUEUED',
      raw: expect.objectContaining({
        trackingId: result.trackingId,
        to: '+306912345604',
        ttl: 600,
        message: 'Your code is 482913',
        imageUrl: 'https://example.com/i.png',
        viberAction: { caption: 'Open', targetUrl: 'https://example.com/' },
      }),
    });
    await sleep(250);
    expect(await c.getViberTracking(result.trackingId)).toEqual(
      expect.objectContaining({ trackingId: result.trackingId, status: 'SEEN', price: 0.0093 }),
    );
    expect((await sandbox.stats()).sends).toEqual([
      {
        channel: 'viber',
        to: '306912345604',
        trackingId: result.trackingId,
        text: 'Your code is 482913',
        at: expect.any(String),
      },
    ]);
  });

  it('refuses a Viber message the way Routee does: validation naming the field', async () => {
    const err = await caught(client().sendViber(viber({ text: undefined })));

    expect(errorFields(err)).toEqual({
      kind: 'validation',
      httpStatus: 400,
      routeeCode: '400019000',
      developerMessage: 'body.text: may not be empty unless an image or a file is given',
    });
    expect(err.properties).toEqual({ 'body.text': 'may not be empty unless an image or a file is given' });
  });

  it.each([
    ['04', 'Completed', 4, 'HUMAN'],
    ['02', 'Busy', 0, 'UNKNOWN'],
    ['03', 'NoAnswer', 0, 'UNKNOWN'],
    ['08', 'Failed', 0, 'UNKNOWN'],
  ] as const)(
    'starts a Voice call to …%s and tracks it from Queued to %s',
    async (scenario, status, duration, answeredBy) => {
      const c = client();
      const started = await c.startVoiceCall(voice({ to: phone(scenario) }));
      expect(started).toEqual({
        trackingId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        status: 'Queued',
        raw: expect.objectContaining({ trackingId: started.trackingId, to: { phone: `+${phone(scenario)}` } }),
      });
      expect((await c.getVoiceTracking(started.trackingId)).status).toBe('Queued');

      await sleep(250);
      expect(await c.getVoiceTracking(started.trackingId)).toEqual({
        trackingId: started.trackingId,
        messageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        status,
        statusDate: expect.any(String),
        price: status === 'Completed' ? 0.0039466668 : 0,
        duration,
        answeredBy,
        country: 'GR',
        raw: expect.objectContaining({
          content: [expect.objectContaining({ conversationTrackingId: started.trackingId })],
        }),
      });
    },
  );

  it('maps a Voice call refused 400001009 to insufficient_balance and an unknown conversation to not_found', async () => {
    const c = client();
    const refused = await caught(c.startVoiceCall(voice({ to: phone('05') })));
    const unknown = await caught(c.getVoiceTracking('6f1c1f7e-0000-4000-8000-000000000000'));

    expect(errorFields(refused)).toEqual({
      kind: 'insufficient_balance',
      httpStatus: 400,
      routeeCode: '400001009',
      developerMessage: 'Insufficient balance',
    });
    expect(errorFields(unknown)).toEqual({
      kind: 'not_found',
      httpStatus: 404,
      routeeCode: '404013000',
      developerMessage: 'Conversation tracking not found.',
    });
  });

  it('opens the voice circuit on 5xx answers, leaving Viber and SMS available', async () => {
    const changes: string[] = [];
    const c = client({
      maxRetries: 0,
      circuitFailureThreshold: 2,
      circuitOpenMs: 60_000,
      onCircuitChange: (state, reason) => changes.push(`${state}: ${reason.split(':')[0]}`),
    });

    const first = await caught(c.startVoiceCall(voice({ to: phone('07') })));
    const second = await caught(c.startVoiceCall(voice({ to: phone('07') })));
    const refused = await caught(c.startVoiceCall(voice({ to: phone('04') })));

    expect([first.kind, second.kind, refused.kind]).toEqual(['server_error', 'server_error', 'circuit_open']);
    expect(changes).toEqual(['open: voice']);
    expect([c.circuitState('voice'), c.isAvailable('voice'), c.isAvailable('viber'), c.isAvailable('sms')]).toEqual([
      'open',
      false,
      true,
      true,
    ]);
    expect(c.retryAt('voice')).toBeGreaterThan(Date.now() + 50_000);
    expect((await sandbox.stats()).voice).toEqual({ calls: 0, attempts: 2 }); // the refused call never left
    expect((await c.sendSms(sms())).status).toBe('Queued');
  });

  it('reports unknown_outcome when a Voice call is never answered (never retried)', async () => {
    const c = client({ requestTimeoutMs: 300 });
    await c.sendSms(sms()); // token cached before the API goes slow
    await sandbox.setFaults({ latencyMs: 1500 });

    const err = await caught(c.startVoiceCall(voice()));

    expect(err.kind).toBe('unknown_outcome');
  });

  it('maps an unknown trackingId to not_found', async () => {
    const c = client();
    const viberErr = await caught(c.getViberTracking('6f1c1f7e-0000-4000-8000-000000000000'));
    const smsErr = await caught(c.getSmsTracking('6f1c1f7e-0000-4000-8000-000000000000'));

    expect(errorFields(viberErr)).toEqual({
      kind: 'not_found',
      httpStatus: 404,
      routeeCode: '404019006',
      developerMessage: 'viberTracking was not found.',
    });
    expect(errorFields(smsErr)).toEqual({
      kind: 'not_found',
      httpStatus: 404,
      routeeCode: '404005000',
      developerMessage: 'Tracking not found.',
    });
  });
});
