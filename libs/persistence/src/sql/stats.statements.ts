import { statement, type Statement } from './statement';

/**
 * GET /otp/stats (CONTRACT section 11) over the Failover OTP flows created in
 * a window, from two sources (README, "Stats"):
 * - the rollup (`stats_hours` and `stats_days`, migration StatsRollup): one
 *   row per hour (the open one partial) or UTC day, primary channel and
 *   country, written by ROLL_UP_HOURS and ROLL_UP_DAYS;
 * - the flows themselves, for the rest of the window (its partial first
 *   hour, and what is not rolled up yet), read by created_at.
 *
 * What each figure reads, per flow (flowFacts):
 * - delivered: a step in a success status of Failover OTP's vocabulary
 *   (libs/flow step-status.ts: Viber DELIVERED/SEEN, SMS Delivered or Sent),
 *   compared case-insensitively as the engine does;
 * - time to deliver: delivered_at − sent_at of the step delivered first
 *   (the engine sets delivered_at at the step's first delivery report);
 * - DECISION, SMS saved: an approved flow whose definition has an SMS
 *   failover that was never handed to Routee (no failover step sent or
 *   refused), and whose Viber primary does not read as a success that ends
 *   the flow anyway: SEEN, or DELIVERED without failoverOnDelivered. Those
 *   flows would have sent the SMS without the approval; a flow whose user
 *   read the Viber message and whose report says so would not have;
 * - cost: the sum of the steps' known prices.
 *
 * The medians: the rollup keeps each hour's times as a histogram (the key
 * of two significant digits, BIN_KEY; the count and the sum of the times in
 * each bin), the flows read directly give their exact times. The median is
 * percentile_cont(0.5) over points weighing their count: an exact time, or a
 * bin at the mean of its times. Exact when no bin holds two different times;
 * otherwise off by less than the bin's width (under 10 % of the figure, in
 * practice far less, since the mean sits inside the bin).
 */

export type StatsGroupBy = 'channel' | 'country' | 'day';

export interface StatsRow {
  /** null on the total row */
  key: string | null;
  is_total: boolean;
  flows: number;
  viber_messages: number;
  sms_messages: number;
  delivered: number;
  verified: number;
  failovers: number;
  sms_saved: number;
  /** seconds; null when no flow of the group has the figure */
  median_time_to_deliver: number | null;
  median_time_to_verify: number | null;
  /** the sum of double precision prices: round it for display */
  cost: number;
}

/** the step's status is a success in Failover OTP's vocabulary (step-status.ts's OTP_VOCABULARY), case-insensitive */
const success = (s: string) =>
  `(${s}.channel = 'viber' AND lower(${s}.status COLLATE "C") IN ('delivered', 'seen'))
    OR (${s}.channel = 'sms' AND lower(${s}.status COLLATE "C") IN ('delivered', 'sent'))`;

/** 1 when the step (if any) was sent on the channel */
const sentOn = (s: string, channel: string) =>
  `COALESCE(${s}.send_state = 'sent' AND ${s}.channel = '${channel}', false)::int`;

/**
 * One row per Failover OTP flow of `source` (a FROM list that names the flows `f`; the caller adds its
 * conditions on f): the hour and the groups it counts in, and its figures. A flow has at most two steps,
 * its primary and its failover.
 */
