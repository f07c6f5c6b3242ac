import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startSandbox, type RunningSandbox } from '@app/routee-sandbox/sandbox';
import { failoverRequest, phone } from './support/factories';
import { freePort, sleep, waitFor } from './support/engine-support';
import { spawnGateway, type GatewayProcess } from './support/gateway-process';
import { AUTH, TEST_CODE_SECRET, TEST_KEY, resetTables, routeeEnvOf } from './support/test-gateway';

/** a grace a loaded CI still serves a request in */
const GRACE_MS = 3000;
/**
 * Routee (the sandbox) answers every call this late while the shutdown runs: the sends are in flight through it,
 * past the grace and the late send (a few seconds to spare on a loaded machine)
 */
const ROUTEE_LATENCY_MS = GRACE_MS + 5000;
const IN_FLIGHT = 5;

interface Probe {
  at: number;
  status: number;
  body?: unknown;
}

async function get(url: string): Promise<Probe> {
  const at = Date.now();
  try {
    const res = await fetch(url);
    return { at, status: res.status, body: (await res.json()) as unknown };
  } catch {
    return { at, status: 0 };
  }
}

function send(url: string, to: string): Promise<{ status: number; body?: { flowId?: string }; at: number }> {
  return fetch(`${url}/otp/send-failover`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: JSON.stringify(failoverRequest(to)),
  })
    .then(async (res) => ({ status: res.status, body: (await res.json()) as { flowId?: string }, at: Date.now() }))
    .catch(() => ({ status: 0, at: Date.now() }));
}

/**
 * Issue 16, point 6: SIGTERM to a real gateway process with sends in flight.
 * Readiness turns 503 at once; for SHUTDOWN_GRACE_MS requests are still
 * served, then new ones are refused (503) while those in flight finish with
 * their answers; the worker stops, the pool closes, the process exits 0; the
 * accepted flows are whole in Postgres (no step left `sending`).
 */
