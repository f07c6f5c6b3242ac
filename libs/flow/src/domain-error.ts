/**
 * What the domain refuses, with a string code. Raised by the libs (the engine,
 * the stores) and mapped to HTTP by each surface in exactly one place (the
 * failover-otp routes: apps/gateway/src/common/api-exception.filter.ts), so
 * nothing a client can trigger ends as a 500.
 */
export type DomainErrorCode =
  /** no flow has this id (any more) */
  | 'flow_not_found'
  /** PHONE_RATE_LIMIT: too many new flows to one number in the window */
  | 'phone_rate_limited';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** when a retry can succeed (rate limits): seconds */
    readonly retryAfterSec?: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