const flowFacts = (source: string) => `
  SELECT date_trunc('hour', f.created_at, 'UTC') AS hour, f.created_at,
         COALESCE(p.channel, 'unknown') AS channel, COALESCE(p.country, 'unknown') AS country,
         ${sentOn('p', 'viber')} + ${sentOn('o', 'viber')} AS viber_messages,
         ${sentOn('p', 'sms')} + ${sentOn('o', 'sms')} AS sms_messages,
         COALESCE(${success('p')} OR ${success('o')}, false)::int AS delivered,
         (f.verification_status = 'approved')::int AS verified,
         COALESCE(o.send_state = 'sent', false)::int AS failovers,
         -- approved, no failover handed to Routee, a Viber primary that would not have ended the flow on its own
         COALESCE(f.verification_status = 'approved' AND (o.send_state IS NULL OR o.send_state NOT IN ('sent', 'failed'))
                  AND p.channel = 'viber' AND lower(p.status COLLATE "C") <> 'seen'
                  AND (lower(p.status COLLATE "C") <> 'delivered' OR f.failover_on_delivered)
                  AND f.definition -> 1 ->> 'type' = 'Sms', false)::int AS sms_saved,
         date_part('epoch', CASE WHEN o.delivered_at IS NULL OR p.delivered_at <= o.delivered_at
                                 THEN p.delivered_at - p.sent_at ELSE o.delivered_at - o.sent_at END) AS to_deliver,
         date_part('epoch', f.verified_at - f.created_at) AS to_verify,
         COALESCE(p.price, 0) + COALESCE(o.price, 0) AS cost
    FROM ${source}
    LEFT JOIN steps p ON p.flow_id = f.id AND p.role = 'primary'
    LEFT JOIN steps o ON o.flow_id = f.id AND o.role = 'failover'
   WHERE f.kind = 'otp'`;

/**
 * A time's histogram bin: its exponent and its first two significant digits (1.234 s → 12, 56.7 s → 157),
 * so that the bins of any two hours line up. Zero and negative times (clocks) share one bin.
 */
const BIN_KEY = (v: string) =>
  `CASE WHEN ${v} > 0 THEN (floor(log(${v})) * 100 + round(${v} / 10 ^ (floor(log(${v})) - 1)))::int ELSE -1000000 END`;

const COUNTED = ['flows', 'viber_messages', 'sms_messages', 'delivered', 'verified', 'failovers', 'sms_saved'] as const;
const sums = (columns: readonly string[]) => columns.map((c) => `COALESCE(sum(${c}), 0)::int AS ${c}`).join(', ');

/**
 * The INSERT of rollup rows into `table`, keyed by `period` (hour or day), channel and country, from the
 * caller's CTEs `counted` (the key, the counts, cost) and `bins` (the key, metric 1 deliver / 2 verify, and
 * each bin's k, n and s). Answers the rows written.
 */
const insertRollupRows = (table: string, period: string) => `
histograms AS (
  SELECT ${period}, channel, country,
         array_agg(ROW(k, n, s)::stats_bin ORDER BY k) FILTER (WHERE metric = 1) AS deliver_bins,
         array_agg(ROW(k, n, s)::stats_bin ORDER BY k) FILTER (WHERE metric = 2) AS verify_bins
    FROM bins GROUP BY 1, 2, 3),
written AS (
  INSERT INTO ${table} (${period}, channel, country, ${COUNTED.join(', ')}, cost, deliver_bins, verify_bins)
  SELECT c.${period}, c.channel, c.country, ${COUNTED.map((col) => `c.${col}`).join(', ')}, c.cost,
         COALESCE(h.deliver_bins, '{}'), COALESCE(h.verify_bins, '{}')
    FROM counted c LEFT JOIN histograms h USING (${period}, channel, country)
  RETURNING 1)
SELECT count(*)::int AS rows FROM written`;

/** the flows of the hours from $1 to $2, as rows of stats_hours; run after those hours' old rows are deleted */
export const ROLL_UP_HOURS = statement<[from: Date, to: Date], { rows: number }>(
  'stats_roll_up_hours',
  `WITH facts AS (${flowFacts('flows f')} AND f.created_at >= $1 AND f.created_at < $2),
counted AS (
  SELECT hour, channel, country, count(*)::int AS flows, ${sums(COUNTED.slice(1))}, sum(cost) AS cost
    FROM facts GROUP BY 1, 2, 3),
bins AS (
  SELECT hour, channel, country, m.metric, ${BIN_KEY('m.v')} AS k, count(*)::int AS n, sum(m.v) AS s
    FROM facts, LATERAL (VALUES (1, facts.to_deliver), (2, facts.to_verify)) m(metric, v)
   WHERE m.v IS NOT NULL
   GROUP BY 1, 2, 3, 4, 5),
${insertRollupRows('stats_hours', 'hour')}`,
);

