import type { IncomingHttpHeaders } from 'node:http';
import { exportOpenApiDocument } from '../apps/gateway/src/openapi/export-openapi';
import { phone, smsStep } from './support/factories';
import { AUTH, startTestGateway, TEST_KEY, type TestGateway } from './support/test-gateway';
import { WebhookReceiver } from './support/webhook-receiver';

/** the OpenAPI document at /docs-json, as an integrator's generator reads it (README "Try it", clients/typescript) */
interface Operation {
  operationId?: string;
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, { schema?: unknown }>; headers?: Record<string, unknown> }>;
  callbacks?: Record<string, Record<string, Record<string, Operation & { parameters?: { name: string }[] }>>>;
}
type Document = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

function operations(doc: Document): { method: string; path: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ method, path, op })),
  );
}

describe('the OpenAPI document', () => {
  let t: TestGateway;
  let doc: Document;
  beforeAll(async () => {
    t = await startTestGateway();
    const res = await t.http.get('/docs-json');
    expect(res.status).toBe(200);
    doc = res.body as Document;
  });
  afterAll(() => t.close());

  it('is the document `npm run lint:openapi` writes without a database and lints', async () => {
    expect(JSON.parse(await exportOpenApiDocument())).toEqual(doc);
  });

  it('names every operation with a verb: these ids, unique, are what generated clients call', () => {
    const ids = operations(doc).map(({ method, path, op }) => `${method.toUpperCase()} ${path} ${op.operationId}`);
    expect(ids.sort()).toEqual(
      [
        'GET / getServiceInfo',
        'GET /health getHealth',
        'GET /health/ready getReadiness',
        'POST /otp/send-failover sendFailover',
        'POST /otp/verify verifyCode',
        'GET /otp/templates listTemplates',
        'GET /otp/failover listDeliveries',
        'GET /otp/failover/{id} getFailoverTracking',
        'POST /otp/failover/{id}/cancel cancelFailover',
        'GET /otp/failover/{id}/webhooks listWebhookEvents',
        'POST /otp/failover/{id}/webhooks/{eventId}/resend resendWebhookEvent',
        'GET /otp/stats getStats',
        'GET /otp/pumping/blocks listPumpingBlocks',
        'DELETE /otp/pumping/blocks/{prefix} liftPumpingBlock',
        'POST /failover sendFailoverApi',
        'GET /failover/tracking/{trackingId} getFailoverApiTracking',
        'POST /failover/tracking searchFailoverTracking',
        'POST /routee/callbacks/sms receiveSmsReport',
        'POST /routee/callbacks/viber receiveViberReport',
        'POST /routee/callbacks/voice receiveVoiceReport',
      ].sort(),
    );
    const unique = new Set(operations(doc).map(({ op }) => op.operationId));
    expect(unique.size).toBe(operations(doc).length);
  });

  it("gives every response of every operation a body schema (204 aside), errors in their surface's dialect", () => {
    const missing: string[] = [];
    for (const { method, path, op } of operations(doc)) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (status === '204') continue;
        if (!response.content?.['application/json']?.schema) missing.push(`${method.toUpperCase()} ${path} ${status}`);
      }
    }
    expect(missing).toEqual([]);

    const ref = (path: string, method: string, status: string) =>
      doc.paths[path][method].responses[status].content!['application/json'].schema;
    expect(ref('/otp/send-failover', 'post', '422')).toEqual({ $ref: '#/components/schemas/ValidationErrorDto' });
    expect(ref('/otp/failover/{id}', 'get', '404')).toEqual({ $ref: '#/components/schemas/ErrorDetailDto' });
    expect(ref('/otp/failover/{id}', 'get', '403')).toEqual({ $ref: '#/components/schemas/ErrorDetailDto' });
    expect(ref('/failover', 'post', '400')).toEqual({ $ref: '#/components/schemas/PlatformErrorDto' });
    expect(ref('/failover/tracking/{trackingId}', 'get', '404')).toEqual({
      $ref: '#/components/schemas/PlatformErrorDto',
    });
    expect(ref('/failover/tracking', 'post', '401')).toEqual({ $ref: '#/components/schemas/PlatformErrorDto' });
    expect(doc.components.schemas.ValidationProblemDto).toMatchObject({ required: ['loc', 'msg', 'type'] });
    expect(doc.components.schemas.PlatformErrorDto).toMatchObject({ required: ['code', 'developerMessage'] });
  });

  it('documents Retry-After on every 429', () => {
    const with429 = operations(doc).filter(({ op }) => op.responses['429']);
    expect(with429.map(({ op }) => op.operationId)).toEqual(
      expect.arrayContaining(['sendFailover', 'sendFailoverApi']),
    );
    for (const { op } of with429) expect(Object.keys(op.responses['429'].headers ?? {})).toEqual(['Retry-After']);
  });

  it('gives examples that are the bodies the gateway answers', async () => {
    const example = (path: string, method: string, status: string) =>
      Object.values(
        (
          doc.paths[path][method].responses[status].content!['application/json'] as {
            examples: Record<string, { value: unknown }>;
          }
        ).examples,
      ).map((e) => e.value);
    const noKey = await t.http.get('/otp/failover/a1b2c3d4-e5f6-7890-abcd-ef1234567890');
    expect(example('/otp/failover/{id}', 'get', '403')).toContainEqual(noKey.body);
    const unknown = await t.http
      .get('/otp/failover/a1b2c3d4-e5f6-7890-abcd-ef1234567890')
      .set('Authorization', `Bearer ${TEST_KEY}`);
    expect(unknown.status).toBe(404);
    expect(example('/otp/failover/{id}', 'get', '404')).toContainEqual(unknown.body);
    const badKey = await t.http.get('/failover/tracking/nope').set('Authorization', 'Bearer nope');
    expect(badKey.status).toBe(401);
    expect(example('/failover/tracking/{trackingId}', 'get', '401')).toContainEqual(badKey.body);
    const platform404 = await t.http.get('/failover/tracking/nope').set('Authorization', `Bearer ${TEST_KEY}`);
    expect(example('/failover/tracking/{trackingId}', 'get', '404')).toContainEqual(platform404.body);
  });
});

