import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import type { FastifyInstance } from 'fastify';
import { ApiKeyService } from '../apps/gateway/src/auth/api-key.service';
import { redact } from '../apps/gateway/src/common/redacting-logger';
import { freePort, waitFor } from './support/engine-support';
import { CaptureLogger } from './support/capture-logger';
import { smsStep, viberStep } from './support/factories';
import { AUTH, TEST_KEY, startTestGateway, type TestGateway } from './support/test-gateway';

/**
 * Issue 7, point 5: what the gateway writes to its log while running flows
 * (failures and warnings included) holds no secret, no bearer key, no token,
 * no pin or SMS text, no full phone number; every answer carries the
 * security headers.
 */

const APP_SECRET = 'routee-app-secret-7f3a9c1e55';
const CALLBACK_TOKEN = 'callback-token-c0ffee-8d2b4e61';
const WEBHOOK_SECRET = 'whsec-privacy-31415926535';
const INTEGRATOR_TOKEN = 'integrator-hook-token-2718281828';
const PIN = '917253';
const BODY = `Your Acme code is ${PIN}. Do not share it.`;

/** A pass-through to the sandbox's /oauth/token that remembers the access tokens Routee hands out. */
async function tokenRecorder(): Promise<{ url: string; target: string; tokens: string[]; server: Server }> {
  const tokens: string[] = [];
  const recorder = { url: '', target: '', tokens, server: undefined as unknown as Server };
  recorder.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // before its target is known (the gateway asks for a token while starting up) it answers 503
      if (!recorder.target) return void res.writeHead(503).end();
      void request(`${recorder.target}${req.url}`, {
        method: req.method as 'POST',
        headers: { authorization: req.headers.authorization ?? '', 'content-type': req.headers['content-type'] ?? '' },
        body: Buffer.concat(chunks),
      })
        .then(async (answer) => {
          const text = await answer.body.text();
          const token = (JSON.parse(text) as { access_token?: string }).access_token;
          if (token) tokens.push(token);
          res.writeHead(answer.statusCode, { 'content-type': 'application/json' }).end(text);
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((r) => recorder.server.listen(0, '127.0.0.1', r));
  recorder.url = `http://127.0.0.1:${(recorder.server.address() as AddressInfo).port}`;
  return recorder;
}

describe('secrets and privacy in the logs', () => {
  const logger = new CaptureLogger();
  let t: TestGateway;
  let recorder: Awaited<ReturnType<typeof tokenRecorder>>;
  let dbKey: string;
  const phones: string[] = [];
  let n = 0;
  /** a distinctive number per flow (last two digits: the sandbox scenario) */
  const number = (scenario: string) => {
    n += 1;
    const p = `3069${String(70000 + n).padStart(6, '0')}${scenario}`;
    phones.push(p);
    return p;
  };

  beforeAll(async () => {
    const port = await freePort();
    // Routee's token answers pass through the recorder (its target, the suite's sandbox, is known once it started)
    recorder = await tokenRecorder();
    t = await startTestGateway({
      sandbox: {
        appSecret: APP_SECRET,
        statusDelayMs: 150,
        seenDelayMs: 50,
        viberCallbackUrl: `http://127.0.0.1:${port}/routee/callbacks/viber?token=${CALLBACK_TOKEN}`,
      },
      logger,
      env: {
        ROUTEE_APP_SECRET: APP_SECRET,
        ROUTEE_AUTH_URL: recorder.url,
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        ROUTEE_CALLBACK_TOKEN: CALLBACK_TOKEN,
        WEBHOOK_SECRET,
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_MAX_ATTEMPTS: '2',
        WEBHOOK_BACKOFF_BASE_MS: '20',
        WEBHOOK_BACKOFF_MAX_MS: '40',
        WEBHOOK_POLL_MS: '50',
        WEBHOOK_TIMEOUT_MS: '300',
        REFRESH_INTERVAL_MS: '100',
        PHONE_RATE_LIMIT: '5',
      },
    });
    recorder.target = t.sandbox.url;
    // listen where PUBLIC_URL says, so that the sandbox's delivery reports (…?token=CALLBACK_TOKEN) come in
    await t.gateway.app.listen(port, '127.0.0.1');
    dbKey = (await t.gateway.app.get(ApiKeyService).create('privacy-suite')).key;
  });
  afterAll(async () => {
    await t?.close();
    recorder?.server.close();
  });

  it('runs flows of every kind, with failures, and nothing secret or personal reaches the log', async () => {
    const dbAuth = { Authorization: `Bearer ${dbKey}` };
    const flow = (to: string, label: string) => ({
      flow: [viberStep({ to: `+${to}`, pin: PIN, label }), smsStep({ to, label, message: { body: BODY } })],
      // the integrator's webhook URL carries its own secret; nothing listens there, so deliveries fail and die (warnings)
      callback: { url: `http://127.0.0.1:9/otp-events?token=${INTEGRATOR_TOKEN}` },
    });
    // delivered, Viber expired → SMS, undelivered → SMS, refused for balance (warn), 503 (warn) → SMS, FAILED → SMS undelivered, UNSENT
    const scenarios = ['00', '01', '02', '05', '07', '08', '09', '04', '03'];
    const flowIds: string[] = [];
    for (const [i, s] of scenarios.entries()) {
      const res = await t.http
        .post('/otp/send-failover')
        .set(i % 2 ? AUTH : dbAuth)
        .set('Idempotency-Key', `privacy-${i}`)
        .send(flow(number(s), `privacy-${s}`));
      expect(res.status).toBe(200);
      flowIds.push(res.body.flowId);
    }
    // Routee faults: a 503 burst and a reset on sends, with the bodies still holding the pin
    t.sandbox.state.setFaults({ unavailableCount: 3, scope: 'send' });
    expect(
      (
        await t.http
          .post('/otp/send-failover')
          .set(AUTH)
          .send(flow(number('00'), 'privacy-503'))
      ).status,
    ).toBe(200);
    t.sandbox.state.setFaults({ resetCount: 1, resetWhen: 'before', scope: 'send' });
    expect(
      (
        await t.http
          .post('/otp/send-failover')
          .set(AUTH)
          .send(flow(number('00'), 'privacy-reset'))
      ).status,
    ).toBe(200);

    // the per-phone limit and bad requests: refused, logged or not, never with the number or key
    const limited = number('00');
    for (let i = 0; i < 6; i++)
      await t.http
        .post('/otp/send-failover')
        .set(AUTH)
        .send({ flow: [smsStep({ to: limited, order: 1, message: { body: BODY } })] });
    expect(
      (
        await t.http
          .post('/otp/send-failover')
          .set({ Authorization: `Bearer ${TEST_KEY}x-wrong` })
          .send(flow(number('00'), 'x'))
      ).status,
    ).toBe(401);
    expect(
      (
        await t.http
          .post('/otp/send-failover')
          .set(AUTH)
          .send({ flow: [viberStep({ to: number('00'), pin: `${PIN}${PIN}${PIN}` })] })
      ).status,
    ).toBe(422);
    // delivery reports: a wrong token, and one for a message we do not know (logged at warn, `to` masked)
    expect(
      (
        await t.http
          .post(`/routee/callbacks/sms?token=${CALLBACK_TOKEN}-wrong`)
          .send({ messageId: 'x', status: { name: 'Delivered' } })
      ).status,
    ).toBe(401);
    const stranger = number('00');
    const unknown = await t.http.post(`/routee/callbacks/viber?token=${CALLBACK_TOKEN}`).send({
      trackingId: '0e6f1c1e-0000-4000-8000-000000000001',
      to: `+${stranger}`,
      status: { name: 'FAILED', reason: { detailedStatus: 'Failed', description: `could not reach +${stranger}` } },
    });
    expect(unknown.status).toBe(200);

    // every flow ends, the webhooks die, the tracking reads go through Routee
    await waitFor(
      'flows to finish',
      async () => (await t.db.query(`SELECT count(*) FROM flows WHERE status = 'InProgress'`)).rows[0].count === '0',
      15_000,
    ).catch(async (e) => {
      console.log(
        JSON.stringify(
          (
            await t.db.query(
              `SELECT f.status, f.definition->0->>'label' AS label, s.role, s.status AS s, s.send_state, s.error_message FROM flows f JOIN steps s ON s.flow_id = f.id WHERE f.status = 'InProgress'`,
            )
          ).rows,
          null,
          1,
        ),
      );
      throw e;
    });
    for (const id of flowIds) expect((await t.http.get(`/otp/failover/${id}`).set(AUTH)).status).toBe(200);
    await waitFor(
      'webhooks to die',
      async () => (await t.db.query(`SELECT count(*) FROM webhook_events WHERE state <> 'dead'`)).rows[0].count === '0',
      15_000,
    );
    expect(Number((await t.db.query('SELECT count(*) FROM webhook_events')).rows[0].count)).toBeGreaterThan(5);

    const text = logger.text();
    // the run did log, failures at warn included: otherwise this test would prove nothing
    expect(logger.lines.length).toBeGreaterThan(10);
    expect(logger.lines.filter((l) => l.level === 'warn').length).toBeGreaterThan(3);
    expect(text).toMatch(/failover to sms 3069\*\*\*\*\d{3}/);
    expect(text).toMatch(/webhook .* is dead/);
    expect(recorder.tokens.length).toBeGreaterThan(0);

    const secrets = {
      TEST_KEY,
      dbKey,
      APP_SECRET,
      CALLBACK_TOKEN,
      WEBHOOK_SECRET,
      INTEGRATOR_TOKEN,
      ...Object.fromEntries(recorder.tokens.map((tok, i) => [`access token ${i}`, tok])),
    };
    const leaks = Object.entries(secrets).filter(([, secret]) => text.includes(secret));
    expect(leaks.map(([name]) => name)).toEqual([]);
    expect(text).not.toMatch(/token=(?!\[redacted\])/);
    expect(text).not.toMatch(/Bearer (?!\[redacted\])\S/i);
    expect(text).not.toContain(PIN);
    expect(text).not.toContain('Do not share it');
    const fullNumbers = phones.filter((p) => text.includes(p) || text.includes(p.slice(2)));
    expect(fullNumbers).toEqual([]);
  });
});

describe('the redactor behind the application logger', () => {
  it('cuts out secrets, keys, tokens, URL passwords and full phone numbers, and keeps ids', () => {
    const line = redact(
      'POST https://gw.example.com/routee/callbacks/sms?token=abc123&x=1 with Authorization: Bearer eyJhbGciOi.x-y and otpgw_AbC_12-x; ' +
        'db postgres://gateway:s3cret@db:5432/otp; to +306912345671 (306912345671); flow 550e8400-e29b-41d4-a716-446655440000; sandbox-secret-1; ' +
        'Routee HTTP 400 code 400001009, not code: 306912345671',
      ['sandbox-secret-1'],
    );
    expect(line).toBe(
      'POST https://gw.example.com/routee/callbacks/sms?token=[redacted]&x=1 with Authorization: Bearer [redacted] and otpgw_[redacted]; ' +
        'db postgres://gateway:[redacted]@db:5432/otp; to 3069****671 (3069****671); flow 550e8400-e29b-41d4-a716-446655440000; [redacted]; ' +
        'Routee HTTP 400 code 400001009, not code: 3069****671',
    );
  });
});

describe('security headers', () => {
  let t: TestGateway;
  let fastify: FastifyInstance;
  beforeAll(async () => {
    t = await startTestGateway();
    fastify = t.gateway.app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  });
  afterAll(() => t.close());

  const COMMON = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };

  it.each([
    ['GET', '/', undefined, 200],
    ['GET', '/health', undefined, 200],
    ['GET', '/health/ready', undefined, 200],
    ['GET', '/otp/templates', AUTH, 200],
    ['GET', '/otp/templates', undefined, 403],
    ['GET', '/otp/failover?limit=0', AUTH, 422],
    ['GET', '/otp/failover/nope', AUTH, 404],
    ['POST', '/otp/send-failover', AUTH, 400],
    ['POST', '/routee/callbacks/sms?token=wrong-wrong-wrong', undefined, 400],
    ['GET', '/no-such-route', undefined, 404],
    ['GET', '/otp/failover/%zz', AUTH, 400],
  ])(
    '%s %s (%s) → %s carries them, with a CSP that loads nothing and no caching',
    async (method, url, headers, status) => {
      const res = await fastify.inject({
        method: method as 'GET',
        url,
        headers: { ...headers, ...(method === 'POST' && { 'content-type': 'application/json' }) },
        ...(method === 'POST' && { payload: '{' }),
      });
      expect(res.statusCode).toBe(status);
      expect(res.headers).toEqual(
        expect.objectContaining({
          ...COMMON,
          'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
          'cache-control': 'no-store',
        }),
      );
    },
  );

  it('the Swagger UI gets a CSP that lets its own scripts, styles and images load, and nothing from elsewhere', async () => {
    const page = await fastify.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers).toEqual(expect.objectContaining(COMMON));
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).toContain("img-src 'self' data:");
    expect(csp).toContain("frame-ancestors 'none'");
    // what the page loads is all same-origin, and its scripts are files (no inline script, which the CSP would block)
    const html = page.body;
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, inline] of scripts) {
      expect(attrs).toMatch(/src="(?!https?:)/);
      expect(inline.trim()).toBe('');
    }
    for (const src of [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])) {
      expect(src).not.toMatch(/^(https?:)?\/\//);
      // resolved as a browser does against the page's URL
      const asset = await fastify.inject({ method: 'GET', url: new URL(src, 'http://x/docs').pathname });
      expect(asset.statusCode).toBe(200);
      expect(asset.headers['x-content-type-options']).toBe('nosniff');
    }
    const doc = await fastify.inject({ method: 'GET', url: '/docs-json' });
    expect(doc.statusCode).toBe(200);
    expect(doc.headers['x-frame-options']).toBe('DENY');
  });
});

