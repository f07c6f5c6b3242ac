import { randomUUID } from 'node:crypto';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './support/engine-support';
import { failoverRequest, phone } from './support/factories';
import { AUTH, startTestGateway, type TestGateway } from './support/test-gateway';

/**
 * Issue 16, point 2: LOG_FORMAT json|pretty, one access line per request
 * (method, the route's pattern, status, ms; never the URL as sent nor its
 * query string), X-Request-Id taken (when sane) or generated, returned, and
 * on every line logged while that request was handled. The real gateway, its
 * lines caught where they would be written.
 */

const CALLBACK_TOKEN = 'logging-callback-token';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface JsonLine {
  time: string;
  level: string;
  context?: string;
  message: string;
  requestId?: string;
  method?: string;
  route?: string | null;
  status?: number;
  ms?: number;
}

async function gatewayLogging(format: 'json' | 'pretty'): Promise<{ t: TestGateway; lines: string[] }> {
  const lines: string[] = [];
  const t = await startTestGateway({
    env: { LOG_FORMAT: format, WORKER_ENABLED: 'false', ROUTEE_CALLBACK_TOKEN: CALLBACK_TOKEN },
    logger: ['log', 'warn', 'error'],
    logOutput: (line) => lines.push(line),
  });
  return { t, lines };
}

