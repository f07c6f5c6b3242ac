import { Client } from 'pg';
import { resetTables } from './support/test-gateway';
import { phone } from './support/factories';
import { waitFor } from './support/engine-support';
import type { GatewayProcess } from './support/gateway-process';
import { burst as burstOf, startReplicas, withReplicaOutput, type Answer, type Replicas } from './support/replicas';

/** the sandbox reports each message's and call's final status this long after it was sent */
const STATUS_DELAY_MS = 1500;

/**
 * A Routee Failover API three-step flow to a number ending in 02, where the
 * sandbox fails the first two steps: Viber UNDELIVERED, then the call Busy,
 * then the SMS is Delivered.
 */
const threeSteps = (to: string) => ({
  flow: [
    {
      type: 'Viber',
      order: 1,
      to: `+${to}`,
      senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
      ttl: 10,
      message: { text: 'Your code is 4829' },
    },
    {
      type: 'Voice',
      order: 2,
      from: 'Acme',
      to: { phone: `+${to}` },
      dialPlan: { verbs: [{ type: 'SAY', message: { language: 'en-US', gender: 'female', text: 'Code 4 8 2 9' } }] },
    },
    { type: 'Sms', order: 3, from: 'Acme', to: `+${to}`, message: { body: 'Your code is 4829' } },
  ],
});

/**
 * Each next step exactly once across three replicas (test/support/replicas.ts:
 * callbacks land on another replica than the sender, all three poll), and
 * nothing accepted lost when one is killed.
 */
