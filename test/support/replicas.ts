import { spawnSandbox, type SpawnedSandbox } from '@app/routee-sandbox/testing/spawn-sandbox';
import { routeeEnvOf, TEST_KEY } from './test-gateway';
import { freePort } from './engine-support';
import { spawnGateway, type GatewayProcess } from './gateway-process';

export const REPLICA_CALLBACK_TOKEN = 'replica-callback-token-0123456789';

export interface Replicas {
  sandbox: SpawnedSandbox;
  gateways: GatewayProcess[];
  close(): Promise<void>;
}

/** one answer to a burst's send */
export interface Answer {
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
 * that sent it, while all three pollers read the same flows. Viber OTP
 * reports go to the Routee application's one Viber callback URL (replica 1).
 */
export async function startReplicas(statusDelayMs: number): Promise<Replicas> {
  const sandbox = await spawnSandbox({ statusDelayMs, seenDelayMs: 100 });
  const ports: number[] = [];
  while (ports.length < 3) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const started = await Promise.allSettled(
    ports.map((port, i) =>
      spawnGateway(port, {
        DATABASE_URL: process.env.TEST_DATABASE_URL!,
        GATEWAY_API_KEYS: TEST_KEY,
        ...routeeEnvOf(sandbox),
        PUBLIC_URL: `http://127.0.0.1:${ports[(i + 1) % ports.length]}`,
        ROUTEE_CALLBACK_TOKEN: REPLICA_CALLBACK_TOKEN,
        REFRESH_INTERVAL_MS: '500',
        // a send unanswered within the timeout has an unknown outcome and fails its step by design (StepCaller):
        // on a loaded 2-core box the one sandbox process, taking every replica's sends, polls and callbacks, has
        // answered a send 13 s late, which ended that flow's last step Failed 0 although Routee had taken it
        ROUTEE_REQUEST_TIMEOUT_MS: '15000',
        // longer than a send can take, so that a send in flight is never taken over (a lapsed claim is re-sent
        // by design) even when a starved replica's heartbeats do not land; short enough for the kill tests
        // to recover the stranded sends in well under their waits
        SEND_CLAIM_MS: '20000',
        WORKER_ENABLED: 'true',
      }),
    ),
  );
  const gateways = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    // one replica did not start (a starved box): the others would go on polling the shared database
    // through the suites after this one, and nothing else stops them
    await Promise.all(gateways.map((g) => g.stop()));
    await sandbox.close();
    throw failed.reason;
  }
  await sandbox.setViberCallbackUrl(
    `http://127.0.0.1:${ports[1]}/routee/callbacks/viber?token=${REPLICA_CALLBACK_TOKEN}`,
  );
  return {
    sandbox,
    gateways,
    close: async () => {
      await Promise.all(gateways.map((g) => g.stop()));
      await sandbox.close();
    },
  };
}

/**
 * `numbers.length` POSTs of `path` with `bodyOf(number)`, round-robin over the
 * replicas, `concurrency` at a time; `flowIdOf` reads the flow's id from a 200.
 */
export async function burst(
  gateways: GatewayProcess[],
  send: { path: string; bodyOf: (to: string) => unknown; flowIdOf: (answer: unknown) => string },
  numbers: string[],
  concurrency: number,
  onAnswer?: (answered: Answer, done: number) => void,
): Promise<Answer[]> {
  const jobs = numbers.map((to, i) => ({ to, gateway: i % gateways.length }));
  const answers: Answer[] = [];
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const answer: Answer = { ...job, status: 0 };
      try {
        const res = await fetch(`${gateways[job.gateway].url}${send.path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify(send.bodyOf(job.to)),
        });
        answer.status = res.status;
        if (res.ok) answer.flowId = send.flowIdOf(await res.json());
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

/** an error message with each replica's last output */
export function withReplicaOutput(what: string, gateways: GatewayProcess[]): string {
  return `${what}\n${gateways.map((x, i) => `--- replica ${i}\n${x.output().slice(-3000)}`).join('\n')}`;
}
