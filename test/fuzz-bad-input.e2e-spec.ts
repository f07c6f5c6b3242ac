import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { failoverRequest, phone, smsStep, viberStep } from './support/factories';
import { CaptureLogger } from './support/capture-logger';
import { TEST_KEY, startTestGateway, type TestGateway } from './support/test-gateway';

/**
 * Issue 7, point 1: thousands of generated malformed requests at every route.
 * Whatever comes in, the answer is never a 5xx, and every 4xx is in the
 * contract's one error shape. Requests go through Fastify's inject (no socket),
 * so the whole suite stays a few seconds.
 */

type Answer = { statusCode: number; headers: Record<string, unknown>; body: string };

const FLOW_ID = '11111111-2222-4333-8444-555555555555';
const EVENT_ID = '99999999-8888-4777-8666-555555555555';

/** every route of the gateway, with its method; `{id}` and `{eventId}` are filled by the generator */
const ROUTES: { method: 'GET' | 'POST'; path: string }[] = [
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/health' },
  { method: 'GET', path: '/health/ready' },
  { method: 'POST', path: '/otp/send-failover' },
  { method: 'GET', path: '/otp/failover' },
  { method: 'GET', path: '/otp/failover/{id}' },
  { method: 'GET', path: '/otp/failover/{id}/webhooks' },
  { method: 'POST', path: '/otp/failover/{id}/webhooks/{eventId}/resend' },
  { method: 'GET', path: '/otp/templates' },
  { method: 'POST', path: '/routee/callbacks/sms' },
  { method: 'POST', path: '/routee/callbacks/viber' },
  { method: 'GET', path: '/docs-json' },
];

// ---- generators ------------------------------------------------------------

/** text that is unpleasant for a parser: unicode of every plane, controls, NULs, RTL, emoji, lone surrogates */
const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\ud800',
    '\udfff',
    '\u202e',
    '💥',
    '..',
    '../../etc/passwd',
    '%00',
    '%',
    '%zz',
    '\r\n',
    'null',
    'undefined',
    '[]',
    '{}',
    'NaN',
    "' OR 1=1 --",
    '<script>',
    '${jndi:x}',
  ),
  fc.string({ unit: 'binary', minLength: 1000, maxLength: 5000 }),
  fc.nat({ max: 60_000 }).map((n) => 'x'.repeat(n)),
);

const nastyNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, -0, 1e308, -1e308, 2 ** 53 + 1, -(2 ** 63), 2 ** 64, Number.MAX_SAFE_INTEGER, 0.5, 1e-320),
  fc.bigInt().map((b) => b.toString()),
);

/**
 * Deep nesting (up to 5,000 levels) stands in the generated value as a marker
 * that toJson() expands: fast-check clones and prints values recursively, which
 * such depths would overflow.
 */
const deep = fc
  .tuple(fc.constantFrom('A', 'O'), fc.integer({ min: 1, max: 5000 }))
  .map(([kind, n]) => `@@DEEP_${kind}_${n}@@`);
function toJson(value: unknown): string {
  return (JSON.stringify(value) ?? 'null').replace(/"@@DEEP_([AO])_(\d+)@@"/g, (_m, kind: string, n: string) =>
    kind === 'A'
      ? '['.repeat(Number(n)) + ']'.repeat(Number(n))
      : '{"a":'.repeat(Number(n)) + '1' + '}'.repeat(Number(n)),
  );
}
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 2, arbitrary: deep },
  { weight: 2, arbitrary: nastyString },
  { weight: 2, arbitrary: nastyNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}) },
);

