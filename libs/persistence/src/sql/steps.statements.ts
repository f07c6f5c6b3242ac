import type { SendError } from '@app/flow';
import { statement } from './statement';
import type { StepRow } from './rows';

/** writes to the steps table: claims, send outcomes, reports */

/**
 * Next steps claimed in state `sending`, one array per column, for
 * unnest. The unique (flow_id, step_order) constraint lets each insert
 * succeed for exactly one caller; a flow whose step was claimed already is
 * left out of the rows answered.
 */
export const CLAIM_FAILOVER_STEPS = statement<
  [
    flowIds: string[],
    orders: number[],
    roles: string[],
    channels: string[],
    phones: string[],
    labels: (string | null)[],
    statuses: string[],
    claimMs: string,
  ],
  StepRow
>(
  'claim_failover_steps',
  `INSERT INTO steps (flow_id, step_order, role, channel, phone_number, label, status, send_state, claimed_until)
   SELECT v.flow_id, v.step_order, v.role, v.channel, v.phone_number, v.label, v.status, 'sending', now() + ($8 || ' milliseconds')::interval
     FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS v(flow_id, step_order, role, channel, phone_number, label, status)
   ON CONFLICT ON CONSTRAINT uq_steps_flow_step_order DO NOTHING
   RETURNING *`,
);

/** Routee's answers to claimed sends; only a step still `sending` is changed */
export const MARK_STEPS_SENT = statement<
  [ids: string[], trackingIds: (string | null)[], statuses: string[], sentAt: (Date | null)[]],
  { id: string }
>(
  'mark_steps_sent',
  `UPDATE steps s SET tracking_id = v.tracking_id, status = v.status, send_state = 'sent', sent_at = v.sent_at, status_updated_at = v.sent_at,
          claimed_until = NULL, error_message = NULL
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) AS v(id, tracking_id, status, sent_at)
    WHERE s.id = v.id AND s.send_state = 'sending'
    RETURNING s.id`,
);

/**
 * Routee's answers to claimed failover sends, each with the state its flow
 * moves to (derived in TypeScript from the steps the claim saw and the one
 * recorded) and the webhook event that state gives, in one statement: what
 * the locked evaluation after the send would have written. A step is
 * recorded only while `sending`, as in MARK_STEPS_SENT. Its flow's state and
 * event are written only when the step was, and only while the flow row is
 * the version its claim wrote (`xmin`, Postgres's row version: any write
 * since, by an evaluation, an approval or a lease, changes it, and an UPDATE
 * that waited on the row rechecks it on the newer version); otherwise the
 * flow is left to the locked evaluation. The rows: each step recorded, with
 * its flow's `updated_at` when its state was written with it (else null).
 */
export const RECORD_FAILOVERS_SENT = statement<
  [
    stepIds: string[],
    trackingIds: (string | null)[],
    statuses: string[],
    sentAt: (Date | null)[],
    flowIds: string[],
    versions: string[],
    flowStatuses: string[],
    statusCodes: (number | null)[],
    nextCheckAt: (Date | null)[],
    errors: (string | null)[],
    webhookStates: (string | null)[],
    eventFlowIds: string[],
    eventTypes: string[],
    eventUrls: string[],
    eventPayloads: string[],
  ],
  { id: string; flow_updated_at: Date | null }
>(
  'record_failovers_sent',
  `WITH s AS (
     UPDATE steps s SET tracking_id = v.tracking_id, status = v.status, send_state = 'sent', sent_at = v.sent_at, status_updated_at = v.sent_at,
            claimed_until = NULL, error_message = NULL
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) AS v(id, tracking_id, status, sent_at)
      WHERE s.id = v.id AND s.send_state = 'sending'
      RETURNING s.id, s.flow_id, s.channel),
   -- the flows' row locks in id order, as every statement locking several flows takes them (LOCK_FLOWS):
   -- updated in the join's order, two rows could be locked against an evaluation's order (a deadlock)
   locked AS MATERIALIZED (
     SELECT id FROM flows WHERE id = ANY($5::uuid[]) ORDER BY id FOR UPDATE),
   f AS (
     UPDATE flows f SET status = v.status, status_code = v.status_code, next_check_at = v.next_check_at, error = v.error,
            webhook_state = v.webhook_state, updated_at = now(),
            code_ciphertext = CASE WHEN v.status IN ('Succeeded', 'Failed') THEN NULL ELSE f.code_ciphertext END,
            -- the recorded step is the flow's last
            termination_channel = CASE WHEN v.status IN ('Succeeded', 'Failed') THEN s.channel END
       FROM locked
       JOIN unnest($5::uuid[], $6::text[], $7::text[], $8::smallint[], $9::timestamptz[], $10::text[], $11::text[])
              AS v(id, version, status, status_code, next_check_at, error, webhook_state) ON v.id = locked.id
       JOIN s ON s.flow_id = v.id
      WHERE f.id = locked.id AND f.xmin = v.version::xid
      RETURNING f.id, f.updated_at),
   e AS (
     INSERT INTO webhook_events (flow_id, type, url, payload)
     SELECT v.flow_id, v.type, v.url, v.payload::jsonb
       FROM unnest($12::uuid[], $13::text[], $14::text[], $15::text[]) WITH ORDINALITY AS v(flow_id, type, url, payload, n)
      WHERE v.flow_id IN (SELECT id FROM f)
      ORDER BY v.n)
   SELECT s.id, f.updated_at AS flow_updated_at FROM s LEFT JOIN f ON f.id = s.flow_id`,
);