describe('graceful shutdown (SIGTERM)', () => {
  let sandbox: RunningSandbox;
  let gateway: GatewayProcess;
  let db: Client;
  let dataDir: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, statusDelayMs: 200 });
    db = new Client({ connectionString: process.env.TEST_DATABASE_URL });
    await db.connect();
    if ((await db.query(`SELECT to_regclass('flows') AS t`)).rows[0].t) await resetTables(db);
    dataDir = mkdtempSync(join(tmpdir(), 'gw-shutdown-'));
    gateway = await spawnGateway(await freePort(), {
      DATABASE_URL: process.env.TEST_DATABASE_URL!,
      DATA_DIR: dataDir,
      GATEWAY_API_KEYS: TEST_KEY,
      CODE_SECRET: TEST_CODE_SECRET,
      ...routeeEnvOf(sandbox),
      ROUTEE_REQUEST_TIMEOUT_MS: '15000',
      PHONE_RATE_LIMIT: '0',
      REFRESH_INTERVAL_MS: '500',
      WORKER_ENABLED: 'true',
      LOG_FORMAT: 'json',
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      // far longer than the test waits: a request the shutdown lost count of would show as a late exit
      SHUTDOWN_TIMEOUT_MS: '30000',
    });
  });

  afterAll(async () => {
    await gateway?.kill();
    await db?.end();
    await sandbox?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('readiness 503 first, the sends in flight answered 200, new requests refused, exit 0, the flows whole', async () => {
    expect((await get(`${gateway.url}/health/ready`)).status).toBe(200);
    // one send before the latency: Routee's token is fetched and cached, so each send below is one slow call
    expect((await send(gateway.url, phone())).status).toBe(200);

    const requestsBefore = sandbox.state.stats().requests;
    sandbox.state.setLatencyMs(ROUTEE_LATENCY_MS);
    const inFlight = Array.from({ length: IN_FLIGHT }, () => send(gateway.url, phone()));
    // and one whose client gives up while it is at Routee: its handler goes on, but no answer will be written
    const abandoned = new AbortController();
    const abandonedSend = fetch(`${gateway.url}/otp/send-failover`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify(failoverRequest(phone())),
      signal: abandoned.signal,
    }).catch(() => 'aborted');
    // every send at the sandbox, waiting on its latency: its flow and claimed step written (a handler past
    // createFlowWithPrimary), and its request counted by the sandbox
    const primariesSending = async () =>
      (await db.query(`SELECT count(*)::int AS n FROM steps WHERE step_order = 1 AND send_state = 'sending'`)).rows[0]
        .n as number;
    await waitFor(
      `the ${IN_FLIGHT + 1} sends at Routee`,
      async () =>
        (await primariesSending()) >= IN_FLIGHT + 1 && sandbox.state.stats().requests - requestsBefore >= IN_FLIGHT + 1,
      10_000,
      25,
    );
    abandoned.abort();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      gateway.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const signalledAt = Date.now();
    gateway.child.kill('SIGTERM');

    // during the grace: readiness says 503 (as soon as the signal is handled), other requests are still served
    let readyInGrace = await get(`${gateway.url}/health/ready`);
    while (readyInGrace.status === 200 && Date.now() - signalledAt < GRACE_MS) {
      await sleep(25);
      readyInGrace = await get(`${gateway.url}/health/ready`);
    }
    const servedInGrace = await get(`${gateway.url}/otp/templates`);
    // after the grace, the sends still in flight: a new request is refused at once, readiness still 503
    // (and the gateway's own grace timer, started when it handled the signal, run out: the first 503 of another route)
    await sleep(GRACE_MS + 300 - (Date.now() - signalledAt));
    await waitFor('the grace over', async () => (await get(`${gateway.url}/otp/templates`)).status === 503, 3000, 25);
    const lateSend = await send(gateway.url, phone());
    const readyDraining = await get(`${gateway.url}/health/ready`);

    const answers = await Promise.all(inFlight);
    const { code, signal } = await exited;
    const exitedAfter = Date.now() - signalledAt;
    const output = gateway.output();

    // the process's lines beside a wrong answer, to see where the shutdown stood
    const tail = (ok: boolean) => (ok ? '' : output.slice(-6000));
    expect({ readyInGrace, tail: tail(readyInGrace.status === 503) }).toEqual({
      readyInGrace: { at: expect.any(Number), status: 503, body: { detail: 'shutting down' } },
      tail: '',
    });
    expect(readyInGrace.at - signalledAt).toBeLessThan(GRACE_MS);
    expect(servedInGrace.status).not.toBe(503);
    expect(lateSend.status).toBe(503);
    expect(lateSend.body).toEqual({ detail: 'shutting down' });
    expect(readyDraining).toMatchObject({ status: 503, body: { detail: 'shutting down' } });
    // the in-flight sends: every one answered, 200, after the late request was refused
    expect({ statuses: answers.map((a) => a.status), tail: tail(answers.every((a) => a.status === 200)) }).toEqual({
      statuses: Array(IN_FLIGHT).fill(200),
      tail: '',
    });
    for (const a of answers) expect(a.at).toBeGreaterThan(lateSend.at);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(await abandonedSend).toBe('aborted');
    // the sends' Routee call (8 s), then the close: the abandoned request was not waited for until SHUTDOWN_TIMEOUT_MS
    expect(exitedAfter).toBeLessThan(20_000);
    expect(output).not.toMatch(/"level":"error"/);

    // Postgres: each accepted flow with its primary step sent and tracked (its failover is still to come, at Routee's
    // report), nothing left `sending`, and due for a worker to look at it again; the refused one never started
    const ids = answers.map((a) => a.body!.flowId!);
    const { rows } = await db.query<{
      id: string;
      steps: number;
      sending: number;
      primary_sent: boolean;
      due: boolean;
    }>(
      `SELECT f.id, count(s.id)::int AS steps, f.next_check_at IS NOT NULL AS due,
              count(*) FILTER (WHERE s.send_state = 'sending')::int AS sending,
              bool_or(s.step_order = 1 AND s.send_state = 'sent' AND s.tracking_id IS NOT NULL) AS primary_sent
         FROM flows f JOIN steps s ON s.flow_id = f.id
        WHERE f.id = ANY($1::uuid[]) GROUP BY f.id`,
      [ids],
    );
    expect(rows.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [...ids].sort().map((id) => ({ id, steps: 1, due: true, sending: 0, primary_sent: true })),
    );
    // the warm-up send, the five, and the abandoned one, whose handler finished its flow all the same
    expect(Number((await db.query('SELECT count(*) FROM flows')).rows[0].count)).toBe(IN_FLIGHT + 2);
    expect((await db.query(`SELECT count(*)::int AS n FROM steps WHERE send_state = 'sending'`)).rows[0].n).toBe(0);
  }, 90_000);
});