/**
 * The days from $1 to $2 as rows of stats_days, summed from their rows of stats_hours (the bins of the same
 * key merged); run after those days' old rows are deleted, and after their hours were rolled up.
 */
export const ROLL_UP_DAYS = statement<[from: Date, to: Date], { rows: number }>(
  'stats_roll_up_days',
  `WITH hours AS (SELECT date_trunc('day', hour, 'UTC') AS day, * FROM stats_hours WHERE hour >= $1 AND hour < $2),
counted AS (
  SELECT day, channel, country, ${sums(COUNTED)}, sum(cost) AS cost FROM hours GROUP BY 1, 2, 3),
bins AS (
  SELECT day, channel, country, m.metric, b.k, sum(b.n)::int AS n, sum(b.s) AS s
    FROM hours, LATERAL (VALUES (1, hours.deliver_bins), (2, hours.verify_bins)) m(metric, bins), unnest(m.bins) b
   GROUP BY 1, 2, 3, 4, 5),
${insertRollupRows('stats_days', 'day')}`,
);

export const DELETE_STATS_HOURS = statement<[from: Date, to: Date]>(
  'stats_delete_hours',
  `DELETE FROM stats_hours WHERE hour >= $1 AND hour < $2`,
);

export const DELETE_STATS_DAYS = statement<[from: Date, to: Date]>(
  'stats_delete_days',
  `DELETE FROM stats_days WHERE day >= $1 AND day < $2`,
);

/** one rollup at a time across processes (the lock ends with the transaction), and the database's clock */
export const TRY_LOCK_ROLLUP = statement<[lock: number], { locked: boolean; now: Date }>(
  'stats_try_lock_rollup',
  `SELECT pg_try_advisory_xact_lock($1) AS locked, now() AS now`,
);

/** the rollup's state: every hour before rolled_through is in stats_hours; none before the first run */
export const READ_ROLLUP = statement<[], { rolled_through: Date; last_run_at: Date }>(
  'stats_read_rollup',
  `SELECT rolled_through, last_run_at FROM stats_rollup`,
);

export const SAVE_ROLLUP = statement<[rolledThrough: Date, lastRunAt: Date]>(
  'stats_save_rollup',
  `INSERT INTO stats_rollup (id, rolled_through, last_run_at) VALUES (true, $1, $2)
   ON CONFLICT (id) DO UPDATE SET rolled_through = EXCLUDED.rolled_through, last_run_at = EXCLUDED.last_run_at`,
);

/** the hour of the first Failover OTP flow created from $1 on: a rollup skips the empty hours before it */
export const NEXT_FLOW_HOUR = statement<[from: Date | string], { hour: Date | null }>(
  'stats_next_flow_hour',
  `SELECT date_trunc('hour', min(created_at), 'UTC') AS hour FROM flows WHERE kind = 'otp' AND created_at >= $1`,
);

/** the rolled hours (from $1 on, before $2) that have a flow written since $3 */
export const CHANGED_HOURS = statement<[since: Date, before: Date, changedAfter: Date], { hour: Date }>(
  'stats_changed_hours',
  `SELECT DISTINCT date_trunc('hour', created_at, 'UTC') AS hour FROM flows
    WHERE kind = 'otp' AND created_at >= $1 AND created_at < $2 AND updated_at > $3
    ORDER BY 1`,
);

// COLLATE "C": the groups in byte order (CY, GR, RO, unknown), whatever the database's collation
const KEYS: Record<StatsGroupBy, { flows: string; hours: string; days: string }> = {
  channel: { flows: `channel COLLATE "C"`, hours: `channel COLLATE "C"`, days: `channel COLLATE "C"` },
  country: { flows: `country COLLATE "C"`, hours: `country COLLATE "C"`, days: `country COLLATE "C"` },
  day: {
    flows: `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') COLLATE "C"`,
    hours: `to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD') COLLATE "C"`,
    days: `to_char(day AT TIME ZONE 'UTC', 'YYYY-MM-DD') COLLATE "C"`,
  },
};

const ROLLED_COLUMNS = [...COUNTED, 'cost', 'deliver_bins', 'verify_bins'].join(', ');

