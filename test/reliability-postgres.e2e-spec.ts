import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { loadGatewayConfig } from '@app/config';
import { startSandbox, type RunningSandbox } from '@app/routee-sandbox/sandbox';
import { startGateway, type RunningGateway } from '../apps/gateway/src/gateway';
import { AUTH, routeeEnvOf, TEST_KEY } from './support/test-gateway';
import { failoverRequest, phone } from './support/factories';
import { freePort, sleep, waitFor } from './support/engine-support';
import { startPostgresProcess, type PostgresProcess } from './support/postgres-process';

/**
 * Issue 7, point 3: Postgres restarted under load. A Postgres of its own (a
 * child process the test stops with SIGTERM and starts again on the same data
 * dir and port), one gateway on it, a steady trickle of sends through the
 * outage. Every answer is a 200 or a clean 503, the gateway recovers without
 * a restart, and every flow answered 200 is stored and ends final, with no
 * message sent twice.
 */

const REQUEST_TIMEOUT_MS = 15_000;
const UNAVAILABLE = { detail: 'database unavailable, retry shortly' };

interface Answer {
  status: number | 'timeout';
  body: { flowId?: string; detail?: unknown };
  at: number;
  ms: number;
}

describe('Postgres restarted under load', () => {
  const base = mkdtempSync(join(tmpdir(), 'otp-pg-restart-'));
  const dataDir = join(base, 'postgres');
  let pg: PostgresProcess;
  let sandbox: RunningSandbox;
  let gateway: RunningGateway;
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    pg = await startPostgresProcess(dataDir, await freePort());
    sandbox = await startSandbox({ port: 0, statusDelayMs: 100, seenDelayMs: 50 });
    const config = loadGatewayConfig({
      DATABASE_URL: pg.url,
      GATEWAY_API_KEYS: TEST_KEY,
      ...routeeEnvOf(sandbox),
      REFRESH_INTERVAL_MS: '200',
      SEND_CLAIM_MS: '20000',
    });
    gateway = await startGateway(config, { logger: process.env.DEBUG_RELIABILITY ? ['error', 'warn'] : false });
    await gateway.app.getHttpAdapter().getInstance().ready();
    http = request(gateway.app.getHttpServer());
  }, 90_000);

  afterAll(async () => {
    await gateway?.close();
    await sandbox?.close();
    await pg?.stop();
    rmSync(base, { recursive: true, force: true });
  });

  it('answers 200 or a clean 503 throughout, recovers on its own, and loses no accepted flow', async () => {
    const t0 = Date.now();
    const answers: Answer[] = [];
    const inFlight: Promise<void>[] = [];
    const sendOne = async () => {
      const started = Date.now();
      try {
        const res = await http
          .post('/otp/send-failover')
          .set(AUTH)
          .send(failoverRequest(phone('44')))
          .timeout(REQUEST_TIMEOUT_MS);
        answers.push({ status: res.status, body: res.body, at: started - t0, ms: Date.now() - started });
      } catch {
        answers.push({ status: 'timeout', body: {}, at: started - t0, ms: Date.now() - started });
      }
    };
    let trickling = true;
    const trickle = (async () => {
      while (trickling) {
        inFlight.push(sendOne());
        await sleep(100);
      }
    })();

    await sleep(1000);
    await pg.stop();
    const downAt = Date.now() - t0;

    // down: readiness says so, reads and sends get the clean 503
    const ready = await http.get('/health/ready').timeout(REQUEST_TIMEOUT_MS);
    expect({ status: ready.status, body: ready.body }).toEqual({
      status: 503,
      body: { detail: 'database unavailable' },
    });
    const list = await http.get('/otp/failover').set(AUTH).timeout(REQUEST_TIMEOUT_MS);
    expect({ status: list.status, body: list.body }).toEqual({ status: 503, body: UNAVAILABLE });
    expect((await http.get('/health').timeout(REQUEST_TIMEOUT_MS)).status).toBe(200);
    await sleep(2500);

    pg = await startPostgresProcess(dataDir, pg.port);
    const upAt = Date.now() - t0;
    // the same gateway process: its pool reconnects
    await waitFor(
      'readiness after the restart',
      async () => (await http.get('/health/ready')).status === 200,
      15_000,
      100,
    );
    const readyAt = Date.now() - t0;
    await sleep(1500);
    trickling = false;
    await trickle;
    await Promise.all(inFlight);

    const summary = answers.map((a) => `${a.at}ms:${a.status}`).join(' ');
    expect(answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
    for (const a of answers.filter((x) => x.status === 503)) expect(a.body).toEqual(UNAVAILABLE);
    expect(answers.filter((a) => a.status === 503).length).toBeGreaterThan(0);
    // sends succeed again after recovery
    expect(readyAt).toBeGreaterThanOrEqual(upAt);
    const afterRecovery = answers.filter((a) => a.at >= readyAt);
    expect(afterRecovery.length).toBeGreaterThan(3);
    expect(afterRecovery.map((a) => a.status)).toEqual(afterRecovery.map(() => 200));
    expect(answers.filter((a) => a.at < downAt && a.status === 200).length).toBeGreaterThan(3);

    // every flow answered 200 is stored and ends final; no number got a message twice
    const db = new Client({ connectionString: pg.url });
    await db.connect();
    try {
      const accepted = answers.filter((a) => a.status === 200).map((a) => a.body.flowId!);
      await waitFor(
        'every accepted flow to end',
        async () => {
          const { rows } = await db.query<{ id: string; status: string }>(
            'SELECT id, status FROM flows WHERE id = ANY($1)',
            [accepted],
          );
          return rows.length === accepted.length && rows.every((r) => r.status === 'Succeeded') ? rows : undefined;
        },
        20_000,
        200,
      ).catch(async (err: unknown) => {
        const { rows } = await db.query('SELECT id, status FROM flows WHERE id = ANY($1)', [accepted]);
        throw new Error(
          `${String(err)}: ${accepted.length} accepted, stored ${JSON.stringify(rows)}; answers ${summary}`,
        );
      });
    } finally {
      await db.end();
    }
    const perNumber = new Map<string, number>();
    for (const s of sandbox.state.sends)
      perNumber.set(`${s.channel} ${s.to}`, (perNumber.get(`${s.channel} ${s.to}`) ?? 0) + 1);
    expect([...perNumber].filter(([, n]) => n > 1)).toEqual([]);
  }, 80_000);
});