describe('logs: LOG_FORMAT=json', () => {
  let t: TestGateway;
  let lines: string[];
  const parsed = () => lines.map((line) => JSON.parse(line) as JsonLine);
  const accessLines = () => parsed().filter((l) => l.context === 'Http' && l.route !== undefined);
  /**
   * the access line of the request with that id, once written: it is logged at the answer's 'finish'
   * (onResponse), which may come after the client has read the answer
   */
  const accessLineOf = (requestId: string) =>
    waitFor(
      `the access line of ${requestId}`,
      async () => accessLines().find((l) => l.requestId === requestId),
      2000,
      10,
    );

  beforeAll(async () => {
    ({ t, lines } = await gatewayLogging('json'));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('every line is one JSON object with its time, level and context', () => {
    expect(lines.length).toBeGreaterThan(0);
    for (const line of parsed()) {
      expect(new Date(line.time).toISOString()).toBe(line.time);
      expect(['log', 'warn', 'error']).toContain(line.level);
      expect(typeof line.message).toBe('string');
    }
  });

  it('one access line a request: method, the route pattern (no id, no query string), status, ms, the request id', async () => {
    const id = randomUUID();
    const before = accessLines().length;
    const res = await t.http.get(`/otp/failover/${id}?token=query-secret-123&to=306912345678`).set(AUTH);
    expect(res.status).toBe(404);
    const requestId = res.headers['x-request-id'] as string;
    expect(requestId).toMatch(UUID);
    await accessLineOf(requestId);
    const mine = accessLines().slice(before);
    expect(mine).toHaveLength(1);
    const [line] = mine;
    expect(line).toEqual({
      time: expect.any(String),
      level: 'log',
      context: 'Http',
      message: 'GET /otp/failover/:id 404',
      method: 'GET',
      route: '/otp/failover/:id',
      status: 404,
      ms: expect.any(Number),
      requestId,
    });
    expect(line.ms).toBeGreaterThanOrEqual(0);
    const text = lines.join('\n');
    expect(text).not.toContain(id);
    expect(text).not.toContain('query-secret-123');
    expect(text).not.toContain('306912345678');
    expect(text).not.toContain('?');
  });

  it('a request no route matches: its line says so, without the path', async () => {
    const before = accessLines().length;
    const res = await t.http.get('/no/such/path-8d1f?x=1');
    expect(res.status).toBe(404);
    await accessLineOf(res.headers['x-request-id'] as string);
    expect(accessLines().slice(before)).toEqual([
      expect.objectContaining({ method: 'GET', route: null, status: 404, requestId: res.headers['x-request-id'] }),
    ]);
    expect(lines.join('\n')).not.toContain('path-8d1f');
  });

  it('a URL the router refuses (a malformed %-escape): its request id and its line too', async () => {
    const before = accessLines().length;
    const res = await t.http.get('/otp/failover/%zz-secret-part');
    expect(res.status).toBe(400);
    expect(res.headers['x-request-id']).toMatch(UUID);
    await accessLineOf(res.headers['x-request-id'] as string);
    expect(accessLines().slice(before)).toEqual([
      expect.objectContaining({ route: null, status: 400, requestId: res.headers['x-request-id'] }),
    ]);
    expect(lines.join('\n')).not.toContain('secret-part');
  });

  it("the caller's X-Request-Id is kept, returned and logged", async () => {
    const given = 'checkout-42.retry:1_A-z';
    const res = await t.http.get('/health').set('X-Request-Id', given);
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe(given);
    expect(await accessLineOf(given)).toMatchObject({ route: '/health', status: 200, requestId: given });
  });

  it.each([
    ['too long', 'a'.repeat(129)],
    ['with a space', 'two words'],
    ['markup', '<script>alert(1)</script>'],
    ['a phone number (it would be on every line, unmasked)', '306912345678'],
    ['an API key', 'otpgw_abcdef0123456789'],
  ])('an X-Request-Id %s is replaced by a generated one', async (_what, given) => {
    const res = await t.http.get('/health').set('X-Request-Id', given);
    expect(res.headers['x-request-id']).toMatch(UUID);
    await accessLineOf(res.headers['x-request-id'] as string);
    expect(accessLines().at(-1)!.requestId).toBe(res.headers['x-request-id']);
    expect(lines.join('\n')).not.toContain(given);
  });

  it("the lines logged while a request is handled carry its id, not another request's; none holds the number or the pin", async () => {
    // scenario 05: Routee refuses the send (insufficient balance), which the engine logs as a warning, in the request;
    // three at once, so that each line must carry its own request's id
    const sends = Array.from({ length: 3 }, (_, i) => ({ to: phone('05'), requestId: `send-${i}-${randomUUID()}` }));
    const answers = await Promise.all(
      sends.map(({ to, requestId }) =>
        t.http
          .post('/otp/send-failover')
          .set(AUTH)
          .set('X-Request-Id', requestId)
          .send(failoverRequest(to, { viber: { pin: '771942' }, sms: { message: { body: 'Your code is 771942' } } })),
      ),
    );
    await Promise.all(sends.map(({ requestId }) => accessLineOf(requestId)));
    sends.forEach(({ requestId }, i) => {
      const res = answers[i];
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toBe(requestId);
      const flowId = (res.body as { flowId: string }).flowId;
      const ofRequest = parsed().filter((l) => l.requestId === requestId);
      // the warning about the refused send, and the access line
      expect(
        ofRequest.filter((l) => l.level === 'warn' && l.message.includes(`flow ${flowId}`)).length,
      ).toBeGreaterThan(0);
      expect(ofRequest.filter((l) => l.route === '/otp/send-failover')).toEqual([
        expect.objectContaining({ method: 'POST', status: 200, requestId }),
      ]);
      // every line about this flow was logged for this request (the worker is off: nothing else touches it)
      const aboutFlow = parsed().filter((l) => l.message.includes(flowId));
      expect(aboutFlow.length).toBeGreaterThan(0);
      for (const line of aboutFlow) expect(line.requestId).toBe(requestId);
    });
    const text = lines.join('\n');
    for (const { to } of sends) expect(text).not.toContain(to);
    expect(text).not.toContain('771942');
  });

  it('a body that comes after the headers (handled in another async context): its lines carry the id too', async () => {
    const server = t.gateway.app.getHttpServer() as Server;
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const requestId = `late-body-${randomUUID()}`;
    const body = JSON.stringify(failoverRequest(phone('05')));
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/otp/send-failover',
          headers: {
            ...AUTH,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'x-request-id': requestId,
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.flushHeaders();
      // the body 200 ms after the headers: the request's hooks have run, its handler waits for the body's `end`
      setTimeout(() => req.end(body), 200);
    });
    expect(answer.status).toBe(200);
    const flowId = (JSON.parse(answer.text) as { flowId: string }).flowId;
    const aboutFlow = parsed().filter((l) => l.message.includes(flowId));
    expect(aboutFlow.length).toBeGreaterThan(0);
    for (const line of aboutFlow) expect(line.requestId).toBe(requestId);
  });

  it("a code check's, a cancel's and a Routee callback's lines carry their request's id", async () => {
    const sent = await Promise.all(
      [phone(), phone()].map((to) =>
        t.http
          .post('/otp/send-failover')
          .set(AUTH)
          .send(failoverRequest(to, { viber: { pin: '771942' } })),
      ),
    );
    expect(sent.map((res) => res.status)).toEqual([200, 200]);
    const [approvedId, canceledId] = sent.map((res) => (res.body as { flowId: string }).flowId);
    const linesOf = async (requestId: string) => {
      await accessLineOf(requestId);
      return parsed().filter((l) => l.requestId === requestId && l.route === undefined);
    };

    const verified = await t.http
      .post('/otp/verify')
      .set(AUTH)
      .set('X-Request-Id', 'verify-1')
      .send({ id: approvedId, code: '771942' });
    expect(verified.body).toMatchObject({ verification: { status: 'approved' } });
    expect((await linesOf('verify-1')).map((l) => l.message)).toContainEqual(
      expect.stringContaining(`flow ${approvedId}: code approved`),
    );

    expect(
      (await t.http.post(`/otp/failover/${canceledId}/cancel`).set(AUTH).set('X-Request-Id', 'cancel-1')).status,
    ).toBe(200);
    expect((await linesOf('cancel-1')).map((l) => l.message)).toContainEqual(
      expect.stringContaining(`flow ${canceledId}: canceled`),
    );

    // a Failed report for a message nobody sent: answered 200 'ignored', and a warning
    const unknown = randomUUID();
    const callback = await t.http
      .post(`/routee/callbacks/viber?token=${CALLBACK_TOKEN}`)
      .set('X-Request-Id', 'callback-1')
      .send({ trackingId: unknown, status: 'Failed' });
    expect(callback.body).toEqual({ result: 'ignored' });
    expect(await linesOf('callback-1')).toContainEqual(
      expect.objectContaining({ level: 'warn', message: expect.stringContaining(`unknown trackingId ${unknown}`) }),
    );
  });

  it('lines logged outside any request carry no request id', () => {
    const startup = parsed().filter((l) => l.context === 'NestApplication' || l.context === 'RouterExplorer');
    expect(startup.length).toBeGreaterThan(0);
    for (const line of startup) expect(line).not.toHaveProperty('requestId');
  });
});

describe('logs: LOG_FORMAT=pretty', () => {
  let t: TestGateway;
  let lines: string[];

  beforeAll(async () => {
    ({ t, lines } = await gatewayLogging('pretty'));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lines for a terminal: time, level, context, message, the request id at the end', async () => {
    const res = await t.http.get(`/otp/failover/${randomUUID()}?secret=xyz`).set(AUTH).set('X-Request-Id', 'pretty-1');
    expect(res.headers['x-request-id']).toBe('pretty-1');
    // written at the answer's 'finish' (onResponse), which may come after the client has read the answer
    const access = await waitFor(
      'the access line of pretty-1',
      async () => {
        const found = lines.filter((l) => l.includes('[Http]') && l.endsWith('req=pretty-1'));
        return found.length > 0 && found;
      },
      2000,
      10,
    );
    expect(access).toHaveLength(1);
    expect(access[0]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {5}LOG \[Http\] GET \/otp\/failover\/:id 404 \d+(\.\d)? ms {2}req=pretty-1$/,
    );
    for (const line of lines) expect(() => JSON.parse(line) as unknown).toThrow();
    expect(lines.join('\n')).not.toContain('xyz');
  });
});
