// The `retention` phase of npm run bench (bench/run.mjs): retention's two passes (docs/operations.md,
// "Retention") at 1M flows (BENCH_RETENTION_FLOWS): the secrets of every final flow erased, then the flows
// older than BENCH_RETENTION_DAYS (30) of 90 days deleted. The statements are the worker's own
// (dist/libs/persistence/src/sql/retention.statements.js), run as the RetentionStore runs them: one statement a
// batch of BENCH_RETENTION_BATCH (1000) flows, each its own transaction, until a batch comes back short.
// Printed: rows/s of each pass, and the batches' p95 and longest time (how long a batch's rows stay locked).
// No target in issue 16: the figures are printed.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { percentile } from './lib.mjs';
import { loadStatsFlows } from './stats.mjs';

const require = createRequire(import.meta.url);

/** runs `sql` batch after batch until one answers fewer than `batch` flows; the batches' times in ms */
async function batches(admin, sql, params, batch) {
  const times = [];
  const totals = {};
  for (;;) {
    const t = performance.now();
    const { rows } = await admin.query({ name: sql.name, text: sql.text, values: params });
    times.push(performance.now() - t);
    for (const [k, v] of Object.entries(rows[0])) totals[k] = (totals[k] ?? 0) + v;
    if (rows[0].flows < batch) break;
  }
  return { times, totals, ms: times.reduce((a, b) => a + b, 0) };
}

const count = async (admin, table) => (await admin.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;

/** The phase: `ctx` carries run.mjs's pieces (admin pg client, startGatewayChild, record, log, stopChild, fmt, root). */
export async function benchRetention(
  ctx,
  total = Number(process.env.BENCH_RETENTION_FLOWS ?? 1_000_000),
  days = Number(process.env.BENCH_RETENTION_DAYS ?? 30),
  batch = Number(process.env.BENCH_RETENTION_BATCH ?? 1000),
) {
  const { admin, startGatewayChild, record, log, stopChild, fmt, root } = ctx;
  const { DELETE_CUTOFFS, DELETE_OTP_FLOWS, DELETE_FAILOVER_FLOWS, ERASE_SECRETS } = require(
    join(root, 'dist/libs/persistence/src/sql/retention.statements.js'),
  );
  // a gateway first: on its own (BENCH_SKIP of every other phase) it is what creates the tables
  const loader = await startGatewayChild({ WORKER_ENABLED: 'false' }, 'gateway (retention load)');
  await stopChild(loader.child);
  // Failover OTP flows over 90 days, as the stats phase writes them (flows earlier phases wrote count):
  // final, a code hash, SMS bodies; their last change more than a day ago
  await loadStatsFlows(admin, total, 90, log);
  const flows = await count(admin, 'flows');
  const due = (
    await admin.query(
      `SELECT count(*)::int AS n FROM flows WHERE secrets_erased_at IS NULL AND status IN ('Succeeded', 'Failed')
          AND updated_at < now() - interval '24 hours' AND (code_expires_at IS NULL OR code_expires_at <= now())`,
    )
  ).rows[0].n;
  await admin.query('VACUUM ANALYZE flows');

  log(`retention: erasing the secrets of ${due} of ${flows} flows, ${batch} a statement`);
  const erase = await batches(admin, ERASE_SECRETS, [24, batch], batch);
  erase.times.sort((a, b) => a - b);
  record(
    `retention erase secrets: ${erase.totals.flows} of ${flows} flows, ${erase.times.length} batches of ${batch}`,
    `${fmt(erase.totals.flows / (erase.ms / 1000))} flows/s (${fmt(erase.ms / 1000, 1)} s)`,
    '-',
  );
  record(
    'retention erase secrets: batch p95 / longest (rows locked)',
    `${fmt(percentile(erase.times, 95), 1)} / ${fmt(erase.times[erase.times.length - 1], 1)} ms`,
    '-',
  );
  // flows whose day runs out during the pass are erased too
  if (erase.totals.flows < due) throw new Error(`retention: erased ${erase.totals.flows} flows, ${due} were due`);

  // the deletion waits for the stats rollup to have counted an hour; the stats phase times the rollup itself,
  // here its state is set to caught up, as a running worker keeps it
  await admin.query(
    `INSERT INTO stats_rollup (id, rolled_through, last_run_at) VALUES (true, now(), now())
     ON CONFLICT (id) DO UPDATE SET rolled_through = now(), last_run_at = now()`,
  );
  await admin.query('VACUUM ANALYZE flows');
  const [stepsBefore, eventsBefore] = [await count(admin, 'steps'), await count(admin, 'webhook_events')];
  const { rows } = await admin.query({ name: DELETE_CUTOFFS.name, text: DELETE_CUTOFFS.text, values: [days] });
  const [{ otp_before, failover_before }] = rows;
  log(`retention: deleting the flows created before ${otp_before.toISOString()} (${days} days), ${batch} a statement`);
  const otp = await batches(admin, DELETE_OTP_FLOWS, [otp_before, batch], batch);
  const api = await batches(admin, DELETE_FAILOVER_FLOWS, [failover_before, batch], batch);
  const deleted = otp.totals.flows + api.totals.flows;
  const steps = stepsBefore - (await count(admin, 'steps'));
  const events = eventsBefore - (await count(admin, 'webhook_events'));
  const ms = otp.ms + api.ms;
  const times = [...otp.times, ...api.times].sort((a, b) => a - b);
  record(
    `retention delete: ${deleted} of ${flows} flows older than ${days} days, with ${steps} steps and ${events} webhook events, ${times.length} batches of ${batch}`,
    `${fmt(deleted / (ms / 1000))} flows/s, ${fmt((deleted + steps + events) / (ms / 1000))} rows/s (${fmt(ms / 1000, 1)} s)`,
    '-',
  );
  record(
    'retention delete: batch p95 / longest (rows locked)',
    `${fmt(percentile(times, 95), 1)} / ${fmt(times[times.length - 1], 1)} ms`,
    '-',
  );
  const left = (await admin.query(`SELECT count(*)::int AS n FROM flows WHERE created_at < $1`, [failover_before]))
    .rows[0].n;
  if (deleted === 0 || left !== 0) throw new Error(`retention: deleted ${deleted} flows, ${left} older ones left`);
}
