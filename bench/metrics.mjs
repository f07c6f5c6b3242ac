// The `metrics` phase of npm run bench (bench/run.mjs): GET /metrics scraped with 1M flows stored
// (BENCH_METRICS_FLOWS), p50 / p95, target p95 <= 20 ms (issue 16). The flows an earlier phase wrote count;
// the rest are written with SQL as final flows (the scrape reads no final flow: only the partial indexes of
// due flows and pending webhook events). On top, BENCH_METRICS_DUE flows due and as many pending webhook
// events (10,000 each: more than the 1,000 the gauges count, so each scrape reads its most index entries, its worst
// case), removed again at the end. The gateway runs with METRICS_TOKEN and without the worker (the due flows
// stay due), as a Prometheus server would scrape it: one request at a time.
import { request } from 'undici';
import { percentile } from './lib.mjs';

export const METRICS_TOKEN = 'bench-metrics-token-0123456789';
const MARK = 'bench-metrics';

/** writes final flows until `total` exist; returns the number of flows */
async function topUpFlows(admin, total, log) {
  const existing = (await admin.query(`SELECT count(*)::int AS n FROM flows`)).rows[0].n;
  const missing = Math.max(0, total - existing);
  log(`metrics: ${existing} flows stored, writing ${missing} more`);
  const started = performance.now();
  if (missing > 0) {
    await admin.query(
      `INSERT INTO flows (id, status, definition, failover_on_delivered, api_key_id, next_check_at, webhook_state, created_at, updated_at)
       SELECT md5('${MARK}-' || g)::uuid, 'Succeeded', '[]'::jsonb, false, 'bench', NULL, 'bench',
              now() - g * interval '7 seconds', now() - g * interval '7 seconds'
         FROM generate_series(1, ${missing}) g`,
    );
    await admin.query('ANALYZE flows');
  }
  log(`metrics: flows written in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return (await admin.query(`SELECT count(*)::int AS n FROM flows`)).rows[0].n;
}

/** `due` flows whose next check is past (up to 5 minutes late) and as many pending webhook events, not due for a day */
async function addBacklog(admin, due) {
  await admin.query(
    `INSERT INTO flows (id, status, definition, failover_on_delivered, api_key_id, next_check_at, webhook_state, created_at, updated_at)
     SELECT md5('${MARK}-due-' || g)::uuid, 'InProgress', '[]'::jsonb, false, '${MARK}', now() - (g % 300) * interval '1 second', NULL, now(), now()
       FROM generate_series(1, ${due}) g`,
  );
  await admin.query(
    `INSERT INTO webhook_events (flow_id, type, url, payload, state, next_attempt_at)
     SELECT md5('${MARK}-due-' || g)::uuid, 'step.status_changed', 'http://127.0.0.1:9/bench', '{}'::jsonb, 'pending', now() + interval '1 day'
       FROM generate_series(1, ${due}) g`,
  );
  await admin.query('ANALYZE flows; ANALYZE webhook_events');
}

async function removeBacklog(admin) {
  await admin.query(`DELETE FROM webhook_events WHERE url = 'http://127.0.0.1:9/bench'`);
  await admin.query(`DELETE FROM flows WHERE api_key_id = '${MARK}'`);
}

async function scrape(url, token = METRICS_TOKEN) {
  const res = await request(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.body.text();
  return { status: res.statusCode, text };
}

/** The phase: `ctx` carries run.mjs's pieces (admin pg client, startGatewayChild, record, log, stopChild, fmt). */
export async function benchMetrics(
  ctx,
  total = Number(process.env.BENCH_METRICS_FLOWS ?? 1_000_000),
  due = Number(process.env.BENCH_METRICS_DUE ?? 10_000),
) {
  const { admin, startGatewayChild, record, log, stopChild, fmt } = ctx;
  // a gateway first: on its own (BENCH_SKIP of every other phase) it is what creates the tables
  const loader = await startGatewayChild({ WORKER_ENABLED: 'false' }, 'gateway (metrics load)');
  await stopChild(loader.child);
  const flows = await topUpFlows(admin, total, log);
  await addBacklog(admin, due);
  const gw = await startGatewayChild({ WORKER_ENABLED: 'false', METRICS_TOKEN }, 'gateway (metrics)');
  try {
    const refused = await scrape(gw.url, 'not-the-metrics-token');
    if (refused.status !== 401) throw new Error(`metrics: a wrong token got ${refused.status}, not 401`);
    const SAMPLES = 100;
    const times = [];
    let last;
    for (let i = 0; i < SAMPLES + 10; i++) {
      const t = performance.now();
      last = await scrape(gw.url);
      const ms = performance.now() - t;
      if (last.status !== 200) throw new Error(`metrics: ${last.status} ${last.text.slice(0, 200)}`);
      if (i >= 10) times.push(ms);
    }
    const read = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(last.text)?.[1]);
    if (read('otp_flows_due') !== Math.min(due, 1000) || read('webhook_backlog') !== Math.min(due, 1000))
      throw new Error(
        `metrics: the gauges read ${read('otp_flows_due')} due flows, ${read('webhook_backlog')} pending events`,
      );
    times.sort((a, b) => a - b);
    const p95 = percentile(times, 95);
    record(
      `metrics scrape (${flows} flows stored; ${due} due, ${due} webhooks pending; ${(last.text.length / 1024).toFixed(0)} KiB) p50 / p95`,
      `${fmt(percentile(times, 50), 1)} / ${fmt(p95, 1)} ms`,
      'p95 <= 20 ms',
      p95 <= 20,
    );
  } finally {
    await stopChild(gw.child);
    await removeBacklog(admin);
  }
}
