import { createServer } from 'node:net';
import {
  RouteeClient,
  type RouteeClientOptions,
  type RouteeError,
  type SmsSendRequest,
  type ViberOtpSendRequest,
} from '@app/routee';
import { spawnSandbox, type SpawnedSandbox } from '../apps/routee-sandbox/src/testing/spawn-sandbox';
import { smsSendRequest, viberOtpSendRequest } from './support/factories';
import { caught } from './support/routee-error';

/** Real HTTP between RouteeClient and the Routee sandbox (in a child process, see spawn-sandbox.ts). */

const phone = (scenario: string) => `3069123456${scenario}`;

const viberOtp = (overrides: Partial<ViberOtpSendRequest> = {}) =>
  viberOtpSendRequest({ to: phone('04'), ...overrides });
const sms = (overrides: Partial<SmsSendRequest> = {}) => smsSendRequest({ to: phone('04'), ...overrides });

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
