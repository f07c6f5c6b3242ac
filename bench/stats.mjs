// The `stats` phase of npm run bench (bench/run.mjs): GET /otp/stats at 1M Failover OTP flows
// (BENCH_STATS_FLOWS) created over the last BENCH_STATS_DAYS days (90), p50 / p95 per query, target
// p95 <= 100 ms each (issue 15). Rows are written with SQL, as the list phase does (the stats only read
// what is stored); the steps and flows indexes the load would keep up are dropped during it and rebuilt.
import { loadWithoutIndexes, percentile } from './lib.mjs';

/** the indexes of migrations DeliveryListIndexes, PhoneRateLimitIndex and StatsRollup, rebuilt after the load */
const REBUILT_INDEXES = [
  'ix_flows_otp_created_at',
  'ix_steps_created_at_id',
  'ix_steps_status_lower_created_at',
  'ix_steps_phone_number_trgm',
  'ix_steps_label_trgm',
  'ix_steps_primary_phone_created_at',
];

const COUNTRIES = ['GR', 'GR', 'GR', 'CY', 'RO', 'BG', 'DE', null];

/**
 * Writes Failover OTP flows until `total` exist (flows an earlier phase wrote count), g = 1 newest,
 * one every `days` × 86,400 / total seconds. By g: a Viber primary for 4 in 5 (an SMS primary with a Viber
 * failover for the rest); the primary's country one of COUNTRIES (null = unknown); a Viber primary SEEN
 * (40 %), DELIVERED (20 %), EXPIRED (30 %), UNDELIVERED (10 %), an SMS primary Delivered (80 %) or
 * Undelivered; 60 % approved 5-54 s after the flow started. A failed primary's failover is sent unless the
 * flow was approved first (every other approved one): those are the SMS saved. Returns the number of
 * Failover OTP flows.
 */
