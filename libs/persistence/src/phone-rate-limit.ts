import type { EntityManager } from 'typeorm';

/** PHONE_RATE_LIMIT new flows per number in PHONE_RATE_WINDOW_SEC; limit 0 turns it off */
export interface PhoneRateLimit {
  limit: number;
  windowSec: number;
}

/** injection token for the PhoneRateLimit (PersistenceModule.forRoot's option) */
export const PHONE_RATE_LIMIT = Symbol('PHONE_RATE_LIMIT');

/** A new flow to a number that already has `limit` of them in the window. */
export class PhoneRateLimitedError extends Error {
  constructor(
    /** seconds until the oldest counted flow leaves the window */
    readonly retryAfterSec: number,
    readonly limit: number,
    readonly windowSec: number,
  ) {
    super(`too many OTP flows to this number: at most ${limit} in ${windowSec} s; retry in ${retryAfterSec} s`);
    this.name = 'PhoneRateLimitedError';
  }
}

/** namespace of our advisory locks on phone numbers (the second key is hashtext(number)) */
const PHONE_LOCK_SPACE = 72_834_620;

/**
 * Admits one more flow to `phone`, or throws PhoneRateLimitedError. Runs in the
 * transaction that then inserts the flow, under a transaction-scoped advisory
 * lock on the number: concurrent sends to one number (any replica) queue on
 * the lock, and each counts after the previous one committed, so exactly
 * `limit` get through. Counting reads at most `limit` entries of the partial
 * index ix_steps_primary_phone_created_at; nothing is written besides the flow.
 */
export async function admitPhone(tx: EntityManager, phone: string, { limit, windowSec }: PhoneRateLimit): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [PHONE_LOCK_SPACE, phone]);
  // the limit-th newest primary in the window: while it is there, the number is at its limit;
  // when it leaves (created_at + window), one more fits. now() is the database's clock, shared by all replicas.
  const rows: { retry_after: number }[] = await tx.query(
    `SELECT ceil(extract(epoch FROM created_at + make_interval(secs => $2) - clock_timestamp()))::int AS retry_after
       FROM steps
      WHERE role = 'primary' AND phone_number = $1 AND created_at > clock_timestamp() - make_interval(secs => $2)
      ORDER BY created_at DESC
      OFFSET $3 LIMIT 1`,
    [phone, windowSec, limit - 1],
  );
  if (rows.length > 0) throw new PhoneRateLimitedError(Math.max(1, rows[0].retry_after), limit, windowSec);
}