describe('Failover API on three gateway processes: each next step exactly once', () => {
  let replicas: Replicas;
  let gateways: GatewayProcess[] = [];
  let db: Client;

  beforeAll(async () => {
    replicas = await startReplicas(STATUS_DELAY_MS);
    gateways = replicas.gateways;
    db = new Client({ connectionString: process.env.TEST_DATABASE_URL });
    await db.connect();
    await resetTables(db);
  }, 120_000);

  afterAll(async () => {
    await replicas?.close();
    await db?.end();
  });

  const burst = (count: number, concurrency: number, onAnswer?: (a: Answer, done: number) => void) =>
    burstOf(
      gateways,
      {
        path: '/failover',
        bodyOf: threeSteps,
        flowIdOf: (answer) => (answer as { trackingId: string }).trackingId,
      },
      Array.from({ length: count }, () => phone('02')),
      concurrency,
      onAnswer,
    );

  /** the flows of these numbers (answered or not: a request cut by a kill may have written its flow) */
  const flowsOf = async (numbers: string[]) =>
    (
      await db.query<{ id: string; status: string; status_code: number | null }>(
        `SELECT f.id, f.status, f.status_code FROM flows f JOIN steps s ON s.flow_id = f.id AND s.step_order = 1
          WHERE f.kind = 'failover' AND s.phone_number = ANY($1)`,
        [numbers],
      )
    ).rows;
  /** the flows of these numbers that did not end Succeeded, with their steps and what the sandbox got: what a failure shows */
  const notSucceeded = async (numbers: string[]) => {
    const ids = (await flowsOf(numbers))
      .filter((f) => f.status !== 'Succeeded' || f.status_code !== null)
      .map((f) => f.id);
    if (ids.length === 0) return [];
    const { rows: flows } = await db.query(
      `SELECT id, status, status_code, error, next_check_at, updated_at FROM flows WHERE id = ANY($1) ORDER BY id`,
      [ids],
    );
    const { rows: steps } = await db.query(
      `SELECT flow_id, step_order, channel, phone_number, status, send_state, send_error, error_message,
              created_at, sent_at, status_updated_at
         FROM steps WHERE flow_id = ANY($1) ORDER BY flow_id, step_order`,
      [ids],
    );
    const { sends } = await replicas.sandbox.stats();
    return flows.map((f) => {
      const own = steps.filter((s) => s.flow_id === f.id);
      const to = own[0].phone_number.replace(/\D/g, '');
      const got = sends.filter((s) => s.to.replace(/\D/g, '') === to).map((s) => `${s.channel} at ${s.at}`);
      return { ...f, steps: own, sandboxGot: got };
    });
  };
  const allFinal = (numbers: string[], on: GatewayProcess[]) =>
    waitFor(
      'every flow to be final',
      async () => (await flowsOf(numbers)).every((f) => f.status === 'Succeeded' || f.status === 'Failed'),
      90_000,
      250,
    ).catch((err: Error) => {
      throw new Error(withReplicaOutput(err.message, on));
    });
  /** the sandbox's sends per channel, and how many numbers got more than one on a channel */
  const sendsByChannel = async (numbers: string[]) => {
    const wanted = new Set(numbers);
    const sends = (await replicas.sandbox.stats()).sends.filter((s) => wanted.has(s.to.replace(/\D/g, '')));
    const count = (channel: string) => sends.filter((s) => s.channel === channel).length;
    const twice = (channel: string) => {
      const tos = sends.filter((s) => s.channel === channel).map((s) => s.to);
      return tos.length - new Set(tos).size;
    };
    return { viber: count('viber'), voice: count('voice'), sms: count('sms'), twice };
  };
  const stepsPerFlow = async (ids: string[]) =>
    (
      await db.query(
        `SELECT step_order, channel, send_state, count(*)::int AS n, count(DISTINCT flow_id)::int AS flows
           FROM steps WHERE flow_id = ANY($1) GROUP BY 1, 2, 3 ORDER BY 1`,
        [ids],
      )
    ).rows;

  it('300 three-step flows whose first two steps fail, callbacks and polling racing: exactly one message per step per flow', async () => {
    const answers = await burst(300, 30);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    const numbers = answers.map((a) => a.to);
    await allFinal(numbers, gateways);
    const ids = answers.map((a) => a.flowId!);
    expect(await notSucceeded(numbers)).toEqual([]);
    const sends = await sendsByChannel(numbers);
    expect({ viber: sends.viber, voice: sends.voice, sms: sends.sms }).toEqual({ viber: 300, voice: 300, sms: 300 });
    expect([sends.twice('viber'), sends.twice('voice'), sends.twice('sms')]).toEqual([0, 0, 0]);
    expect(await stepsPerFlow(ids)).toEqual([
      { step_order: 1, channel: 'viber', send_state: 'sent', n: 300, flows: 300 },
      { step_order: 2, channel: 'voice', send_state: 'sent', n: 300, flows: 300 },
      { step_order: 3, channel: 'sms', send_state: 'sent', n: 300, flows: 300 },
    ]);
  }, 150_000);

  it('SIGKILL of one replica mid-burst: every flow written ends Succeeded, steps 2 and 3 each sent once', async () => {
    await replicas.sandbox.reset();
    const victim = gateways[0];
    let killedAfter = 0;
    const started = Date.now();
    // killed while it takes new flows and sends their first steps, before any first step has failed
    // (STATUS_DELAY_MS): only a first step can be in flight then, and a stranded one is sent again by design
    // (docs/architecture.md, "Unknown send outcomes")
    const kill = () => {
      if (killedAfter) return;
      killedAfter = Date.now() - started;
      void victim.kill();
    };
    const timer = setTimeout(kill, 800);
    const answers = await burst(180, 18, (_answer, done) => done === 60 && kill());
    clearTimeout(timer);
    expect(killedAfter).toBeLessThan(STATUS_DELAY_MS);
    expect(answers.filter((a) => a.gateway === 0 && a.status === 200).length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.status !== 200 && a.status !== 0)).toEqual([]);
    const numbers = answers.map((a) => a.to);
    await allFinal(numbers, gateways.slice(1));
    const flows = await flowsOf(numbers);
    const byId = new Map(flows.map((f) => [f.id, f]));
    for (const a of answers.filter((x) => x.status === 200)) expect(byId.get(a.flowId!)?.status).toBe('Succeeded');
    expect(flows.every((f) => f.status === 'Succeeded')).toBe(true);
    const sends = await sendsByChannel(numbers);
    expect({ voice: sends.voice, sms: sends.sms }).toEqual({ voice: flows.length, sms: flows.length });
    expect([sends.twice('voice'), sends.twice('sms')]).toEqual([0, 0]);
    expect(sends.viber).toBeGreaterThanOrEqual(flows.length);
    console.log(
      `kill test: ${answers.length} sends, victim killed after ${killedAfter} ms, ${flows.length} flows written, ` +
        `Viber sends ${sends.viber} (${sends.viber - flows.length} repeated by stranded-send recovery)`,
    );
  }, 120_000);
});
