import type { SendState } from '../entities/step-state';
import { statement } from './statement';
import type { StepRow } from './rows';

/**
 * The worker's claims. Each is one statement: `FOR UPDATE SKIP LOCKED` picks
 * rows no other replica is claiming at that moment (the CTE is MATERIALIZED
 * so that the pick runs once), and the same statement pushes their time
 * forward (a lease).
 */

export const CLAIM_DUE_FLOWS = statement<[limit: number, leaseMs: string], { id: string }>(
  'claim_due_flows',
  `WITH due AS MATERIALIZED (
     SELECT id FROM flows
     WHERE next_check_at <= now()
     ORDER BY next_check_at
     LIMIT $1
     FOR UPDATE SKIP LOCKED
   )
   UPDATE flows f SET next_check_at = now() + ($2 || ' milliseconds')::interval
   FROM due WHERE f.id = due.id
   RETURNING f.id`,
);

/**
 * Sends whose time has come: stranded ones (`sending`, the claim ran out) and
 * queued ones (`queued`, due again), claimed as `sending` for $2 ms; each row
 * also tells the state it was claimed from. The two partial indexes
 * (ix_steps_sending_claimed_until, ix_steps_queued_claimed_until) serve the two arms.
 */
export const CLAIM_DUE_SENDS = statement<[limit: number, claimMs: string], StepRow & { claimed_from: SendState }>(
  'claim_due_sends',
  `WITH due AS MATERIALIZED (
     SELECT id, send_state FROM steps
     WHERE (send_state = 'sending' OR send_state = 'queued') AND claimed_until < now()
     ORDER BY claimed_until
     LIMIT $1
     FOR UPDATE SKIP LOCKED
   )
   UPDATE steps s SET send_state = 'sending', claimed_until = now() + ($2 || ' milliseconds')::interval
   FROM due WHERE s.id = due.id
   RETURNING s.*, due.send_state AS claimed_from`,
);

/** the sender's heartbeat; no row once the send was recorded */
export const RENEW_SEND_CLAIM = statement<[stepId: string, claimMs: string], { id: string }>(
  'renew_send_claim',
  `UPDATE steps SET claimed_until = now() + ($2 || ' milliseconds')::interval
   WHERE id = $1 AND send_state = 'sending'
   RETURNING id`,
);
