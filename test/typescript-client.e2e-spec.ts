import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createGatewayClient, type GatewayClient } from '../clients/typescript';
import { phone } from './support/factories';
import { startTestGateway, TEST_KEY, type TestGateway } from './support/test-gateway';

/**
 * The generated client (clients/typescript) against a running gateway over real HTTP: a change to the API that
 * the committed document does not have fails here, and so does a document the gateway does not keep to.
 */
describe('the TypeScript client in clients/typescript', () => {
  let t: TestGateway;
  let client: GatewayClient;
  beforeAll(async () => {
    t = await startTestGateway();
    await t.gateway.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.gateway.app.getHttpServer().address() as AddressInfo;
    client = createGatewayClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: TEST_KEY });
  });
  afterAll(() => t.close());

  it('is generated from the document the gateway serves (else: npm run client:generate)', async () => {
    const committed = JSON.parse(readFileSync(join(process.cwd(), 'clients/typescript/openapi.json'), 'utf8'));
    expect(committed).toEqual((await t.http.get('/docs-json')).body);
  });

  it('sends a Failover OTP flow, tracks it, lists it and verifies its code', async () => {
    const to = phone('04'); // Viber SEEN
    const sent = await client.POST('/otp/send-failover', {
      body: {
        flow: [
          {
            type: 'ViberOtp',
            to,
            order: 1,
            ttl: 60,
            label: 'client-test',
            senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
            templateId: '0aac888f-2ee2-4112-9659-1755a951966a',
            pin: '482913',
          },
          { type: 'Sms', to, order: 2, ttl: 300, from: 'Acme', message: { body: 'Your code is 482913' } },
        ],
      },
      headers: { 'Idempotency-Key': `client-test-${to}` },
    });
    expect(sent.response.status).toBe(200);
    const flowId = sent.data!.flowId;
    expect(sent.data).toMatchObject({ status: 'InProgress', type: 'Viber' });
    expect(sent.data!.flow[0].trackingId).toEqual(expect.any(String));

    const tracked = await client.GET('/otp/failover/{id}', { params: { path: { id: flowId } } });
    expect(tracked.response.status).toBe(200);
    expect(tracked.data!.flowId).toBe(flowId);
    expect(tracked.data!.steps[0]).toMatchObject({ channel: 'viber', trackingId: sent.data!.flow[0].trackingId });

    const listed = await client.GET('/otp/failover', { params: { query: { flow_id: flowId, limit: 10 } } });
    expect(listed.response.status).toBe(200);
    expect(listed.data!.results.map((d) => [d.flowId, d.trackingId])).toContainEqual([
      flowId,
      sent.data!.flow[0].trackingId,
    ]);

    const denied = await client.POST('/otp/verify', { body: { id: flowId, code: '000000' } });
    expect(denied.data!.verification).toMatchObject({ status: 'denied', attemptsLeft: 4 });
    const approved = await client.POST('/otp/verify', { body: { id: flowId, code: '482913' } });
    expect(approved.data).toEqual({ flowId, verification: expect.objectContaining({ status: 'approved' }) });
  });

  it('types the errors in their documented bodies', async () => {
    const unknown = await client.GET('/otp/failover/{id}', {
      params: { path: { id: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890' } },
    });
    expect(unknown.response.status).toBe(404);
    expect(unknown.error).toEqual({ detail: 'tracking not found' });

    const invalid = await client.POST('/otp/send-failover', { body: { flow: [] } });
    expect(invalid.response.status).toBe(422);
    const problems = (invalid.error as { detail: { loc: (string | number)[]; msg: string }[] }).detail;
    expect(problems[0].loc).toEqual(['body', 'flow']);

    const badRequest = await client.POST('/failover', { body: { flow: [] } });
    expect(badRequest.response.status).toBe(400);
    expect(badRequest.error).toMatchObject({ code: '400000000', properties: expect.any(Object) });
  });

  it('sends a Failover API flow, tracks it and finds it', async () => {
    const to = `+${phone('00')}`;
    const sent = await client.POST('/failover', {
      body: { flow: [{ type: 'Sms', order: 1, from: 'Acme', to, message: { body: 'Your code is 482913' } }] },
    });
    expect(sent.response.status).toBe(200);
    const trackingId = sent.data!.trackingId;
    expect(sent.data).toMatchObject({ originatingService: 'Failover', messages: [expect.objectContaining({ to })] });

    const tracked = await client.GET('/failover/tracking/{trackingId}', { params: { path: { trackingId } } });
    expect(tracked.data!.trackingId).toBe(trackingId);

    const found = await client.POST('/failover/tracking', {
      params: { query: { size: 5 } },
      body: [{ fieldName: 'trackingId', searchOperator: 'is', searchTerm: trackingId }],
    });
    expect(found.data!.content.map((f) => f.trackingId)).toEqual([trackingId]);
  });
});
