import { statement, type Statement } from './statement';

/**
 * GET /otp/stats (CONTRACT section 11): the figures of the Failover OTP flows
 * created in [$1, $2), per group and in total, in one statement.
 *
 * A Failover OTP flow has at most two steps, its primary and its failover
 * (uq_steps_flow_role), so each flow is one row of `flows` with both steps
 * joined beside it. Every row is read from an index alone, in created_at
 * order (migration StatsIndexes): the flows of the window from
 * ix_flows_otp_stats, their steps from ix_steps_primary_stats and
 * ix_steps_failover_stats (a step is never created before its flow, so the
 * steps of the flows created from $1 on are among the steps created from $1
 * on), joined by hash. The groups are one hash aggregate of counts, sums and
 * arrays, which Postgres can split across parallel workers; the medians are
 * percentile_cont over each group's array afterwards, and the total row
 * (key NULL, `is_total`) is summed from the groups, its medians over all
 * their arrays. (GROUPING SETS, or percentile_cont in the aggregate itself,
 * would sort every row of the window by group first, and run in one process.)
 *
 * What each figure reads (README, "Stats"):
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
 * Planned on every call (name null): a window of a day and one of three
 * months want different plans.
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

// COLLATE "C": the groups in byte order (CY, GR, RO, unknown), whatever the database's collation
const KEYS: Record<StatsGroupBy, string> = {
  channel: `COALESCE(p.channel, 'unknown') COLLATE "C"`,
  country: `COALESCE(p.country, 'unknown') COLLATE "C"`,
  day: `to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') COLLATE "C"`,
};

/** the step's status is a success in Failover OTP's vocabulary (step-status.ts's OTP_VOCABULARY), case-insensitive */
const success = (s: string) =>
  `(${s}.channel = 'viber' AND lower(${s}.status COLLATE "C") IN ('delivered', 'seen'))
                  OR (${s}.channel = 'sms' AND lower(${s}.status COLLATE "C") IN ('delivered', 'sent'))`;

const median = (values: string) => `(SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM ${values} v)`;

function statsStatement(groupBy: StatsGroupBy): Statement<[from: Date, to: Date], StatsRow> {
  return statement(
    null,
    `WITH g AS (
  SELECT ${KEYS[groupBy]} AS key, count(*)::int AS flows,
         (count(*) FILTER (WHERE p.send_state = 'sent' AND p.channel = 'viber')
           + count(*) FILTER (WHERE o.send_state = 'sent' AND o.channel = 'viber'))::int AS viber_messages,
         (count(*) FILTER (WHERE p.send_state = 'sent' AND p.channel = 'sms')
           + count(*) FILTER (WHERE o.send_state = 'sent' AND o.channel = 'sms'))::int AS sms_messages,
         count(*) FILTER (WHERE ${success('p')}
                             OR ${success('o')})::int AS delivered,
         count(*) FILTER (WHERE f.verification_status = 'approved')::int AS verified,
         count(*) FILTER (WHERE o.send_state = 'sent')::int AS failovers,
         -- approved, no failover handed to Routee, a Viber primary that would not have ended the flow on its own
         array_agg(f.id) FILTER (WHERE f.verification_status = 'approved' AND (o.send_state IS NULL OR o.send_state NOT IN ('sent', 'failed'))
                                   AND p.channel = 'viber' AND lower(p.status COLLATE "C") <> 'seen'
                                   AND (lower(p.status COLLATE "C") <> 'delivered' OR f.failover_on_delivered)) AS saved_if_sms,
         array_agg(date_part('epoch', CASE WHEN o.delivered_at IS NULL OR p.delivered_at <= o.delivered_at
                                           THEN p.delivered_at - p.sent_at ELSE o.delivered_at - o.sent_at END))
           FILTER (WHERE p.delivered_at IS NOT NULL OR o.delivered_at IS NOT NULL) AS to_deliver,
         array_agg(date_part('epoch', f.verified_at - f.created_at)) FILTER (WHERE f.verified_at IS NOT NULL) AS to_verify,
         COALESCE(sum(p.price), 0) + COALESCE(sum(o.price), 0) AS cost
    FROM flows f
    LEFT JOIN steps p ON p.flow_id = f.id AND p.role = 'primary' AND p.created_at >= $1
    LEFT JOIN steps o ON o.flow_id = f.id AND o.role = 'failover' AND o.created_at >= $1
   WHERE f.kind = 'otp' AND f.created_at >= $1 AND f.created_at < $2
   GROUP BY 1
), saved AS (
  -- the definition is not in the index: read by primary key, only for the flows that may count
  SELECT key, (SELECT count(*)::int FROM unnest(saved_if_sms) c JOIN flows d ON d.id = c
                WHERE d.definition -> 1 ->> 'type' = 'Sms') AS sms_saved
    FROM g
)
SELECT key, false AS is_total, flows, viber_messages, sms_messages, delivered, verified, failovers, sms_saved,
       ${median('unnest(to_deliver)')} AS median_time_to_deliver,
       ${median('unnest(to_verify)')} AS median_time_to_verify, cost
  FROM g JOIN saved USING (key)
UNION ALL
SELECT NULL, true, COALESCE(sum(flows), 0)::int, COALESCE(sum(viber_messages), 0)::int, COALESCE(sum(sms_messages), 0)::int,
       COALESCE(sum(delivered), 0)::int, COALESCE(sum(verified), 0)::int, COALESCE(sum(failovers), 0)::int,
       (SELECT COALESCE(sum(sms_saved), 0)::int FROM saved),
       ${median('g, unnest(g.to_deliver)')}, ${median('g, unnest(g.to_verify)')}, COALESCE(sum(cost), 0)
  FROM g
 ORDER BY is_total, key`,
  );
}

export const STATS_BY: Record<StatsGroupBy, Statement<[from: Date, to: Date], StatsRow>> = {
  channel: statsStatement('channel'),
  country: statsStatement('country'),
  day: statsStatement('day'),
};
