import { statement } from './statement';

/**
 * Retention (docs/operations.md, "Retention"), run by the worker in batches:
 * each statement is its own short transaction over at most $2 flows, taken
 * with FOR UPDATE SKIP LOCKED, so a flow the engine holds (or another
 * replica's batch) is skipped rather than waited for, and two replicas
 * running retention at once split the rows instead of queueing on them.
 */

/**
 * A stored step definition with its secrets taken out: the ViberOtp template
 * parameters (the pin, or `{code}`, and whatever else the template shows),
 * the SMS body, the Viber text and a Voice step's SAY texts (empty strings:
 * the definition keeps its shape, the tracking shows an empty body).
 */
const erasedStep = (d: string) => `
  CASE ${d}->>'type'
    WHEN 'ViberOtp' THEN ${d} - 'templateParams'
    WHEN 'Sms' THEN jsonb_set(${d}, '{message,body}', '""')
    WHEN 'Viber' THEN CASE WHEN ${d}->'message' ? 'text' THEN jsonb_set(${d}, '{message,text}', '""') ELSE ${d} END
    WHEN 'Voice' THEN jsonb_set(${d}, '{dialPlan,verbs}', COALESCE((
      SELECT jsonb_agg(CASE WHEN v->>'type' = 'SAY' THEN jsonb_set(v, '{message,text}', '""') ELSE v END ORDER BY o)
        FROM jsonb_array_elements(${d}->'dialPlan'->'verbs') WITH ORDINALITY w(v, o)), '[]'))
    ELSE ${d}
  END`;

/** a Failover API tracking object (a webhook's payload) with its messages' bodies emptied (Sms: body; Viber: body.text) */
const erasedPayload = (p: string) => `
  jsonb_set(${p}, '{messages}', COALESCE((
    SELECT jsonb_agg(CASE
             WHEN m->>'type' = 'Sms' AND m ? 'body' THEN jsonb_set(m, '{body}', '""')
             WHEN m->>'type' = 'Viber' AND m->'body' ? 'text' THEN jsonb_set(m, '{body,text}', '""')
             ELSE m END ORDER BY o)
      FROM jsonb_array_elements(${p}->'messages') WITH ORDINALITY x(m, o)), '[]'))`;

export interface ErasedRow {
  flows: number;
  /** webhook events whose payload carried message bodies (Failover API flows) */
  events: number;
}

/**
 * The secrets of up to $2 final flows whose last change is more than $1
 * hours old (database time): code_hash and code_ciphertext (the latter is
 * already gone once a flow is final), the step definitions' bodies, and the
 * bodies in their webhook events' payloads and in the answer stored for their
 * Idempotency-Key (replayed to a repeat with the bodies emptied; joined by
 * idempotency_records.flow_id, unindexed: a hash join over the records the
 * daily purge leaves, a day's). A flow whose code may still be
 * checked (code_expires_at ahead) waits for its expiry, so POST /otp/verify
 * answers what it would have. updated_at is left alone: the stats rollup
 * reads a changed updated_at as a flow to count again (CHANGED_HOURS), and
 * nothing it counts changes here. Oldest first, from ix_flows_secrets_due.
 */