describe('callback token', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ env: { ROUTEE_CALLBACK_TOKEN: CALLBACK_TOKEN } });
  });
  afterAll(() => t.close());

  it('is compared in constant time over digests: a token of any length, or several, is a clean 401; the right one passes', async () => {
    for (const token of [
      '',
      'x',
      CALLBACK_TOKEN.slice(0, -1),
      `${CALLBACK_TOKEN}x`,
      CALLBACK_TOKEN.toUpperCase(),
      'y'.repeat(5000),
    ]) {
      const res = await t.http
        .post(`/routee/callbacks/viber?token=${encodeURIComponent(token)}`)
        .send({ trackingId: 'x', status: { name: 'SEEN' } });
      expect([res.status, res.body]).toEqual([401, { detail: 'invalid callback token' }]);
    }
    const twice = await t.http
      .post(`/routee/callbacks/viber?token=${CALLBACK_TOKEN}&token=${CALLBACK_TOKEN}`)
      .send({ trackingId: 'x', status: { name: 'SEEN' } });
    expect(twice.status).toBe(401);
    const ok = await t.http
      .post(`/routee/callbacks/viber?token=${CALLBACK_TOKEN}`)
      .send({ trackingId: '0e6f1c1e-0000-4000-8000-000000000002', status: { name: 'SEEN' } });
    expect([ok.status, ok.body]).toEqual([200, { result: 'ignored' }]);
  });
});
