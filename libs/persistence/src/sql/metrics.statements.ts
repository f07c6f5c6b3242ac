import { statement } from './statement';

/**
 * The metrics scrape's state gauges, one round trip, each arm on a partial
 * index: ix_flows_next_check_at (next_check_at WHERE NOT NULL) for the due
 * flows and the oldest of them, ix_webhook_events_due (WHERE state =
 * 'pending') and ix_webhook_events_delivering (WHERE state = 'delivering':
 * an event stuck on a slow receiver is backlog too) for the webhook backlog,
 * a UNION ALL so that each arm reads its index (state IN (…) is planned as a
 * scan of the table). The counts stop at $1 rows, so a backlog of millions
 * costs what $1 rows cost; a final flow (next_check_at NULL) and a delivered
 * or dead event are in no index.
 */
export const READ_GAUGES = statement<
  [cap: number],
  { due_flows: number; oldest_due_seconds: number; webhook_backlog: number }
>(
  'metrics_read_gauges',
  `SELECT (SELECT count(*) FROM (SELECT 1 FROM flows WHERE next_check_at <= now() LIMIT $1) d)::int AS due_flows,
          COALESCE(EXTRACT(EPOCH FROM now() - (SELECT min(next_check_at) FROM flows WHERE next_check_at <= now())), 0)::float8
            AS oldest_due_seconds,
          (SELECT count(*) FROM (SELECT 1 FROM webhook_events WHERE state = 'pending'
                                 UNION ALL SELECT 1 FROM webhook_events WHERE state = 'delivering' LIMIT $1) w)::int
            AS webhook_backlog`,
);
