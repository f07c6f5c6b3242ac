import { DomainError } from '@app/flow';

/** PHONE_RATE_LIMIT new flows per number in PHONE_RATE_WINDOW_SEC; limit 0 turns it off */
export interface PhoneRateLimit {
  limit: number;
  windowSec: number;
}

/** injection token for the PhoneRateLimit (PersistenceModule.forRoot's option) */
export const PHONE_RATE_LIMIT = Symbol('PHONE_RATE_LIMIT');

/** A new flow to a number that already has `limit` of them in the window. */
export class PhoneRateLimitedError extends DomainError {
  constructor(
    /** seconds until the oldest counted flow leaves the window */
    readonly retryAfterSec: number,
    readonly limit: number,
    readonly windowSec: number,
  ) {
    super(
      'phone_rate_limited',
      `too many OTP flows to this number: at most ${limit} in ${windowSec} s; retry in ${retryAfterSec} s`,
      retryAfterSec,
    );
    this.name = 'PhoneRateLimitedError';
  }
}

// Checked by the database function create_flow_with_primary (migration CreateFlowFunction), in the
// statement that inserts the flow: under an advisory lock on the number, so it holds across replicas.
