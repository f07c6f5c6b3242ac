import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadGatewayConfig } from '@app/config';
import { secretsOf } from '../apps/gateway/src/common/redacting-logger';
import { finalFlow, waitFor } from './support/engine-support';
import { failoverRequest, phone, viberStep } from './support/factories';
import { metricNamesOf, parsePrometheus, valueOf, type Sample } from './support/prometheus-text';
import { AUTH, TEST_KEY, startTestGateway, type TestGateway } from './support/test-gateway';
import { WebhookReceiver } from './support/webhook-receiver';

/**
 * GET /metrics (CONTRACT section 12): the counters move as flows are sent,
 * fail over, get verified and their webhooks delivered; the state gauges read
 * Postgres and the circuit breakers at the scrape; no label carries a phone
 * number, key or id; METRICS_TOKEN guards the route. And every metric the
 * Grafana dashboard and the Prometheus alerts query is one the gateway exports.
 */

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const PIN = '482913';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

async function scrape(
  t: TestGateway,
  token?: string,
): Promise<{ text: string; samples: Sample[]; names: Set<string> }> {
  const req = t.http.get('/metrics');
  const res = await (token ? req.set('Authorization', `Bearer ${token}`) : req);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return { text: res.text, ...parsePrometheus(res.text) };
}

/** the change of each series between two scrapes */
const delta =
  (before: Sample[], after: Sample[]) =>
  (name: string, labels: Record<string, string> = {}) =>
    valueOf(after, name, labels) - valueOf(before, name, labels);

