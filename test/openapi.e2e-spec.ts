import { startTestGateway, type TestGateway } from './support/test-gateway';

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
});