export async function loadStatsFlows(admin, total, days, log = () => {}) {
  const existing = (await admin.query(`SELECT count(*)::int AS n FROM flows WHERE kind = 'otp'`)).rows[0].n;
  const flows = Math.max(0, total - existing);
  log(`stats: loading ${flows} Failover OTP flows over ${days} days (${existing} already there)`);
  const took = await loadWithoutIndexes(admin, REBUILT_INDEXES, async () => {
    const rows = `
      WITH x AS (
        SELECT g, md5('bench-stats-' || (g + ${existing}))::uuid AS fid,
               now() - (g * (${days * 86_400}.0 / ${Math.max(flows, 1)})) * interval '1 second' AS at,
               '3069' || lpad(((g::bigint * 7919 + 24680) % 100000000)::text, 8, '0') AS phone,
               CASE WHEN g % 5 = 4 THEN 'sms' ELSE 'viber' END AS channel,
               ($1::text[])[1 + (g / 7) % ${COUNTRIES.length}] AS country,
               (g / 3) % 10 AS r,
               (g / 11) % 10 < 6 AS approved
          FROM generate_series(1, ${flows}) g),
      y AS (
        SELECT x.*,
               CASE WHEN channel = 'viber' THEN CASE WHEN r < 4 THEN 'SEEN' WHEN r < 6 THEN 'DELIVERED' WHEN r < 9 THEN 'EXPIRED' ELSE 'UNDELIVERED' END
                    ELSE CASE WHEN r < 8 THEN 'Delivered' ELSE 'Undelivered' END END AS p_status,
               (channel = 'viber' AND r >= 6) OR (channel = 'sms' AND r >= 8) AS p_failed
          FROM x),
      z AS (
        SELECT y.*, p_failed AND NOT (approved AND g % 2 = 0) AS fo_sent FROM y)`;
    const definition = `jsonb_build_array(
        CASE WHEN channel = 'viber'
             THEN jsonb_build_object('type', 'ViberOtp', 'to', phone, 'order', 1, 'ttl', 60, 'label', 'login',
                    'templateId', '0aac888f-2ee2-4112-9659-1755a951966a', 'templateLang', 'en',
                    'senderInfoTrackingId', '0094d198-4dd2-4fb5-b451-d46aca191b27')
             ELSE jsonb_build_object('type', 'Sms', 'to', phone, 'order', 1, 'ttl', 60, 'label', 'login', 'from', 'Acme',
                    'message', jsonb_build_object('body', 'Your code is {code}')) END,
        CASE WHEN channel = 'viber'
             THEN jsonb_build_object('type', 'Sms', 'to', phone, 'order', 2, 'ttl', 300, 'label', 'login', 'from', 'Acme',
                    'message', jsonb_build_object('body', 'Your code is {code}'))
             ELSE jsonb_build_object('type', 'ViberOtp', 'to', phone, 'order', 2, 'ttl', 300, 'label', 'login',
                    'templateId', '0aac888f-2ee2-4112-9659-1755a951966a', 'templateLang', 'en',
                    'senderInfoTrackingId', '0094d198-4dd2-4fb5-b451-d46aca191b27') END)`;
    await admin.query(
      `${rows}
      INSERT INTO flows (id, kind, status, status_code, definition, failover_on_delivered, api_key_id, next_check_at, webhook_state,
                         code_hash, code_expires_at, verify_attempts, verification_status, verified_at, created_at, updated_at)
      SELECT fid, 'otp', CASE WHEN approved OR NOT p_failed OR (fo_sent AND g % 10 <> 0) THEN 'Succeeded' ELSE 'Failed' END,
             CASE WHEN approved OR NOT p_failed OR (fo_sent AND g % 10 <> 0) THEN NULL ELSE 2 END,
             ${definition}, false, 'bench', NULL, 'bench',
             md5('code-' || g), at + interval '10 minutes', CASE WHEN approved THEN 1 + g % 2 ELSE g % 3 END,
             CASE WHEN approved THEN 'approved' ELSE 'pending' END,
             CASE WHEN approved THEN at + (5 + g % 50) * interval '1 second' END, at, at + interval '70 seconds'
        FROM z`,
      [COUNTRIES],
    );
    await admin.query(
      `${rows}
      INSERT INTO steps (flow_id, step_order, role, channel, phone_number, label, tracking_id, status, send_state, price, country,
                         created_at, sent_at, status_updated_at, delivered_at)
      SELECT fid, 1, 'primary', channel, phone, 'login', md5('bench-stats-p-' || (g + ${existing}))::uuid::text, p_status, 'sent',
             CASE WHEN channel = 'sms' THEN 0.0375 WHEN p_failed THEN 0 ELSE 0.0093 END, country,
             at, at, at + interval '3 seconds', CASE WHEN NOT p_failed THEN at + (1 + g % 5) * interval '1 second' END
        FROM z`,
      [COUNTRIES],
    );
    await admin.query(
      `${rows}
      INSERT INTO steps (flow_id, step_order, role, channel, phone_number, label, tracking_id, status, send_state, price, country,
                         created_at, sent_at, status_updated_at, delivered_at)
      SELECT fid, 2, 'failover', CASE channel WHEN 'viber' THEN 'sms' ELSE 'viber' END, phone, 'login',
             md5('bench-stats-f-' || (g + ${existing}))::uuid::text,
             CASE WHEN g % 10 = 0 THEN CASE channel WHEN 'viber' THEN 'Undelivered' ELSE 'UNDELIVERED' END
                  ELSE CASE channel WHEN 'viber' THEN 'Delivered' ELSE 'DELIVERED' END END, 'sent',
             CASE WHEN channel = 'viber' THEN 0.0375 WHEN g % 10 = 0 THEN 0 ELSE 0.0093 END, country,
             at + interval '60 seconds', at + interval '60 seconds', at + interval '64 seconds',
             CASE WHEN g % 10 <> 0 THEN at + interval '60 seconds' + (2 + g % 7) * interval '1 second' END
        FROM z WHERE fo_sent`,
      [COUNTRIES],
    );
  });
  const n = (await admin.query(`SELECT count(*)::int AS n FROM flows WHERE kind = 'otp'`)).rows[0].n;
  log(
    `stats: ${n} Failover OTP flows; rows ${took.rowsSec.toFixed(1)} s, indexes + analyze ${took.indexesSec.toFixed(1)} s`,
  );
  return n;
}