export const ERASE_SECRETS = statement<[afterHours: number, limit: number], ErasedRow>(
  'retention_erase_secrets',
  `WITH due AS (
     SELECT id, kind FROM flows
      WHERE secrets_erased_at IS NULL AND status IN ('Succeeded', 'Failed')
        AND updated_at < now() - make_interval(hours => $1::int)
        AND (code_expires_at IS NULL OR code_expires_at <= now())
      ORDER BY updated_at
      LIMIT $2
      FOR UPDATE SKIP LOCKED
   ), events AS (
     UPDATE webhook_events e SET payload = ${erasedPayload('e.payload')}
       FROM due WHERE e.flow_id = due.id AND due.kind = 'failover' AND jsonb_typeof(e.payload->'messages') = 'array'
     RETURNING 1
   ), replies AS (
     -- a data-modifying CTE runs to completion whether or not the SELECT reads it
     UPDATE idempotency_records r SET response = ${erasedPayload('r.response')}
       FROM due WHERE r.flow_id = due.id AND due.kind = 'failover' AND jsonb_typeof(r.response->'messages') = 'array'
     RETURNING 1
   ), erased AS (
     UPDATE flows f SET code_hash = NULL, code_ciphertext = NULL, secrets_erased_at = now(),
            definition = COALESCE((SELECT jsonb_agg(${erasedStep('s')} ORDER BY o)
                                     FROM jsonb_array_elements(f.definition) WITH ORDINALITY d(s, o)), '[]'::jsonb)
       FROM due WHERE f.id = due.id
     RETURNING 1
   )
   SELECT (SELECT count(*)::int FROM erased) AS flows, (SELECT count(*)::int FROM events) AS events`,
);

/**
 * Where the deletion of old flows stops (database time): $1 days ago, down
 * to the hour, so that an hour of the stats rollup is deleted whole or not at
 * all (the rollup counts an hour again when one of its flows changes: with
 * part of the hour deleted, it would lose their figures). Failover OTP flows
 * also wait for the rollup to have counted their hour (stats_rollup's
 * rolled_through); the Failover API's are not in the stats.
 */
export const DELETE_CUTOFFS = statement<[days: number], { failover_before: Date; otp_before: Date }>(
  'retention_delete_cutoffs',
  `SELECT date_trunc('hour', now() - make_interval(days => $1::int), 'UTC') AS failover_before,
          least(date_trunc('hour', now() - make_interval(days => $1::int), 'UTC'),
                COALESCE(date_trunc('hour', (SELECT rolled_through FROM stats_rollup), 'UTC'), '-infinity')) AS otp_before`,
);

export interface DeletedRow {
  flows: number;
  events: number;
}

/**
 * Up to $2 flows of one kind created before $1, oldest first (one statement
 * per kind, so that each reads its kind's partial created_at index), with
 * their webhook events (no foreign key: the outbox is written without one);
 * steps and any other table referencing flows go by ON DELETE CASCADE.
 */
const deleteFlows = (kind: 'otp' | 'failover') =>
  statement<[createdBefore: Date, limit: number], DeletedRow>(
    `retention_delete_${kind}_flows`,
    `WITH doomed AS (
       SELECT id FROM flows WHERE kind = '${kind}' AND created_at < $1
        ORDER BY created_at
        LIMIT $2
        FOR UPDATE SKIP LOCKED
     ), events AS (
       DELETE FROM webhook_events e USING doomed WHERE e.flow_id = doomed.id RETURNING 1
     ), gone AS (
       DELETE FROM flows f USING doomed WHERE f.id = doomed.id RETURNING 1
     )
     SELECT (SELECT count(*)::int FROM gone) AS flows, (SELECT count(*)::int FROM events) AS events`,
  );

export const DELETE_OTP_FLOWS = deleteFlows('otp');
export const DELETE_FAILOVER_FLOWS = deleteFlows('failover');

/**
 * Up to $2 Idempotency-Key records created before $1. A key is claimed
 * before its flow is created, so every record of a deleted flow is older than
 * the flow, hence than the cutoff (the daily purge takes them earlier as a
 * rule; this covers a deployment where it lags). By created_at, from its
 * index: idempotency_records.flow_id has none.
 */
export const DELETE_IDEMPOTENCY = statement<[createdBefore: Date, limit: number], { n: number }>(
  'retention_delete_idempotency',
  `WITH old AS (
     SELECT api_key_id, key FROM idempotency_records WHERE created_at < $1
      ORDER BY created_at
      LIMIT $2
      FOR UPDATE SKIP LOCKED
   ), gone AS (
     DELETE FROM idempotency_records r USING old WHERE r.api_key_id = old.api_key_id AND r.key = old.key RETURNING 1
   )
   SELECT count(*)::int AS n FROM gone`,
);
