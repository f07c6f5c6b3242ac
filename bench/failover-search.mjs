// The `search` phase of npm run bench (bench/run.mjs): POST /failover/tracking at 1M Failover API
// flows (BENCH_SEARCH_FLOWS), p50 / p95 per documented filter, target p95 <= 25 ms each (issue 14).
// Rows are written with SQL, as the list phase does (the search only reads what is stored); the
// indexes are dropped during the load and rebuilt after it. The plans: docs/failover-search.md.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { URLSearchParams } from 'node:url';
import { loadWithoutIndexes, percentile } from './lib.mjs';

/** the search's indexes (migrations FailoverSearchIndexes, FailoverSearchTable), rebuilt after the load (faster than kept up during it) */
const SEARCH_INDEXES = [
  'ix_flows_failover_created_at_id',
  'ix_flows_failover_status_created_at',
  'ix_failover_search_created_at',
  'ix_failover_search_to_text',
  'ix_failover_search_from_text',
  'ix_failover_search_label_text',
  'ix_failover_search_to_numbers',
  'ix_failover_search_types',
  'ix_failover_search_id_text',
  'ix_steps_flow_last_step',
  // the deliveries list's and the rate limit's, on steps: also faster rebuilt than kept up during the load
  'ix_steps_created_at_id',
  'ix_steps_status_lower_created_at',
  'ix_steps_phone_number_trgm',
  'ix_steps_label_trgm',
  'ix_steps_primary_phone_created_at',
];

const LABELS = [
  'login',
  'signup',
  'password-reset',
  '2fa-login',
  'checkout',
  'withdrawal',
  'device-link',
  'email-change',
];
const SMS_SENDERS = ['Acme', 'AcmeBank', 'Shop24', 'Notify'];
const VIBER_SENDERS = [
  '0094d198-4dd2-4fb5-b451-d46aca191b27',
  '5f1c2a7e-3b9d-4e61-9a0f-7c2d8e4b1a36',
  'c3e8a1f0-6d2b-4c7a-8e95-1b4f7d0a2c58',
];
const VOICE_CALLERS = ['302101234567', '302109876543'];

/**
 * Writes Failover API flows until `total` exist, created over the last ~90 days (g = 1 newest).
 * Plans by g % 4: Viber→Sms, Sms, Viber→Sms→Voice, Sms→Voice. Outcome by (g / 16) % 10: 60 % end on
 * step 1, 20 % on step 2, 10 % on step 3 (or fail at the end of a shorter plan), 10 % fail on step 1
 * with a status that is not a trigger (statusCode 3); the newest 1,000 are InProgress on step 1 and the
 * newest 100 of those Queued (step 1 written, not handed to Routee yet). Returns the number of Failover API flows.
 */
