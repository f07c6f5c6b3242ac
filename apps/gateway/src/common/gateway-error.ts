/**
 * Domain errors carry a string code; ApiExceptionFilter maps each code to an
 * HTTP status in one place.
 */
export type GatewayErrorCode =
  | 'missing_credentials'
  | 'invalid_credentials'
  | 'invalid_callback_token'
  | 'not_found'
  | 'validation'
  | 'idempotency_mismatch'
  | 'idempotency_in_progress'
  | 'database_unavailable'
  | 'rate_limited';

export interface FieldProblem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export class GatewayError extends Error {
  /** for rate_limited: seconds until a retry can succeed (the Retry-After header) */
  retryAfterSec?: number;

  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    readonly problems?: FieldProblem[],
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  /** a 429 with Retry-After (whole seconds, at least 1: ApiExceptionFilter rounds it up) */
  static rateLimited(message: string, retryAfterSec: number): GatewayError {
    const error = new GatewayError('rate_limited', message);
    error.retryAfterSec = retryAfterSec;
    return error;
  }

  /** a 422 naming one field */
  static field(loc: (string | number)[], msg: string, type = 'value_error'): GatewayError {
    return new GatewayError('validation', msg, [{ loc, msg, type }]);
  }
}
