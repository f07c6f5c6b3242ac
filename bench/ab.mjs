// node bench/ab.mjs <dirA> <dirB>: two builds of the gateway side by side in one run, for judging a change
// on a machine whose speed moves by 2× between runs. Each dir is a built checkout (its dist/ is used: A's for
// the sandbox and the embedded Postgres too). Both gateways share one Postgres and one sandbox; rounds
// alternate A B, B A, … after a warm-up each; printed per phase: each round, and the median B/A ratio of
// req/s and of server CPU per answer. Knobs: AB_PHASES (send,verify,get; failover too: POST /failover, three
// steps), AB_ROUNDS (4), AB_ROUND_MS (5000), AB_WARMUP_MS (3000), AB_CONNECTIONS (50), AB_NODE_ARGS_A and
// AB_NODE_ARGS_B (node flags for one side, beside those of its own `npm run start:prod`).
// Not part of `npm run bench`: nothing is held to a target here.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { failoverBody, load, median, processCost, sendBody, startChild, stopChild } from './lib.mjs';

const [dirA, dirB] = process.argv.slice(2).map((d) => resolve(d));
if (!dirA || !dirB) throw new Error('usage: node bench/ab.mjs <dirA> <dirB>');
const num = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const PHASES = (process.env.AB_PHASES ?? 'send,verify,get').split(',');
const ROUNDS = num('AB_ROUNDS', 4);
const ROUND_MS = num('AB_ROUND_MS', 5000);
const WARMUP_MS = num('AB_WARMUP_MS', 3000);
const CONNECTIONS = num('AB_CONNECTIONS', 50);
const API_KEY = 'bench-key-0123456789abcdef';
const AUTH = { authorization: `Bearer ${API_KEY}` };
const require = createRequire(import.meta.url);
const tmp = mkdtempSync(join(tmpdir(), 'otp-ab-'));
const children = [];
const t0 = Date.now();
const log = (msg) => console.log(`[ab ${((Date.now() - t0) / 1000).toFixed(0).padStart(3)}s] ${msg}`);
const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));

let seq = 0;
/** `suffix` picks the sandbox scenario (71: Viber delivered, then seen) */
const phone = (prefix, suffix) => `${prefix}${String(seq++ % 1_000_000).padStart(6, '0')}${suffix}`;
const post = (path, body) => ({ method: 'POST', path, headers: { ...AUTH, 'content-type': 'application/json' }, body });

/** the node flags of the checkout's `npm run start:prod`: each side runs as it would in production */
const prodNodeArgs = (dir) =>
  JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    .scripts['start:prod'].split(' ')
    .filter((word) => word.startsWith('--'));