export async function loadFailoverFlows(admin, total, log = () => {}) {
  const existing = (await admin.query(`SELECT count(*)::int AS n FROM flows WHERE kind = 'failover'`)).rows[0].n;
  const flows = Math.max(0, total - existing);
  log(`search: loading ${flows} Failover API flows (${existing} already there)`);
  const took = await loadWithoutIndexes(admin, SEARCH_INDEXES, async () => {
    // the search rows in one statement after the flows, as the migration's backfill writes them, not by the trigger a row
    await admin.query(`ALTER TABLE flows DISABLE TRIGGER tr_flows_failover_search`);
    const plan = `CASE g % 4 WHEN 0 THEN ARRAY['Viber','Sms'] WHEN 1 THEN ARRAY['Sms'] WHEN 2 THEN ARRAY['Viber','Sms','Voice'] ELSE ARRAY['Sms','Voice'] END`;
    const rows = `
      WITH x AS (
        SELECT g, md5('bench-failover-' || (g + ${existing}))::uuid AS fid,
               now() - (g * (7776000.0 / ${Math.max(flows, 1)})) * interval '1 second' AS at,
               '3069' || lpad(((g::bigint * 7919 + 54321) % 100000000)::text, 8, '0') AS phone,
               p.plan, cardinality(p.plan) AS len, (g / 16) % 10 AS r
          FROM generate_series(1, ${flows}) g, LATERAL (SELECT ${plan} AS plan) p),
      y AS (
        SELECT x.*,
               CASE WHEN g <= 1000 THEN 1
                    ELSE least(len, CASE WHEN r < 6 OR r = 9 THEN 1 WHEN r < 8 THEN 2 ELSE 3 END) END AS reached,
               CASE WHEN g <= 100 THEN 'Queued' WHEN g <= 1000 THEN 'InProgress'
                    WHEN r < 6 OR (r < 8 AND len >= 2) OR (r = 8 AND len >= 3) THEN 'Succeeded' ELSE 'Failed' END AS status,
               CASE WHEN g <= 1000 OR r < 6 OR (r < 8 AND len >= 2) OR (r = 8 AND len >= 3) THEN NULL
                    WHEN r = 9 THEN 3 ELSE 2 END AS status_code
          FROM x)`;
    await admin.query(
      `${rows}
      INSERT INTO flows (id, kind, status, status_code, definition, failover_on_delivered, callback_strategy, api_key_id,
                         next_check_at, webhook_state, created_at, updated_at, termination_channel)
      SELECT fid, 'failover', status, status_code,
             (SELECT jsonb_agg(CASE t
                WHEN 'Sms' THEN jsonb_build_object('type', t, 'to', phone, 'order', k, 'ttl', 72000, 'label', ($1::text[])[1 + (g / 3) % 8],
                  'failoverOnStatuses', jsonb_build_array('Undelivered', 'Failed'),
                  'from', ($2::text[])[1 + (g / 4) % 4], 'message', jsonb_build_object('body', 'Your code is ' || lpad((g % 1000000)::text, 6, '0')))
                WHEN 'Viber' THEN jsonb_build_object('type', t, 'to', phone, 'order', k, 'ttl', 600, 'label', ($1::text[])[1 + (g / 3) % 8],
                  'failoverOnStatuses', jsonb_build_array('Expired', 'Failed', 'Undelivered'),
                  'senderInfoTrackingId', ($3::text[])[1 + (g / 5) % 3], 'expireOnDelivery', false,
                  'message', jsonb_build_object('text', 'Your code is ' || lpad((g % 1000000)::text, 6, '0')))
                ELSE jsonb_build_object('type', t, 'to', phone, 'order', k, 'ttl', 600, 'label', ($1::text[])[1 + (g / 3) % 8],
                  'failoverOnStatuses', jsonb_build_array('Busy', 'NoAnswer'),
                  'from', ($4::text[])[1 + (g / 7) % 2], 'address', jsonb_build_object('phone', '+' || phone),
                  'dialPlan', jsonb_build_object('verbs', jsonb_build_array(jsonb_build_object('type', 'SAY', 'message',
                    jsonb_build_object('language', 'en-US', 'gender', 'female', 'text', 'Your code is ' || lpad((g % 1000000)::text, 6, '0'))))))
                END ORDER BY k)
                FROM unnest(plan) WITH ORDINALITY AS u(t, k)),
             false, 'OnCompletion', 'bench', NULL, 'bench', at, at + interval '70 seconds',
             -- as the engine writes it with the final status: the last step's channel
             CASE WHEN status IN ('Succeeded', 'Failed') THEN lower(plan[reached]) END
        FROM y`,
      [LABELS, SMS_SENDERS, VIBER_SENDERS, VOICE_CALLERS],
    );
    await admin.query(
      `${rows}
      INSERT INTO steps (flow_id, step_order, role, channel, phone_number, label, tracking_id, status, send_state, price, country,
                         created_at, sent_at, status_updated_at, delivered_at)
      SELECT fid, k, CASE WHEN k = 1 THEN 'primary' ELSE 'failover' END, lower(plan[k]), phone, ($1::text[])[1 + (g / 3) % 8],
             md5('bench-failover-step-' || (g + ${existing}) || '-' || k)::uuid::text,
             CASE WHEN k < reached OR (k = reached AND status = 'Failed')
                  THEN CASE plan[k] WHEN 'Viber' THEN 'Expired' WHEN 'Sms' THEN 'Undelivered' ELSE 'NoAnswer' END
                  WHEN status = 'Succeeded' THEN CASE plan[k] WHEN 'Voice' THEN 'Completed' ELSE 'Delivered' END
                  ELSE 'Queued' END,
             'sent', CASE plan[k] WHEN 'Sms' THEN 0.0375 WHEN 'Viber' THEN 0.0093 ELSE 0.02 END, 'GR',
             at + (k - 1) * interval '30 seconds', at + (k - 1) * interval '30 seconds', at + (k - 1) * interval '30 seconds' + interval '3 seconds',
             CASE WHEN status = 'Succeeded' AND k = reached THEN at + (k - 1) * interval '30 seconds' + interval '3 seconds' END
        FROM y, generate_series(1, reached) k`,
      [LABELS],
    );
    await admin.query(`
      INSERT INTO failover_search SELECT r.* FROM flows f, failover_search_row(f.id, f.created_at, f.definition) r
       WHERE f.kind = 'failover' ON CONFLICT (flow_id) DO NOTHING`);
    await admin.query(`ALTER TABLE flows ENABLE TRIGGER tr_flows_failover_search`);
  });
  const n = (await admin.query(`SELECT count(*)::int AS n FROM flows WHERE kind = 'failover'`)).rows[0].n;
  log(
    `search: ${n} Failover API flows; rows ${took.rowsSec.toFixed(1)} s, indexes + analyze ${took.indexesSec.toFixed(1)} s`,
  );
  return n;
}

