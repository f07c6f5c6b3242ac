import type { Client } from 'pg';

/**
 * `flows` settled Failover OTP flows with a code, none verified, whose primary step went to numbers under
 * `prefix`, sent `ageSec` ago: the figures that make the pumping guard block the prefix at the next send
 * (as test/pumping-guard.e2e-spec.ts writes them, in SQL: nothing but the guard reads them).
 */
export async function seedUnverifiedFlows(db: Client, prefix: string, flows = 50, ageSec = 600): Promise<void> {
  await db.query(
    `WITH f AS (
       INSERT INTO flows (id, status, definition, kind, verification_status, created_at, updated_at)
       SELECT gen_random_uuid(), 'Succeeded', '[]'::jsonb, 'otp', 'pending', now() - make_interval(secs => $2), now()
         FROM generate_series(1, $1::int)
       RETURNING id, created_at)
     INSERT INTO steps (flow_id, step_order, role, channel, phone_number, status, send_state, created_at)
     SELECT id, 1, 'primary', 'viber', $3 || lpad((row_number() OVER ())::text, 7, '0'), 'Delivered', 'sent', created_at
       FROM f`,
    [flows, ageSec, prefix],
  );
}

/** a number under `prefix` the sandbox delivers (ends in 00), a new one each call */
let serial = 0;
export function numberUnder(prefix: string): string {
  serial += 1;
  return `${prefix}${String(serial).padStart(6, '0')}00`.slice(0, 15);
}
