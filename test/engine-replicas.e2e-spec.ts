import { Client } from 'pg';
import { spawnSandbox, type SpawnedSandbox } from '@app/routee-sandbox/testing/spawn-sandbox';
import { resetTables, TEST_KEY } from './support/test-gateway';
import { failoverRequest, phone } from './support/factories';
import { freePort, waitFor } from './support/engine-support';
import { spawnGateway, type GatewayProcess } from './support/gateway-process';

const TOKEN = 'replica-callback-token-0123456789';
/**
 * Routee reports each message's final status this long after the send. The
 * kill test kills its replica before the first of these (see there).
 */
const STATUS_DELAY_MS = 2500;

interface Answer {
  to: string;
  gateway: number;
  /** 0: no HTTP answer (connection refused or reset) */
  status: number;
  flowId?: string;
}

/**
 * Three gateway processes (ts-node, as separate as replicas get) on the one
 * test Postgres and one Routee sandbox (another process). Every replica polls
 * (REFRESH_INTERVAL_MS 500) and asks Routee for callbacks at the NEXT
 * replica's URL, so a flow's reports land on another process than the one
 * that sent it, while all three pollers read the same flows.
 */
describe('failover engine: three gateway processes on one Postgres', () => {
  let sandbox: SpawnedSandbox;
  let gateways: GatewayProcess[] = [];
  let db: Client;

  beforeAll(async () => {
    sandbox = await spawnSandbox({ statusDelayMs: STATUS_DELAY_MS, seenDelayMs: 100 });
    const ports: number[] = [];
    while (ports.length < 3) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    gateways = await Promise.all(
      ports.map((port, i) =>
        spawnGateway(port, {
          DATABASE_URL: process.env.TEST_DATABASE_URL!,
          GATEWAY_API_KEYS: TEST_KEY,
          ROUTEE_APP_ID: sandbox.appId,
          ROUTEE_APP_SECRET: sandbox.appSecret,
          ROUTEE_AUTH_URL: sandbox.url,
          ROUTEE_API_URL: sandbox.url,
          PUBLIC_URL: `http://127.0.0.1:${ports[(i + 1) % ports.length]}`,
          ROUTEE_CALLBACK_TOKEN: TOKEN,
          REFRESH_INTERVAL_MS: '500',
          // long enough that a replica starved of CPU on a loaded 2-core box still renews its claims
          // (a lapsed claim is re-sent by design); short enough for the kill test to recover in seconds
          SEND_CLAIM_MS: '6000',
          WORKER_ENABLED: 'true',
        }),
      ),
    );
    // Viber OTP reports go to the Routee application's one Viber callback URL (here: replica 1); SMS reports to each sender's PUBLIC_URL
    await sandbox.setViberCallbackUrl(`http://127.0.0.1:${ports[1]}/routee/callbacks/viber?token=${TOKEN}`);
    db = new Client({ connectionString: process.env.TEST_DATABASE_URL });
    await db.connect();
    await resetTables(db);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await sandbox?.close();
    await db?.end();
  });

  /** `count` sends to fresh numbers ending in `scenario`, round-robin over the replicas, `concurrency` at a time */
  async function burst(
    count: number,
    scenario: string,
    concurrency: number,
    onAnswer?: (answered: Answer, done: number) => void,
  ): Promise<Answer[]> {
    const jobs = Array.from({ length: count }, (_, i) => ({ to: phone(scenario), gateway: i % gateways.length }));
    const answers: Answer[] = [];
    let next = 0;
    const lane = async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        const answer: Answer = { ...job, status: 0 };
        try {
          const res = await fetch(`${gateways[job.gateway].url}/otp/send-failover`, {
            method: 'POST',
            headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify(failoverRequest(job.to)),
          });
          answer.status = res.status;
          if (res.ok) answer.flowId = ((await res.json()) as { flowId: string }).flowId;
        } catch {
          // the replica is gone: no answer, so not accepted
        }
        answers.push(answer);
        onAnswer?.(answer, answers.length);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    return answers;
  }

  const failing = (what: string, g: GatewayProcess[]) =>
    `${what}\n${g.map((x, i) => `--- replica ${i}\n${x.output().slice(-3000)}`).join('\n')}`;

  it('500 flows whose Viber fails, callbacks and polling racing: exactly 500 SMS, every flow final, one failover row each', async () => {
    const started = Date.now();
    const answers = await burst(500, '02', 30);
    const burstMs = Date.now() - started;
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    const ids = answers.map((a) => a.flowId!);

    await waitFor(
      'every flow to be final',
      async () => (await db.query("SELECT count(*)::int AS n FROM flows WHERE status = 'InProgress'")).rows[0].n === 0,
      90_000,
      250,
    ).catch((err: Error) => {
      throw new Error(failing(err.message, gateways));
    });
    const doneMs = Date.now() - started;

    const stats = await sandbox.stats();
    expect(stats.counts).toEqual({ viber: 500, sms: 500 });
    const smsNumbers = stats.sends.filter((s) => s.channel === 'sms').map((s) => s.to);
    expect(new Set(smsNumbers).size).toBe(500);
    expect(new Set(smsNumbers)).toEqual(new Set(answers.map((a) => a.to)));
    expect(stats.callbacksPosted).toBeGreaterThan(500);

    const flows = await db.query(
      'SELECT status, status_code, count(*)::int AS n FROM flows WHERE id = ANY($1) GROUP BY 1, 2',
      [ids],
    );
    expect(flows.rows).toEqual([{ status: 'Succeeded', status_code: null, n: 500 }]);
    const steps = await db.query(
      `SELECT role, send_state, count(*)::int AS n, count(DISTINCT flow_id)::int AS flows
       FROM steps WHERE flow_id = ANY($1) GROUP BY 1, 2 ORDER BY 1`,
      [ids],
    );
    expect(steps.rows).toEqual([
      { role: 'failover', send_state: 'sent', n: 500, flows: 500 },
      { role: 'primary', send_state: 'sent', n: 500, flows: 500 },
    ]);
    console.log(
      `500 flows: burst answered in ${burstMs} ms, all final after ${doneMs} ms, ${stats.callbacksPosted} callbacks posted`,
    );
  }, 150_000);

  it('SIGKILL of one replica mid-burst: every accepted flow still ends final, no failover sent twice', async () => {
    await sandbox.reset();
    const victim = gateways[0];
    let killedAfter = 0;
    const started = Date.now();
    // Killed while it takes new flows and sends their Viber primaries, and
    // before the first failover SMS is due (STATUS_DELAY_MS after the first
    // send): a kill in the few milliseconds between Routee taking an SMS and
    // the UPDATE recording it would re-send that SMS (docs/architecture.md, "Unknown send
    // outcomes"); that window is the primaries' here, and is counted below.
    const kill = () => {
      if (killedAfter) return;
      killedAfter = Date.now() - started;
      void victim.kill();
    };
    const timer = setTimeout(kill, 1200);
    const answers = await burst(240, '02', 24, (_answer, done) => done === 100 && kill());
    clearTimeout(timer);
    expect(killedAfter).toBeLessThan(STATUS_DELAY_MS);
    const accepted = answers.filter((a) => a.status === 200);
    // the kill really happened mid-burst: the victim had taken flows, then refused or dropped some
    expect(accepted.filter((a) => a.gateway === 0).length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.gateway === 0 && a.status === 0).length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.status !== 200 && a.status !== 0)).toEqual([]);

    // every flow this burst created, answered or not (a request cut by the kill may have written its flow)
    const numbers = answers.map((a) => a.to);
    const flowsOf = async () =>
      (
        await db.query<{ id: string; status: string; status_code: number | null }>(
          `SELECT f.id, f.status, f.status_code FROM flows f JOIN steps s ON s.flow_id = f.id AND s.role = 'primary' WHERE s.phone_number = ANY($1)`,
          [numbers],
        )
      ).rows;
    const survivors = gateways.slice(1);
    await waitFor(
      'every flow of the burst to be final',
      async () => (await flowsOf()).every((f) => f.status !== 'InProgress'),
      60_000,
      250,
    ).catch((err: Error) => {
      throw new Error(failing(err.message, survivors));
    });
    const doneMs = Date.now() - started;
    const flows = await flowsOf();
    const byId = new Map(flows.map((f) => [f.id, f]));
    for (const a of accepted) expect(byId.get(a.flowId!)).toMatchObject({ status: 'Succeeded', status_code: null });
    expect(flows.every((f) => f.status === 'Succeeded')).toBe(true);

    const failovers = await db.query(
      `SELECT count(*)::int AS n, count(DISTINCT flow_id)::int AS flows, count(*) FILTER (WHERE send_state = 'sent')::int AS sent
       FROM steps WHERE role = 'failover' AND flow_id = ANY($1)`,
      [flows.map((f) => f.id)],
    );
    expect(failovers.rows[0]).toEqual({ n: flows.length, flows: flows.length, sent: flows.length });

    const stats = await sandbox.stats();
    const sms = stats.sends.filter((s) => s.channel === 'sms').map((s) => s.to);
    expect(sms).toHaveLength(flows.length); // one SMS per flow that needed its failover: none twice
    expect(new Set(sms).size).toBe(flows.length);
    const viber = stats.sends.filter((s) => s.channel === 'viber').length;
    expect(viber).toBeGreaterThanOrEqual(flows.length);
    console.log(
      `kill test: ${answers.length} sends, victim killed after ${killedAfter} ms (${accepted.length} answered 200), ` +
        `${flows.length} flows written, all final after ${doneMs} ms; Viber sends ${viber} ` +
        `(${viber - flows.length} repeated by stranded-send recovery), SMS ${sms.length}`,
    );
  }, 120_000);
});