/**
 * A new flow's primary taken by Routee and the flow's state it leads to; the counts say what was written. The flow
 * is named by its id ($9), not by `id IN (SELECT flow_id FROM s)`: a prepared statement's generic plan, made while
 * flows was small, joined that by a sequential scan of flows, which every later send then paid for (140-230
 * buffers a call and growing with the table, 2.9-3.4 ms of Postgres a send: BENCH_PG_STATEMENTS).
 */
export const MARK_PRIMARY_SENT = statement<
  [
    stepId: string,
    trackingId: string | null,
    status: string,
    sentAt: Date | null,
    flowStatus: string,
    statusCode: number | null,
    nextCheckAt: Date | null,
    webhookState: string | null,
    flowId: string,
  ],
  { steps: number; flows: number }
>(
  'mark_primary_sent',
  `WITH s AS (
     UPDATE steps SET tracking_id = $2, status = $3, send_state = 'sent', sent_at = $4, status_updated_at = $4, claimed_until = NULL, error_message = NULL
      WHERE id = $1 AND send_state = 'sending'
      RETURNING flow_id, channel),
   f AS (
     UPDATE flows SET status = $5, status_code = $6, next_check_at = $7, webhook_state = $8, error = NULL, updated_at = now(),
            code_ciphertext = CASE WHEN $5 IN ('Succeeded', 'Failed') THEN NULL ELSE code_ciphertext END,
            termination_channel = CASE WHEN $5 IN ('Succeeded', 'Failed') THEN (SELECT channel FROM s) END
      WHERE id = $9 AND EXISTS (SELECT 1 FROM s) AND status IN ('Queued', 'InProgress')
      RETURNING id)
   SELECT (SELECT count(*) FROM s)::int AS steps, (SELECT count(*) FROM f)::int AS flows`,
);

/** a claimed send put back in the queue until $2; only while `sending` */
export const QUEUE_SEND = statement<[stepId: string, retryAt: Date], { id: string }>(
  'queue_send',
  `UPDATE steps SET send_state = 'queued', claimed_until = $2 WHERE id = $1 AND send_state = 'sending' RETURNING id`,
);

/** Routee did not take a claimed send; only while `sending` */
export const MARK_STEP_FAILED = statement<
  [stepId: string, status: string, sendError: SendError, errorMessage: string, at: Date],
  { id: string }
>(
  'mark_step_failed',
  `UPDATE steps SET status = $2, send_state = 'failed', send_error = $3, error_message = $4, claimed_until = NULL, status_updated_at = $5
    WHERE id = $1 AND send_state = 'sending'
    RETURNING id`,
);

/** the report-borne columns of steps, one array per column; checked_at only moves forward */
export const WRITE_REPORTED_STEPS = statement<
  [
    ids: string[],
    statuses: string[],
    statusUpdatedAt: (Date | null)[],
    errorMessages: (string | null)[],
    deliveredAt: (Date | null)[],
    detailedStatuses: (string | null)[],
    prices: (number | null)[],
    latenciesMs: (number | null)[],
    countries: (string | null)[],
    operators: (string | null)[],
    messageIds: (string | null)[],
    durationsSec: (number | null)[],
    answeredBy: (string | null)[],
    checkedAt: (Date | null)[],
  ]
>(
  'write_reported_steps',
  `UPDATE steps s SET status = v.status, status_updated_at = v.status_updated_at, error_message = v.error_message, delivered_at = v.delivered_at,
          detailed_status = v.detailed_status, price = v.price, latency_ms = v.latency_ms, country = v.country, operator = v.operator,
          message_id = v.message_id, duration_sec = v.duration_sec, answered_by = v.answered_by, checked_at = GREATEST(s.checked_at, v.checked_at)
     FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::timestamptz[], $6::text[], $7::float8[], $8::int[], $9::text[], $10::text[],
                 $11::text[], $12::int[], $13::text[], $14::timestamptz[])
       AS v(id, status, status_updated_at, error_message, delivered_at, detailed_status, price, latency_ms, country, operator,
            message_id, duration_sec, answered_by, checked_at)
    WHERE s.id = v.id`,
);

/** a read's claim of the check with Routee: steps unchecked since $3 get checked_at $2; locked rows are skipped */
export const CLAIM_STEP_CHECKS = statement<[ids: string[], at: Date, staleBefore: Date], { id: string }>(
  'claim_step_checks',
  `UPDATE steps SET checked_at = $2
    WHERE id IN (SELECT id FROM steps WHERE id = ANY($1::uuid[]) AND (checked_at IS NULL OR checked_at <= $3) FOR UPDATE SKIP LOCKED)
    RETURNING id`,
);