describe('the webhooks, as the OpenAPI document describes them', () => {
  let t: TestGateway;
  let doc: Document;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    t = await startTestGateway({
      env: { WEBHOOK_SECRET: 'openapi-webhook-secret', WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_POLL_MS: '50' },
    });
    doc = (await t.http.get('/docs-json')).body as Document;
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  const callback = (path: string, name: string) => {
    const byUrl = doc.paths[path].post.callbacks?.[name];
    expect(Object.keys(byUrl ?? {})).toEqual(['{$request.body#/callback/url}']);
    return byUrl!['{$request.body#/callback/url}'].post;
  };

  it('are callbacks of both send operations, with their headers and the tracking body', () => {
    const flowEvent = callback('/otp/send-failover', 'flowEvent');
    expect(flowEvent.operationId).toBe('receiveFlowEvent');
    expect(flowEvent.requestBody).toEqual({
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/FlowTrackingDto' } } },
    });
    const failoverEvent = callback('/failover', 'failoverEvent');
    expect(failoverEvent.operationId).toBe('receiveFailoverEvent');
    expect(failoverEvent.requestBody).toEqual({
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/FailoverTrackingDto' } } },
    });
    for (const op of [flowEvent, failoverEvent])
      expect(op.parameters!.map((p) => p.name)).toEqual([
        'X-Webhook-Id',
        'X-Webhook-Event',
        'X-Webhook-Attempt',
        'X-Webhook-Signature',
        'webhook-id',
        'webhook-timestamp',
        'webhook-signature',
        'User-Agent',
      ]);
  });

  it('match what a delivery carries: every documented header, a body of the documented schema', async () => {
    const headers: IncomingHttpHeaders[] = [];
    receiver.respond = (_hook, req) => {
      headers.push(req.headers);
      return 200;
    };
    const res = await t.http
      .post('/otp/send-failover')
      .set(AUTH)
      .send({ flow: [smsStep({ to: phone('00'), order: 1 })], callback: { url: receiver.url } });
    expect(res.status).toBe(200);
    const deadline = Date.now() + 15_000;
    while (!receiver.delivered.some((h) => h.json.flowId === res.body.flowId) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const hook = receiver.delivered.find((h) => h.json.flowId === res.body.flowId);
    expect(hook).toBeDefined();

    const op = callback('/otp/send-failover', 'flowEvent') as Operation & {
      parameters: { name: string; schema: { enum?: string[] } }[];
    };
    const sent = headers[receiver.received.indexOf(hook!)];
    for (const p of op.parameters) expect([p.name, typeof sent[p.name.toLowerCase()]]).toEqual([p.name, 'string']);
    const eventTypes = op.parameters.find((p) => p.name === 'X-Webhook-Event')!.schema.enum;
    expect(eventTypes).toContain(hook!.type);

    const schema = doc.components.schemas.FlowTrackingDto as { properties: object; required: string[] };
    const body = hook!.json as unknown as Record<string, unknown>;
    expect(Object.keys(body).filter((k) => !(k in schema.properties))).toEqual([]);
    expect(schema.required.filter((k) => !(k in body))).toEqual([]);
  });
});
