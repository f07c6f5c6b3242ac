import { AUTH, startTestGateway, type TestGateway } from './support/test-gateway';

describe('service routes', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('GET / describes the service without auth', async () => {
    const res = await t.http.get('/');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ service: 'otp-failover-gateway', version: '0.1.0', status: 'ok', health: '/health' });
  });

  it('GET /health and /health/ready answer ok', async () => {
    expect((await t.http.get('/health')).body).toEqual({ status: 'ok' });
    const ready = await t.http.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok' });
  });

  it('GET /otp/templates lists the inventory with parameters', async () => {
    const res = await t.http.get('/otp/templates').set(AUTH);
    expect(res.status).toBe(200);
    expect(res.body.templates).toHaveLength(9);
    expect(res.body.templates[0]).toEqual({
      id: '0aac888f-2ee2-4112-9659-1755a951966a',
      name: 'Basic',
      templateType: 'basic',
      params: ['pin'],
    });
    expect(res.body.templates.find((x: { id: string }) => x.id === 'be56d97b-2a33-4c89-ac5f-f555a2c827d9')).toEqual({
      id: 'be56d97b-2a33-4c89-ac5f-f555a2c827d9',
      name: 'Business + reason',
      templateType: 'with_reason',
      params: ['pin', 'businessPlatformName', 'codeReason'],
    });
  });

  it('GET /otp/templates needs a key', async () => {
    expect((await t.http.get('/otp/templates')).status).toBe(403);
  });

  it('unknown routes are a 404 in the error shape', async () => {
    const res = await t.http.get('/nope').set(AUTH);
    expect(res.status).toBe(404);
    expect(typeof res.body.detail).toBe('string');
  });

  it('serves the Swagger UI and an OpenAPI document where every DTO field has a description and an example', async () => {
    const ui = await t.http.get('/docs');
    expect([200, 301, 302]).toContain(ui.status);
    const doc = await t.http.get('/docs-json');
    expect(doc.status).toBe(200);
    expect(doc.body.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/', '/health', '/health/ready', '/otp/send-failover', '/otp/templates']),
    );
    // Swagger UI's "Try it out" refuses to execute while a required parameter is empty
    const sendParams = doc.body.paths['/otp/send-failover'].post.parameters as {
      name: string;
      in: string;
      required?: boolean;
    }[];
    expect(sendParams.filter((p) => p.in === 'header')).toEqual([
      expect.objectContaining({ name: 'Idempotency-Key', required: false }),
    ]);
    const missing: string[] = [];
    for (const [schemaName, schema] of Object.entries<{
      properties?: Record<string, { description?: string; example?: unknown }>;
    }>(doc.body.components.schemas)) {
      for (const [field, prop] of Object.entries(schema.properties ?? {})) {
        if (!prop.description) missing.push(`${schemaName}.${field} description`);
        if (!('example' in prop)) missing.push(`${schemaName}.${field} example`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('request bodies the parser refuses', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('a body over 64 KiB is a 413 in the error shape', async () => {
    const res = await t.http
      .post('/otp/send-failover')
      .set(AUTH)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ flow: [], pad: 'x'.repeat(70 * 1024) }));
    expect(res.status).toBe(413);
    expect(typeof res.body.detail).toBe('string');
  });

  it('a body that is not JSON is a 415 in the error shape', async () => {
    const res = await t.http
      .post('/otp/send-failover')
      .set(AUTH)
      .set('Content-Type', 'application/xml')
      .send('<flow/>');
    expect(res.status).toBe(415);
    expect(typeof res.body.detail).toBe('string');
  });
});