/** a send body close to a valid one, with one or more fields replaced by garbage (so validation, not just parsing, is exercised) */
const STEP_FIELDS = [
  'type',
  'to',
  'order',
  'ttl',
  'label',
  'failoverOnDelivered',
  'senderInfoTrackingId',
  'templateId',
  'templateLang',
  'pin',
  'templateType',
  'businessName',
  'businessPlatformName',
  'codeValidityTime',
  'pinType',
  'businessPlatformActionName',
  'codeReason',
  'from',
  'message',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
];
const mutatedSend: fc.Arbitrary<unknown> = fc
  .record({
    base: fc.constantFrom('both', 'viber', 'sms', 'smsFirst'),
    step: fc.nat({ max: 1 }),
    field: fc.constantFrom(...STEP_FIELDS),
    value: anyJson,
    drop: fc.boolean(),
    top: fc.option(fc.record({ key: fc.constantFrom('flow', 'callback', 'extra', '__proto__'), value: anyJson })),
    scenario: fc.constantFrom('00', '01', '05', '08', '09'),
  })
  .map(({ base, step, field, value, drop, top, scenario }) => {
    const to = phone(scenario);
    const flows: Record<string, Record<string, unknown>[]> = {
      both: [viberStep({ to }), smsStep({ to })],
      viber: [viberStep({ to })],
      sms: [smsStep({ to, order: 1 })],
      smsFirst: [smsStep({ to, order: 1 }), viberStep({ to, order: 2 })],
    };
    const flow = flows[base].map((s) => ({ ...s }));
    const target = flow[Math.min(step, flow.length - 1)];
    if (drop) delete target[field];
    else target[field] = value;
    const body: Record<string, unknown> = { flow };
    if (top) body[top.key] = top.value;
    return body;
  });

/** a valid send (reaches the sandbox): kept rare so that the suite sends a bounded number of messages */
const validSend = fc.constantFrom('00', '01', '05', '08').map((s) => failoverRequest(phone(s)) as unknown);

const callbackBody: fc.Arbitrary<unknown> = fc.oneof(
  anyJson,
  fc.record(
    {
      trackingId: fc.oneof(fc.uuid(), nastyString, nastyNumber),
      messageId: fc.oneof(fc.uuid(), nastyString, nastyNumber),
      to: fc.oneof(fc.constant('+306912345671'), nastyString, nastyNumber),
      parts: fc.oneof(nastyNumber, nastyString),
      part: nastyNumber,
      status: fc.oneof(
        anyJson,
        fc.record(
          {
            name: fc.oneof(
              fc.constantFrom('Delivered', 'DELIVERED', 'SEEN', 'Failed', 'Queued'),
              nastyString,
              nastyNumber,
            ),
            reason: anyJson,
            updatedDate: fc.oneof(nastyString, nastyNumber),
          },
          { requiredKeys: [] },
        ),
      ),
      price: fc.oneof(nastyNumber, nastyString),
      latency: nastyNumber,
      country: nastyString,
    },
    { requiredKeys: [] },
  ),
);

/** what goes on the wire as the body */
type Payload = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'raw'; text: string | Buffer };

const badJsonText = fc.oneof(
  fc.constantFrom(
    '{',
    '{"flow":',
    '[1,2',
    '{"a":1,}',
    "{'a':1}",
    'undefined',
    'NaN',
    '{"flow": [}',
    '\u0000',
    '\ufeff{}',
    '{"a":"\ud800"}',
    '{"__proto__":{"x":1}}',
    '{"constructor":{"prototype":{"x":1}}}',
    '1e99999',
    '-',
    '"unterminated',
    '{"a":1}{"b":2}',
    'null',
    '',
  ),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.nat({ max: 20_000 }).map((n) => '{"flow":' + '['.repeat(n)),
);

function payloadFor(send: boolean): fc.Arbitrary<Payload> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant<Payload>({ kind: 'none' }) },
    {
      weight: send ? 6 : 3,
      arbitrary: (send ? mutatedSend : callbackBody).map((value): Payload => ({ kind: 'json', value })),
    },
    { weight: 2, arbitrary: anyJson.map((value): Payload => ({ kind: 'json', value })) },
    { weight: 2, arbitrary: badJsonText.map((text): Payload => ({ kind: 'raw', text })) },
  );
}

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      undefined,
      'application/json; charset=utf-8',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'APPLICATION/JSON',
      'application/json;',
      'application/json; charset',
      'text/plain',
      'text/html',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=xyz',
      'multipart/form-data',
      'application/xml',
      'application/octet-stream',
      'application/merge-patch+json',
      'application/vnd.api+json',
      '*/*',
      'garbage',
      '',
      ';;;',
      'application/json, text/plain',
      'x'.repeat(3000),
    ),
  },
);