/** one query per documented filter (and a few combinations), as an integrator would send them */
export async function searchQueries(admin) {
  const one = (
    await admin.query(
      `SELECT id::text AS id, definition->0->>'to' AS phone FROM flows WHERE kind = 'failover' ORDER BY created_at DESC OFFSET 12345 LIMIT 1`,
    )
  ).rows[0];
  const f = (fieldName, searchOperator, searchTerm) => ({ fieldName, searchOperator, searchTerm });
  return [
    ['no filter', '', []],
    ['no filter, page 500', 'page=500', []],
    ['to is', '', [f('to', 'is', `+${one.phone}`)]],
    ['to contains', '', [f('to', 'contains', one.phone.slice(4, 11))]],
    ['to is_not', '', [f('to', 'is_not', `+${one.phone}`)]],
    ['from is (Sms)', '', [f('from', 'is', 'acmebank')]],
    ['from is (Viber sender id)', '', [f('from', 'is', VIBER_SENDERS[1])]],
    ['from contains', '', [f('from', 'contains', 'shop')]],
    ['from not_contains', '', [f('from', 'not_contains', 'acme')]],
    ['type is Voice', '', [f('type', 'is', 'Voice')]],
    ['type is_not Voice', '', [f('type', 'is_not', 'voice')]],
    ['status is Failed', '', [f('status', 'is', 'failed')]],
    ['status is Queued', '', [f('status', 'is', 'Queued')]],
    ['label is', '', [f('label', 'is', 'checkout')]],
    ['label contains', '', [f('label', 'contains', 'login')]],
    ['trackingId is', '', [f('trackingId', 'is', one.id)]],
    ['trackingId contains', '', [f('trackingId', 'contains', one.id.slice(0, 8))]],
    ['terminationChannel is Voice', '', [f('terminationChannel', 'is', 'Voice')]],
    ['terminationChannel is_not Sms', '', [f('terminationChannel', 'is_not', 'Sms')]],
    ['to is + type is_not Voice (Routee example)', '', [f('to', 'is', `+${one.phone}`), f('type', 'is_not', 'Voice')]],
    ['a 7-day window + status is Succeeded', 'WINDOW', [f('status', 'is', 'Succeeded')]],
  ];
}

/**
 * The phase: `ctx` carries run.mjs's pieces (admin pg client, startGatewayChild, http, record, log,
 * stopChild, fmt). Each query runs 3 times to warm up, then SAMPLES times; p50 / p95 of those.
 */
