import { startTestGateway, TEST_KEY, type TestGateway } from './support/test-gateway';

/** the OpenAPI document at /docs-json, as an integrator's generator reads it (README "Try it", clients/typescript) */
interface Operation {
  operationId?: string;
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