/** header text as a client can send it (visible ASCII and Latin-1, no CR/LF) */
const headerText = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 }),
  fc.string({ unit: fc.integer({ min: 0xa0, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 30 }),
  fc.nat({ max: 10_000 }).map((n) => 'k'.repeat(n)),
);

const authorization = fc.oneof(
  { weight: 10, arbitrary: fc.constant(`Bearer ${TEST_KEY}`) },
  {
    weight: 4,
    arbitrary: fc.oneof(
      fc.constantFrom(
        undefined,
        '',
        'Bearer',
        'Bearer ',
        `bearer ${TEST_KEY}`,
        `BEARER   ${TEST_KEY}  `,
        `Bearer ${TEST_KEY} extra`,
        `Bearer\t${TEST_KEY}`,
        `Basic ${Buffer.from(`x:${TEST_KEY}`).toString('base64')}`,
        `Token ${TEST_KEY}`,
        `Bearer ${TEST_KEY.toUpperCase()}`,
        `Bearer ${TEST_KEY}x`,
        `Bearer otpgw_${'0'.repeat(43)}`,
        'Bearer ÿÿÿÿ',
        `Bearer ${'a'.repeat(8000)}`,
      ),
      headerText.map((s) => `Bearer ${s}`),
      headerText,
    ),
  },
);

const idempotencyKey = fc.option(
  fc.oneof(headerText, fc.uuid(), fc.constantFrom('', ' ', 'k'.repeat(255), 'k'.repeat(256), 'ÿ')),
  { nil: undefined, freq: 3 },
);

const extraHeaders = fc.dictionary(
  fc.constantFrom(
    'accept',
    'accept-encoding',
    'content-encoding',
    'x-forwarded-for',
    'x-forwarded-proto',
    'host',
    'transfer-encoding',
    'expect',
    'cookie',
    'origin',
    'x-request-id',
    'if-none-match',
    'range',
  ),
  fc.oneof(
    headerText,
    fc.constantFrom(
      'gzip',
      'br',
      'deflate',
      'identity',
      '*',
      'chunked',
      '100-continue',
      'text/html',
      'application/xml',
      'bytes=0-1',
    ),
  ),
  { maxKeys: 3 },
);

const pathId = fc.oneof(
  fc.constant(FLOW_ID),
  fc.uuid(),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }).map(encodeURIComponent),
  fc.constantFrom(
    '%',
    '%zz',
    '%E0%A4%A',
    '..',
    '.',
    '%2F',
    '%00',
    'null',
    '-1',
    '1e400',
    'a'.repeat(9000),
    '%C0%AF',
    '%ED%A0%80',
    '%F0%9F%92%A5',
  ),
  fc.stringMatching(/^[A-Za-z0-9._:-]{1,130}$/),
);

const QUERY_KEYS = [
  'limit',
  'offset',
  'status',
  'tag',
  'phone_number',
  'flow_id',
  'token',
  'x',
  '__proto__',
  'constructor',
  'limit[]',
  'a[b]',
];
const queryValue = fc.oneof(
  nastyNumber.map(String),
  fc.string({ unit: 'binary', maxLength: 60 }).map(encodeURIComponent),
  fc.constantFrom(
    '',
    '%',
    '%zz',
    '+',
    '%2B3069',
    '-1',
    '1e10',
    '0x10',
    '201',
    '1.5',
    ' 5',
    '5 ',
    'Infinity',
    'true',
    'a'.repeat(5000),
  ),
);
const query = fc
  .array(fc.tuple(fc.constantFrom(...QUERY_KEYS), queryValue), { maxLength: 5 })
  .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));