async function startGateway(dir, env, nodeArgs) {
  const { child, match } = await startChild({
    script: join(dir, 'dist/apps/gateway/src/main.js'),
    nodeArgs: [...prodNodeArgs(dir), ...nodeArgs.split(' ').filter(Boolean)],
    env: {
      NODE_ENV: 'production',
      DATA_DIR: join(tmp, 'data'),
      GATEWAY_API_KEYS: API_KEY,
      CODE_SECRET: 'bench-code-secret-0123456789abcdef0123456789',
      VERIFY_MAX_ATTEMPTS: '100',
      PORT: '0',
      METRICS_TOKEN: 'bench-metrics-token',
      LOG_FORMAT: 'json',
      RETENTION_SECRETS_HOURS: '87600',
      WORKER_ENABLED: 'true',
      ...env,
    },
    ready: /listening on (http:\/\/[^\s;"]+)/,
    name: dir,
  });
  children.push(child);
  return { child, url: match[1].replace('localhost', '127.0.0.1') };
}

/** `request(i)`: the next request, for either side */
async function rounds(label, a, b, request) {
  for (const g of [a, b]) await load({ origin: g.url, connections: CONNECTIONS, durationMs: WARMUP_MS, request });
  const res = { a: [], b: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const which of r % 2 === 0 ? ['a', 'b'] : ['b', 'a']) {
      const g = which === 'a' ? a : b;
      const before = processCost(g.child.pid);
      const out = await load({ origin: g.url, connections: CONNECTIONS, durationMs: ROUND_MS, request });
      out.cpu = (processCost(g.child.pid).cpuMs - before.cpuMs) / Math.max(1, out.requests);
      res[which].push(out);
      log(
        `${label} round ${r + 1} ${which.toUpperCase()}: ${fmt(out.rps)} req/s, CPU ${fmt(out.cpu, 3)} ms/answer, ${out.bad + out.errors} bad`,
      );
    }
  }
  const ratio = (f) => fmt(median(res.b.map((x, i) => f(x) / f(res.a[i]))), 3);
  const rps = ratio((x) => x.rps);
  const cpu = ratio((x) => x.cpu);
  log(`${label}: B/A req/s ${rps}, B/A CPU per answer ${cpu} (medians of the rounds' ratios)`);
}

async function main() {
  const { startEmbeddedDatabase } = require(join(dirA, 'dist/libs/persistence/src/embedded-database.js'));
  const db = await startEmbeddedDatabase({ dataDir: join(tmp, 'postgres'), port: 0, ephemeral: true });
  children.push({ stop: () => db.stop() });
  const { child: sandbox, match } = await startChild({
    script: join(dirA, 'bench/sandbox-child.mjs'),
    ipc: true,
    env: { BENCH_STATUS_DELAY_MS: '300', BENCH_SEEN_DELAY_MS: '100' },
    ready: /BENCH_SANDBOX_READY (.*)/,
    name: 'sandbox',
  });
  children.push(sandbox);
  const info = JSON.parse(match[1]);
  const env = {
    DATABASE_URL: db.url,
    ROUTEE_APP_ID: info.appId,
    ROUTEE_APP_SECRET: info.appSecret,
    ROUTEE_AUTH_URL: info.url,
    ROUTEE_API_URL: info.url,
  };
  // A first: it migrates the database
  const a = await startGateway(dirA, env, process.env.AB_NODE_ARGS_A ?? '');
  const b = await startGateway(dirB, env, process.env.AB_NODE_ARGS_B ?? '');
  log(`A ${dirA} at ${a.url}, B ${dirB} at ${b.url}`);

  if (PHASES.includes('send'))
    await rounds('send', a, b, () => post('/otp/send-failover', sendBody(phone('30691', '71'))));
  if (PHASES.includes('failover'))
    await rounds('failover', a, b, () => post('/failover', failoverBody(phone('30697', '71'))));
  if (PHASES.includes('verify')) {
    await load({
      origin: a.url,
      connections: CONNECTIONS,
      count: 2000,
      request: () => post('/otp/send-failover', sendBody(phone('30699', '71'))),
    });
    const ids = await listIds(db.url);
    let next = 0;
    await rounds('verify', a, b, () =>
      post('/otp/verify', JSON.stringify({ id: ids[next++ % ids.length], code: '000000' })),
    );
  }
  if (PHASES.includes('get')) {
    const res = await request(`${a.url}/otp/send-failover`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: sendBody(phone('30690', '71')),
    });
    const { flowId } = await res.body.json();
    await new Promise((r) => setTimeout(r, 3000)); // delivered and seen: final
    await rounds('get', a, b, () => ({ method: 'GET', path: `/otp/failover/${flowId}`, headers: AUTH }));
  }
}

async function listIds(url) {
  const pg = require('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query(
    `SELECT f.id FROM flows f JOIN steps s ON s.flow_id = f.id AND s.step_order = 1 WHERE s.phone_number LIKE '30699%' AND f.verification_status = 'pending'`,
  );
  await client.end();
  return rows.map((r) => r.id);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 2;
  })
  .finally(async () => {
    for (const c of children.reverse()) await (c.stop ? c.stop() : stopChild(c, 5000)).catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
    process.exit(process.exitCode ?? 0);
  });