/** percentile_cont(0.5) of weighted points, per `partition`: the mean of the two middle ranks' values */
const weightedMedian = (partition: string) => `
  SELECT ${partition}, (min(v) FILTER (WHERE cum >= lo) + min(v) FILTER (WHERE cum >= hi)) / 2 AS median
    FROM (SELECT ${partition}, v,
                 sum(n) OVER (PARTITION BY ${partition} ORDER BY v ROWS UNBOUNDED PRECEDING) AS cum,
                 floor((sum(n) OVER (PARTITION BY ${partition}) + 1) / 2.0) AS lo,
                 ceil((sum(n) OVER (PARTITION BY ${partition}) + 1) / 2.0) AS hi
            FROM points) ranked
   GROUP BY ${partition}`;

/** [from, to) ranges, in the window's order */
type StatsParams = [
  liveFrom: Date,
  liveTo: Date,
  hoursFrom: Date,
  hoursTo: Date,
  daysFrom: Date,
  daysTo: Date,
  hoursFrom2: Date,
  hoursTo2: Date,
  liveFrom2: Date,
  liveTo2: Date,
];

/**
 * $1-$2 and $9-$10: the window's edges read from the flows; $3-$4 and $7-$8: the whole hours around the
 * whole days, from stats_hours; $5-$6: the whole days, from stats_days.
 */
function statsStatement(groupBy: StatsGroupBy): Statement<StatsParams, StatsRow> {
  const key = KEYS[groupBy];
  return statement(
    `stats_by_${groupBy}`,
    `WITH live AS (${flowFacts('flows f')}
     AND ((f.created_at >= $1 AND f.created_at < $2) OR (f.created_at >= $9 AND f.created_at < $10))),
rolled AS (
  SELECT ${key.hours} AS key, ${ROLLED_COLUMNS} FROM stats_hours
   WHERE (hour >= $3 AND hour < $4) OR (hour >= $7 AND hour < $8)
  UNION ALL
  SELECT ${key.days}, ${ROLLED_COLUMNS} FROM stats_days WHERE day >= $5 AND day < $6),
parts AS (
  SELECT ${key.flows} AS key, 1 AS flows, ${COUNTED.slice(1).join(', ')}, cost FROM live
  UNION ALL
  SELECT key, ${COUNTED.join(', ')}, cost FROM rolled),
g AS (SELECT key, ${sums(COUNTED)}, COALESCE(sum(cost), 0) AS cost FROM parts GROUP BY key),
points AS (
  SELECT ${key.flows} AS key, 1 AS metric, to_deliver AS v, 1 AS n FROM live WHERE to_deliver IS NOT NULL
  UNION ALL
  SELECT ${key.flows}, 2, to_verify, 1 FROM live WHERE to_verify IS NOT NULL
  UNION ALL
  SELECT key, metric, sum(s) / sum(n), sum(n)
    FROM (SELECT key, 1 AS metric, b.k, b.n, b.s FROM rolled, unnest(deliver_bins) b
          UNION ALL
          SELECT key, 2, b.k, b.n, b.s FROM rolled, unnest(verify_bins) b) bins
   GROUP BY key, metric, k),
medians AS (${weightedMedian('key, metric')}),
total_medians AS (${weightedMedian('metric')})
SELECT g.key, false AS is_total, ${COUNTED.map((c) => `g.${c}`).join(', ')},
       d.median AS median_time_to_deliver, t.median AS median_time_to_verify, g.cost
  FROM g LEFT JOIN medians d ON d.key = g.key AND d.metric = 1 LEFT JOIN medians t ON t.key = g.key AND t.metric = 2
UNION ALL
SELECT NULL, true, ${sums(COUNTED)},
       (SELECT median FROM total_medians WHERE metric = 1), (SELECT median FROM total_medians WHERE metric = 2),
       COALESCE(sum(cost), 0)
  FROM g
 ORDER BY is_total, key`,
  );
}

export const STATS_BY: Record<StatsGroupBy, Statement<StatsParams, StatsRow>> = {
  channel: statsStatement('channel'),
  country: statsStatement('country'),
  day: statsStatement('day'),
};