/**
 * The phase: `ctx` carries run.mjs's pieces (admin pg client, startGatewayChild, http, record, log,
 * stopChild, fmt). Each query runs 3 times to warm up, then SAMPLES times, one at a time; p50 / p95 of
 * those. The default window (the last 7 days) by each group_by is held to the target; a 30-day window
 * (four times the flows) is printed beside it, to show how the time grows with the window.
 */
export async function benchStats(
  ctx,
  total = Number(process.env.BENCH_STATS_FLOWS ?? 1_000_000),
  days = Number(process.env.BENCH_STATS_DAYS ?? 90),
) {
  const { admin, startGatewayChild, http, record, log, stopChild, fmt } = ctx;
  // a gateway first: on its own (BENCH_SKIP of every other phase) it is what creates the tables
  const loader = await startGatewayChild({ WORKER_ENABLED: 'false' }, 'gateway (stats load)');
  await stopChild(loader.child);
  const n = await loadStatsFlows(admin, total, days, log);
  // The loaded flows are history written behind the rollup's back (an earlier phase's worker may have rolled
  // their hours up already, empty): the rollup starts afresh, as after the upgrade that brings it.
  await admin.query(`TRUNCATE stats_hours, stats_days, stats_rollup`);
  // the gateway that answers runs the worker, whose rollup starts at once: timed to its catching up
  const rollupStart = performance.now();
  const gw = await startGatewayChild({ WORKER_ENABLED: 'true' }, 'gateway (stats)');
  const closed = `date_trunc('hour', now() - interval '5 minutes', 'UTC')`;
  for (;;) {
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM stats_rollup WHERE rolled_through >= ${closed}`);
    if (rows[0].n === 1) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const rollupSec = (performance.now() - rollupStart) / 1000;
  const rolled = (await admin.query(`SELECT count(*)::int AS n FROM stats_hours`)).rows[0].n;
  record(
    `stats rollup of ${n} flows (first run, from the gateway's start; ${rolled} rows)`,
    `${fmt(rollupSec, 1)} s, ${fmt(n / rollupSec / 1000, 1)}k flows/s`,
    '-',
  );
  const month = new Date(Date.now() - 30 * 86_400_000).toISOString();
  const queries = [
    ['by channel, last 7 days (default)', '', true],
    ['by country, last 7 days', 'group_by=country', true],
    ['by day, last 7 days', 'group_by=day', true],
    ['by day, last 30 days', `group_by=day&from=${month}`, false],
  ];
  const SAMPLES = 20;
  for (const [name, qs, held] of queries) {
    const times = [];
    let flows;
    for (let i = 0; i < SAMPLES + 3; i++) {
      const t = performance.now();
      const res = await http('GET', `${gw.url}/otp/stats${qs ? `?${qs}` : ''}`);
      const ms = performance.now() - t;
      if (res.status !== 200) throw new Error(`stats ${name}: ${res.status} ${res.text.slice(0, 200)}`);
      flows = res.json.total.flows;
      if (i >= 3) times.push(ms);
    }
    times.sort((a, b) => a - b);
    const p95 = percentile(times, 95);
    record(
      `stats ${name} (${flows} of ${n} flows) p50 / p95`,
      `${fmt(percentile(times, 50), 1)} / ${fmt(p95, 1)} ms`,
      held ? 'p95 <= 100 ms' : '-',
      held ? p95 <= 100 : undefined,
    );
  }
  if (process.env.BENCH_HOLD_STATS_MS) {
    // debugging: keep the loaded database up for EXPLAIN by hand
    log(`stats: holding the database for ${process.env.BENCH_HOLD_STATS_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, Number(process.env.BENCH_HOLD_STATS_MS)));
  }
  await stopChild(gw.child);
}