describe('GET /metrics: counters, behind METRICS_TOKEN', () => {
  let t: TestGateway;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    t = await startTestGateway({
      env: {
        METRICS_TOKEN,
        REFRESH_INTERVAL_MS: '100',
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_POLL_MS: '50',
        WEBHOOK_BACKOFF_BASE_MS: '50',
        WEBHOOK_BACKOFF_MAX_MS: '100',
        WEBHOOK_MAX_ATTEMPTS: '2',
      },
      sandbox: { statusDelayMs: 300, seenDelayMs: 100 },
    });
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('refuses a scrape without the token, with a wrong one and with an API key (401); takes the token', async () => {
    for (const auth of [undefined, 'Bearer wrong-token-0123456789', `Bearer ${TEST_KEY}`, METRICS_TOKEN]) {
      const req = t.http.get('/metrics');
      const res = await (auth ? req.set('Authorization', auth) : req);
      expect({ auth, status: res.status, body: res.body }).toEqual({
        auth,
        status: 401,
        body: { detail: 'Invalid or missing metrics token' },
      });
    }
    expect((await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`)).status).toBe(200);
  });

  it('counts flows, messages, the failover, deliveries, verifications, Routee requests and webhooks', async () => {
    const before = await scrape(t, METRICS_TOKEN);
    const expiring = phone('01'); // Viber EXPIRED: fails over to SMS, delivered
    const seen = phone('04'); // Viber DELIVERED then SEEN: the code is then verified
    const refused = phone('05'); // Routee refuses the Viber send (insufficient balance): Failed at once, no failover
    const api = phone('00'); // a Failover API flow of one SMS
    const callback = { callback: { url: receiver.url } };
    // the integrator's endpoint refuses the SEEN flow's events: each goes dead after 2 attempts
    let seenFlow = '';
    receiver.respond = (hook) => (hook.json.flowId === seenFlow ? 500 : 200);

    const sent = await Promise.all(
      [expiring, seen].map((to) =>
        t.http
          .post('/otp/send-failover')
          .set(AUTH)
          .send(failoverRequest(to, { body: callback })),
      ),
    );
    const refusedRes = await t.http
      .post('/otp/send-failover')
      .set(AUTH)
      .send(failoverRequest(refused, { body: callback }));
    const refusedFlow = refusedRes.body.flowId as string;
    const apiRes = await t.http
      .post('/failover')
      .set(AUTH)
      .send({
        flow: [
          {
            type: 'Sms',
            from: 'Acme',
            to: `+${api}`,
            ttl: 30,
            message: { body: 'Your code is 482913' },
            order: 1,
            failoverOnStatuses: ['FAILED', 'UNDELIVERED'],
          },
        ],
      });
    for (const res of [...sent, refusedRes]) expect(res.status).toBe(200);
    expect(apiRes.status).toBe(200);
    const expiringFlow = sent[0].body.flowId as string;
    seenFlow = sent[1].body.flowId as string;

    await finalFlow(t.db, expiringFlow, 15_000);
    await finalFlow(t.db, apiRes.body.trackingId, 15_000);
    // Succeeded at DELIVERED (or SEEN, whichever the poll saw first): no failover
    expect(await finalFlow(t.db, seenFlow, 15_000)).toMatchObject({ status: 'Succeeded' });
    // one wrong code, then the right one (the flow is already Succeeded: a check is still answered)
    expect((await t.http.post('/otp/verify').set(AUTH).send({ id: expiringFlow, code: '000000' })).body).toMatchObject({
      verification: { status: 'denied' },
    });
    expect((await t.http.post('/otp/verify').set(AUTH).send({ id: seenFlow, code: PIN })).body).toMatchObject({
      verification: { status: 'approved' },
    });
    // every webhook delivered or dead
    await waitFor(
      'the webhooks to settle',
      async () => {
        const { rows } = await t.db.query(
          `SELECT count(*)::int AS n FROM webhook_events WHERE flow_id = ANY($1) AND state NOT IN ('delivered', 'dead')`,
          [[expiringFlow, seenFlow, refusedFlow]],
        );
        const { rows: dead } = await t.db.query(`SELECT count(*)::int AS n FROM webhook_events WHERE state = 'dead'`);
        return rows[0].n === 0 && dead[0].n > 0;
      },
      15_000,
    );
    const { rows: events } = await t.db.query<{ state: string; attempts: number }>(
      `SELECT state, attempts FROM webhook_events WHERE flow_id = ANY($1)`,
      [[expiringFlow, seenFlow, refusedFlow]],
    );

    // the counters move after the writes the waits above saw (a delivery's, a final status's commit): read until they show them
    const delivered = events.filter((e) => e.state === 'delivered').length;
    const dead = events.filter((e) => e.state === 'dead');
    let after = await scrape(t, METRICS_TOKEN);
    await waitFor(
      'the counters of the last writes',
      async () => {
        after = await scrape(t, METRICS_TOKEN);
        const moved = delta(before.samples, after.samples);
        return (
          moved('webhook_deliveries_total', { outcome: 'delivered' }) === delivered &&
          moved('webhook_deliveries_total', { outcome: 'dead' }) === dead.length &&
          moved('otp_time_to_deliver_seconds_count') === 3
        );
      },
      5_000,
    ).catch(() => undefined); // the exact assertions below say what differs
    const d = delta(before.samples, after.samples);
    expect(d('otp_flows_total', { api: 'otp', status: 'InProgress' })).toBe(2);
    expect(d('otp_flows_total', { api: 'otp' })).toBe(3);
    expect(d('otp_flows_total', { api: 'otp', status: 'Failed' })).toBe(1);
    expect(d('otp_flows_total', { api: 'failover' })).toBe(1);
    expect(d('otp_messages_total', { channel: 'viber', role: 'primary' })).toBe(2);
    expect(d('otp_messages_total', { channel: 'sms', role: 'failover' })).toBe(1);
    expect(d('otp_messages_total', { channel: 'sms', role: 'primary' })).toBe(1);
    expect(d('otp_messages_total')).toBe(4);
    // the EXPIRED Viber (a refusal for balance fails over to nothing: CONTRACT section 4)
    expect(d('otp_failovers_total', { reason: 'trigger' })).toBe(1);
    expect(d('otp_failovers_total')).toBe(1);
    expect(d('otp_verifications_total', { status: 'denied' })).toBe(1);
    expect(d('otp_verifications_total', { status: 'approved' })).toBe(1);
    // Routee: the sends that went through and the refused one (a 400), with their durations
    expect(d('routee_requests_total', { endpoint: 'viber_otp', outcome: 'ok' })).toBe(2);
    expect(d('routee_requests_total', { endpoint: 'viber_otp', outcome: 'client_error' })).toBe(1);
    expect(d('routee_requests_total', { endpoint: 'sms', outcome: 'ok' })).toBe(2);
    expect(d('routee_requests_total', { endpoint: 'sms', outcome: 'client_error' })).toBe(0);
    expect(d('routee_requests_total', { endpoint: 'viber_tracking', outcome: 'ok' })).toBeGreaterThan(0);
    expect(d('routee_request_duration_seconds_count', { endpoint: 'viber_otp' })).toBe(3);
    expect(d('routee_request_duration_seconds_count')).toBe(
      d('routee_requests_total') - d('routee_requests_total', { outcome: 'circuit_open' }),
    );
    // delivered: the two Viber primaries (EXPIRED is no delivery, SEEN's DELIVERED is), the failover SMS, the API's SMS
    expect(d('otp_time_to_deliver_seconds_count', { channel: 'viber' })).toBe(1);
    expect(d('otp_time_to_deliver_seconds_count', { channel: 'sms' })).toBe(2);
    expect(d('otp_time_to_deliver_seconds_sum', { channel: 'sms' })).toBeGreaterThan(0);
    // every attempt recorded: each event's last attempt delivered it or left it dead, the ones before failed
    expect(dead.length).toBeGreaterThan(0);
    expect(dead.every((e) => e.attempts === 2)).toBe(true);
    expect(d('webhook_deliveries_total', { outcome: 'delivered' })).toBe(delivered);
    expect(d('webhook_deliveries_total', { outcome: 'dead' })).toBe(dead.length);
    expect(d('webhook_deliveries_total', { outcome: 'failed' })).toBe(
      events.reduce((sum, e) => sum + e.attempts - 1, 0),
    );

    // nothing in the exposition names a number, a flow, a tracking id, a key or a token
    const { rows: ids } = await t.db.query<{ id: string; tracking_id: string | null }>(
      `SELECT flow_id::text AS id, tracking_id FROM steps`,
    );
    for (const secret of [
      expiring,
      seen,
      refused,
      api,
      TEST_KEY,
      METRICS_TOKEN,
      ...ids.flatMap((r) => [r.id, r.tracking_id ?? r.id]),
    ])
      expect(after.text).not.toContain(secret);
    for (const { labels } of after.samples)
      for (const value of Object.values(labels)) {
        expect(value).not.toMatch(UUID);
        expect(value).not.toMatch(/\d{7,}/);
      }
  }, 90_000);
});

describe('GET /metrics: state gauges, open without METRICS_TOKEN', () => {
  let t: TestGateway;

  beforeAll(async () => {
    // the worker off: due flows stay due; a circuit opens at the first 5xx
    t = await startTestGateway({ env: { WORKER_ENABLED: 'false', ROUTEE_CIRCUIT_THRESHOLD: '1' } });
  });
  afterAll(() => t.close());

  it('reads due flows, the oldest one, the webhook backlog and the circuits at the scrape', async () => {
    const empty = await scrape(t);
    expect(valueOf(empty.samples, 'otp_flows_due')).toBe(0);
    expect(valueOf(empty.samples, 'otp_worker_lag_seconds')).toBe(0);
    expect(valueOf(empty.samples, 'webhook_backlog')).toBe(0);
    expect(valueOf(empty.samples, 'routee_circuit_open')).toBe(0);

    // three flows overdue by 1, 2 and 60 s, one due later; two pending webhook events, one being delivered (to a
    // slow receiver), one delivered, one dead
    await t.db.query(
      `INSERT INTO flows (id, status, definition, failover_on_delivered, next_check_at, created_at, updated_at)
       SELECT gen_random_uuid(), 'InProgress', '[]'::jsonb, false, now() - s * interval '1 second', now(), now()
         FROM unnest(ARRAY[1, 2, 60, -600]) s`,
    );
    await t.db.query(
      `INSERT INTO webhook_events (flow_id, type, url, payload, state)
       SELECT (SELECT id FROM flows LIMIT 1), 'step.status_changed', 'http://127.0.0.1:9/x', '{}'::jsonb, s
         FROM unnest(ARRAY['pending', 'pending', 'delivering', 'delivered', 'dead']) s`,
    );
    // a send refused with a 503 (number ending 07) opens the Viber circuit
    const single = { flow: [viberStep({ to: phone('07') })] };
    expect((await t.http.post('/otp/send-failover').set(AUTH).send(single)).status).toBe(200);

    const { samples } = await scrape(t);
    expect(valueOf(samples, 'otp_flows_due')).toBe(3);
    expect(valueOf(samples, 'otp_worker_lag_seconds')).toBeGreaterThanOrEqual(60);
    expect(valueOf(samples, 'otp_worker_lag_seconds')).toBeLessThan(70);
    expect(valueOf(samples, 'webhook_backlog')).toBe(3);
    expect(valueOf(samples, 'routee_circuit_open', { circuit: 'viber' })).toBe(1);
    expect(valueOf(samples, 'routee_circuit_open', { circuit: 'sms' })).toBe(0);
    expect(valueOf(samples, 'routee_requests_total', { endpoint: 'viber_otp', outcome: 'server_error' })).toBe(1);
    // the client's retry of the 503 met the open circuit: refused here, nothing went out, no duration
    expect(valueOf(samples, 'routee_requests_total', { endpoint: 'viber_otp', outcome: 'circuit_open' })).toBe(1);
    expect(valueOf(samples, 'routee_request_duration_seconds_count', { endpoint: 'viber_otp' })).toBe(1);
  });

  it('exports every metric the Grafana dashboard and the Prometheus alerts query', async () => {
    const { names } = await scrape(t);
    const dashboard = JSON.parse(
      readFileSync(join(process.cwd(), 'docker/grafana/otp-gateway-dashboard.json'), 'utf8'),
    ) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    const alerts = readFileSync(join(process.cwd(), 'docker/prometheus/alerts.yml'), 'utf8');
    const exprs = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((target) => [`panel "${p.title}"`, target.expr])),
      ...[...alerts.matchAll(/^\s*expr:\s*(.+)$/gm)].map((m) => ['alerts.yml', m[1]]),
    ];
    // each rule's expression is on its one line (what this test reads)
    expect([...alerts.matchAll(/^\s*expr:/gm)].length).toBe([...alerts.matchAll(/^\s*- alert:/gm)].length);
    expect(exprs.length).toBeGreaterThan(10);
    const missing = exprs.flatMap(([where, expr]) =>
      metricNamesOf(expr)
        .filter((name) => !names.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(missing).toEqual([]);
    // and the reader of names finds them: a misspelt one would be reported
    expect(metricNamesOf('sum by (reason) (rate(otp_failover_total{reason="trigger"}[5m])) / 2')).toEqual([
      'otp_failover_total',
    ]);
  });
});

describe('METRICS_TOKEN', () => {
  it('is one of the secrets the log redactor cuts out', () => {
    expect(secretsOf(loadGatewayConfig({ METRICS_TOKEN }))).toContain(METRICS_TOKEN);
  });

  it('is at least 16 characters, without whitespace', () => {
    expect(loadGatewayConfig({}).metricsToken).toBeUndefined();
    expect(loadGatewayConfig({ METRICS_TOKEN }).metricsToken).toBe(METRICS_TOKEN);
    expect(() => loadGatewayConfig({ METRICS_TOKEN: 'short' })).toThrow(
      'METRICS_TOKEN: must be at least 16 characters',
    );
    expect(() => loadGatewayConfig({ METRICS_TOKEN: 'with a space 0123456789' })).toThrow('METRICS_TOKEN');
  });
});