// ---- checks ---------------------------------------------------------------

/** the contract's error shape: {"detail": string} or {"detail": [{loc, msg, type}]} */
function hasErrorShape(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== 'detail') return false;
  const detail = (body as { detail: unknown }).detail;
  if (typeof detail === 'string') return detail.length > 0;
  return (
    Array.isArray(detail) &&
    detail.length > 0 &&
    detail.every(
      (p) =>
        typeof p === 'object' &&
        p !== null &&
        Array.isArray(p.loc) &&
        p.loc.every((l: unknown) => typeof l === 'string' || typeof l === 'number') &&
        typeof p.msg === 'string' &&
        typeof p.type === 'string',
    )
  );
}

function describeRequest(req: InjectOptions): string {
  const short = (v: unknown) => {
    const s = typeof v === 'string' ? v : Buffer.isBuffer(v) ? `<${v.length} bytes>` : JSON.stringify(v);
    return s && s.length > 300 ? `${s.slice(0, 300)}…(${s.length})` : s;
  };
  return `${req.method} ${short(req.url)} headers=${short(req.headers)} body=${short(req.payload)}`;
}

describe('bad input at every route (fuzz)', () => {
  let t: TestGateway;
  let fastify: FastifyInstance;
  let sent = 0;
  const statuses = new Map<number, number>();
  const logger = new CaptureLogger();

  beforeAll(async () => {
    // the abuse limits on, so that their code paths are fuzzed too (the per-key limit would only answer 429)
    t = await startTestGateway({
      sandbox: { statusDelayMs: 60_000 },
      env: { WORKER_ENABLED: 'false', PHONE_RATE_LIMIT: '5', ALLOWED_COUNTRY_CODES: '30,357' },
      logger,
    });
    fastify = t.gateway.app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  });
  afterAll(async () => {
    await t?.close();
  });

  async function check(req: InjectOptions): Promise<void> {
    sent += 1;
    const res = (await fastify.inject(req)) as unknown as Answer;
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    if (res.statusCode >= 500) {
      const errors = logger.lines.filter((l) => l.level === 'error').map((l) => l.text);
      throw new Error(
        `${res.statusCode} ${res.body.slice(0, 300)} for ${describeRequest(req)}\n${errors[errors.length - 1] ?? ''}`,
      );
    }
    if (res.statusCode >= 400) {
      let body: unknown;
      try {
        body = JSON.parse(res.body);
      } catch {
        throw new Error(
          `${res.statusCode} with a non-JSON body ${JSON.stringify(res.body.slice(0, 200))} for ${describeRequest(req)}`,
        );
      }
      if (!hasErrorShape(body))
        throw new Error(
          `${res.statusCode} not in the error shape: ${res.body.slice(0, 300)} for ${describeRequest(req)}`,
        );
      if (!String(res.headers['content-type']).startsWith('application/json'))
        throw new Error(`${res.statusCode} with content-type ${String(res.headers['content-type'])}`);
    }
  }

  function build(
    route: (typeof ROUTES)[number],
    parts: {
      id: string;
      eventId: string;
      query: string;
      payload: Payload;
      contentType?: string;
      authorization?: string;
      idempotencyKey?: string;
      extra: Record<string, string>;
      method?: string;
    },
  ): InjectOptions {
    const path = route.path.replace('{id}', parts.id).replace('{eventId}', parts.eventId);
    const withToken =
      path.startsWith('/routee/callbacks') && !parts.query.includes('token=')
        ? `token=${encodeURIComponent(t.gateway.config.callbackToken)}&${parts.query}`
        : parts.query;
    const headers: Record<string, string> = { ...parts.extra };
    for (const name of ['content-length', 'transfer-encoding', 'content-encoding', 'expect']) delete headers[name];
    if (parts.authorization !== undefined) headers.authorization = parts.authorization;
    if (parts.idempotencyKey !== undefined) headers['idempotency-key'] = parts.idempotencyKey;
    if (parts.contentType !== undefined) headers['content-type'] = parts.contentType;
    const req: InjectOptions = {
      method: (parts.method ?? route.method) as InjectOptions['method'],
      url: withToken ? `${path}?${withToken}` : path,
      headers,
    };
    if (parts.payload.kind === 'json') req.payload = toJson(parts.payload.value);
    if (parts.payload.kind === 'raw') req.payload = parts.payload.text;
    return req;
  }

  const requestParts = (send: boolean) =>
    fc.record({
      id: pathId,
      eventId: fc.oneof(fc.constant(EVENT_ID), pathId),
      query,
      payload: payloadFor(send),
      contentType,
      authorization,
      idempotencyKey,
      extra: extraHeaders,
    });

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: no 5xx, every 4xx in the error shape',
    async (_name, route) => {
      const isSend = route.path === '/otp/send-failover';
      await fc.assert(
        fc.asyncProperty(requestParts(isSend), async (parts) => check(build(route, parts))),
        { numRuns: isSend ? 1500 : 350, seed: Number(process.env.FUZZ_SEED ?? 20261123) },
      );
    },
  );

  it('POST /otp/send-failover: a bounded number of valid sends, with Idempotency-Key variants, still no 5xx', async () => {
    const route = ROUTES[3];
    await fc.assert(
      fc.asyncProperty(validSend, idempotencyKey, async (body, key) =>
        check(
          build(route, {
            id: '',
            eventId: '',
            query: '',
            payload: { kind: 'json', value: body },
            contentType: 'application/json',
            authorization: `Bearer ${TEST_KEY}`,
            idempotencyKey: key,
            extra: {},
          }),
        ),
      ),
      { numRuns: 60, seed: 7 },
    );
  });

  it('the 5xx the fuzzer found stay fixed', async () => {
    const send = (body: string) =>
      fastify.inject({
        method: 'POST',
        url: '/otp/send-failover',
        headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
        payload: body,
      }) as unknown as Promise<Answer>;
    const callback = (channel: string, body: unknown) =>
      fastify.inject({
        method: 'POST',
        url: `/routee/callbacks/${channel}?token=${encodeURIComponent(t.gateway.config.callbackToken)}`,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      }) as unknown as Promise<Answer>;
    const step = viberStep({ to: phone() });

    // a step that is an empty array passed ValidateNested, then broke toDefinition
    let res = await send('{"flow":[[]]}');
    expect([res.statusCode, JSON.parse(res.body)]).toEqual([
      422,
      { detail: [{ loc: ['body', 'flow'], msg: 'each flow step must be an object', type: 'isObject' }] },
    ]);
    // deep nesting overflowed class-transformer's stack
    res = await send(
      JSON.stringify({ flow: [{ ...step, type: '@@' }] }).replace('"@@"', '['.repeat(3000) + ']'.repeat(3000)),
    );
    expect([res.statusCode, JSON.parse(res.body)]).toEqual([
      400,
      { detail: 'request body is nested more than 32 levels deep' },
    ]);
    // Postgres refuses a NUL in text and jsonb
    res = await send(JSON.stringify({ flow: [{ ...step, label: 'a\u0000b' }] }));
    expect([res.statusCode, JSON.parse(res.body)]).toEqual([
      422,
      {
        detail: [
          {
            loc: ['body', 'flow', 0, 'label'],
            msg: 'flow.0.label must be valid Unicode text without NUL characters',
            type: 'value_error.unicode',
          },
        ],
      },
    ]);
    // and a lone surrogate in jsonb
    res = await send(JSON.stringify({ flow: [{ ...step, senderInfoTrackingId: '\ud800' }] }));
    expect([res.statusCode, JSON.parse(res.body).detail[0].loc]).toEqual([
      422,
      ['body', 'flow', 0, 'senderInfoTrackingId'],
    ]);
    // a pair is fine
    res = await send(JSON.stringify({ flow: [{ ...step, label: 'login 💥' }] }));
    expect(res.statusCode).toBe(200);
    res = await callback('viber', { trackingId: '\u0000', status: { name: 'DELIVERED' } });
    expect([res.statusCode, JSON.parse(res.body).detail[0].loc]).toEqual([422, ['body', 'trackingId']]);
    res = await callback('sms', { messageId: 'ok', status: { name: 'Delivered\u0000' } });
    expect([res.statusCode, JSON.parse(res.body).detail[0].loc]).toEqual([422, ['body', 'status', 'name']]);
    res = (await fastify.inject({
      method: 'GET',
      url: '/otp/failover?tag=%00',
      headers: { authorization: `Bearer ${TEST_KEY}` },
    })) as unknown as Answer;
    expect([res.statusCode, JSON.parse(res.body).detail[0].loc]).toEqual([422, ['query', 'tag']]);
  });

  it('wrong methods and unknown paths answer in the error shape', async () => {
    const methods = fc.constantFrom('PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'GET', 'POST');
    await fc.assert(
      fc.asyncProperty(
        methods,
        fc.constantFrom(...ROUTES),
        fc.oneof(fc.constant(''), fc.constantFrom('/x', '/..', '//', '/%2e%2e', '/%', '/%zz')),
        requestParts(false),
        async (method, route, suffix, parts) => {
          const req = build({ ...route, path: route.path + suffix }, { ...parts, method });
          if (method === 'HEAD') {
            const res = (await fastify.inject(req)) as unknown as Answer;
            sent += 1;
            expect(res.statusCode).toBeLessThan(500);
            return;
          }
          await check(req);
        },
      ),
      { numRuns: 400, seed: 11 },
    );
  });

  it('a body over 64 KiB is a 413 in the error shape on every POST route (a content type without a parser: 415 first)', async () => {
    for (const route of ROUTES.filter((r) => r.method === 'POST')) {
      for (const type of ['application/json', 'text/plain', 'application/octet-stream']) {
        const req = build(route, {
          id: FLOW_ID,
          eventId: EVENT_ID,
          query: '',
          payload: { kind: 'raw', text: JSON.stringify({ flow: [], pad: 'x'.repeat(64 * 1024) }) },
          contentType: type,
          authorization: `Bearer ${TEST_KEY}`,
          extra: {},
        });
        const res = (await fastify.inject(req)) as unknown as Answer;
        sent += 1;
        // Fastify parses JSON and text/plain (then the size counts); a type it has no parser for is refused first
        expect(res.statusCode).toBe(type === 'application/octet-stream' ? 415 : 413);
        expect(hasErrorShape(JSON.parse(res.body))).toBe(true);
      }
    }
    // just under the limit is parsed (and then refused by validation, not by size)
    const pad = 'x'.repeat(64 * 1024 - 40);
    const res = (await fastify.inject({
      method: 'POST',
      url: '/otp/send-failover',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ flow: [], pad }),
    })) as unknown as Answer;
    expect(res.statusCode).toBe(422);
  });

  it('threw at least 5,000 requests, and they reached past the parser and the auth guard', () => {
    const reachedRoutee = t.sandbox.state.sends.length;
    if (process.env.FUZZ_STATS)
      process.stderr.write(
        `fuzz: ${sent} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}, ${reachedRoutee} sends reached the sandbox\n`,
      );
    // some sends pass validation and go out, a bounded number of them
    expect(reachedRoutee).toBeGreaterThan(50);
    expect(reachedRoutee).toBeLessThan(2000);
    expect(sent).toBeGreaterThanOrEqual(5000);
    // validation answers (422) and successes (200) show the generators are not all stopped at the door
    expect(statuses.get(422) ?? 0).toBeGreaterThan(500);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(50);
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
  });
});
