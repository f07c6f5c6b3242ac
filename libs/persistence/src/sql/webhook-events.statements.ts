import { statement } from './statement';

/** the webhook outbox (WebhookEventStore) */

export interface WebhookEventRow {
  id: string;
  seq: string;
  flow_id: string;
  type: string;
  url: string;
  payload: unknown;
  state: string;
  attempts: number;
  next_attempt_at: Date;
  claimed_until: Date | null;
  last_error: string | null;
  last_status_code: number | null;
  created_at: Date;
  delivered_at: Date | null;
}

/** events, one array per column, written in the order given (seq follows it) */
export const ADD_EVENTS = statement<[flowIds: string[], types: string[], urls: string[], payloads: string[]]>(
  'webhook_events_add',
  `INSERT INTO webhook_events (flow_id, type, url, payload)
   SELECT v.flow_id, v.type, v.url, v.payload::jsonb
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS v(flow_id, type, url, payload, n)
    ORDER BY v.n`,
);

/**
 * Up to $1 due events claimed for $2 ms: pending ones whose time has come and
 * delivering ones whose claim ran out, only when no earlier event of their
 * flow is pending or being delivered (a flow's events go out in order).
 */
export const CLAIM_DUE_EVENTS = statement<
  [limit: number, claimMs: string],
  Pick<WebhookEventRow, 'id' | 'flow_id' | 'type' | 'url' | 'payload' | 'attempts'>
>(
  'webhook_events_claim_due',
  `WITH due AS (
     SELECT e.id FROM webhook_events e
     WHERE ((e.state = 'pending' AND e.next_attempt_at <= now())
         OR (e.state = 'delivering' AND e.claimed_until < now()))
       AND NOT EXISTS (
         SELECT 1 FROM webhook_events p
         WHERE p.flow_id = e.flow_id AND p.seq < e.seq AND p.state IN ('pending', 'delivering'))
     ORDER BY e.seq
     LIMIT $1
     FOR UPDATE SKIP LOCKED
   )
   UPDATE webhook_events w
   SET state = 'delivering', attempts = w.attempts + 1, claimed_until = now() + ($2 || ' milliseconds')::interval
   FROM due WHERE w.id = due.id
   RETURNING w.id, w.flow_id, w.type, w.url, w.payload, w.attempts`,
);

export const MARK_DELIVERED = statement<[id: string, statusCode: number]>(
  'webhook_events_mark_delivered',
  `UPDATE webhook_events SET state = 'delivered', delivered_at = now(), claimed_until = NULL, last_status_code = $2, last_error = NULL WHERE id = $1`,
);

/** $2 'pending' (retried at $3) or 'dead' */
export const MARK_FAILED = statement<
  [id: string, state: 'pending' | 'dead', retryAt: Date | null, error: string, statusCode: number | null]
>(
  'webhook_events_mark_failed',
  `UPDATE webhook_events
   SET state = $2, next_attempt_at = COALESCE($3, next_attempt_at), claimed_until = NULL, last_error = $4, last_status_code = $5
   WHERE id = $1`,
);

export const EVENTS_OF_FLOW = statement<[flowId: string], WebhookEventRow>(
  'webhook_events_of_flow',
  `SELECT id, seq, flow_id, type, url, payload, state, attempts, next_attempt_at, claimed_until, last_error, last_status_code, created_at, delivered_at
     FROM webhook_events WHERE flow_id = $1 ORDER BY seq`,
);

/** a dead event back to pending with fresh attempts; no row when it is not dead */
export const RESEND = statement<[id: string, flowId: string], { id: string }>(
  'webhook_events_resend',
  `UPDATE webhook_events SET state = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL
    WHERE id = $1 AND flow_id = $2 AND state = 'dead'
    RETURNING id`,
);