export async function benchSearch(ctx, total = Number(process.env.BENCH_SEARCH_FLOWS ?? 1_000_000)) {
  const { admin, startGatewayChild, http, record, log, stopChild, fmt } = ctx;
  const gw = await startGatewayChild({ WORKER_ENABLED: 'false' }, 'gateway (search)');
  const n = await loadFailoverFlows(admin, total, log);
  const SAMPLES = 20;
  const week = new Date(Date.now() - 30 * 86_400_000);
  const windowQs = `dateStart=${week.toISOString()}&dateEnd=${new Date(week.getTime() + 7 * 86_400_000).toISOString()}`;
  for (const [name, qs0, filters] of await searchQueries(admin)) {
    const qs = qs0 === 'WINDOW' ? windowQs : qs0;
    const times = [];
    let total;
    for (let i = 0; i < SAMPLES + 3; i++) {
      const t = performance.now();
      const res = await http('POST', `${gw.url}/failover/tracking${qs ? `?${qs}` : ''}`, JSON.stringify(filters));
      const ms = performance.now() - t;
      if (res.status !== 200) throw new Error(`search ${name}: ${res.status} ${res.text.slice(0, 200)}`);
      // counted up to 200 past the page (FAILOVER_SEARCH_COUNT_AHEAD): at that bound, more may match
      const atLeast = !res.json.last && res.json.totalElements >= (res.json.number + 1) * res.json.size + 200;
      total = `${atLeast ? 'at least ' : ''}${res.json.totalElements}`;
      if (i >= 3) times.push(ms);
    }
    times.sort((a, b) => a - b);
    const p95 = percentile(times, 95);
    record(
      `search ${name} (totalElements ${total} of ${n}) p50 / p95`,
      `${fmt(percentile(times, 50), 1)} / ${fmt(p95, 1)} ms`,
      'p95 <= 25 ms',
      p95 <= 25,
    );
  }
  if (process.env.BENCH_SEARCH_EXPLAIN) await explainSearches(admin, windowQs, process.env.BENCH_SEARCH_EXPLAIN, log);
  if (process.env.BENCH_HOLD_SEARCH_MS) {
    // debugging: keep the loaded database (and the gateway) up for EXPLAIN by hand
    const c = admin.connectionParameters;
    const url = `postgres://${c.user}:${c.password}@${c.host}:${c.port}/${c.database}`;
    log(`search: holding ${url} and the gateway ${gw.url} for ${process.env.BENCH_HOLD_SEARCH_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, Number(process.env.BENCH_HOLD_SEARCH_MS)));
  }
  await stopChild(gw.child);
}

/**
 * BENCH_SEARCH_EXPLAIN=file: the plans of every query above (EXPLAIN (ANALYZE, BUFFERS), the SQL the store
 * runs, from the build in dist/: the page and the bounded count in one statement), written to `file`
 * (docs/failover-search.md quotes them).
 */
async function explainSearches(admin, windowQs, file, log) {
  const require = createRequire(import.meta.url);
  const sql = require(join(import.meta.dirname, '../dist/libs/persistence/src/sql/failover-search.statements.js'));
  const { FAILOVER_SEARCH_COUNT_AHEAD } = require(
    join(import.meta.dirname, '../dist/libs/persistence/src/failover-search.store.js'),
  );
  const out = [];
  for (const [name, qs0, filters] of await searchQueries(admin)) {
    const qs = new URLSearchParams(qs0 === 'WINDOW' ? windowQs : qs0);
    const size = 20;
    const offset = Number(qs.get('page') ?? 0) * size;
    const where = sql.failoverSearchWhere({
      createdFrom: qs.get('dateStart') ? new Date(qs.get('dateStart')) : undefined,
      createdBefore: qs.get('dateEnd') ? new Date(qs.get('dateEnd')) : undefined,
      filters: filters.map((f) => ({ field: f.fieldName, operator: f.searchOperator, term: f.searchTerm })),
    });
    const matches = sql.failoverSearchMatches(where);
    const explain = async (text, params) =>
      (await admin.query({ text: `EXPLAIN (ANALYZE, BUFFERS) ${text}`, values: params })).rows
        .map((r) => r['QUERY PLAN'])
        .join('\n');
    out.push(
      `### ${name}\n\n${JSON.stringify(filters)}${qs0 ? ` ?${qs0 === 'WINDOW' ? 'dateStart=…&dateEnd=… (7 days)' : qs0}` : ''}\n\n` +
        '```\n' +
        (await explain(matches.text, [
          ...where.params,
          offset + size + FAILOVER_SEARCH_COUNT_AHEAD + 1,
          size,
          offset,
        ])) +
        '\n```\n',
    );
  }
  writeFileSync(file, out.join('\n'));
  log(`search: plans written to ${file}`);
}
