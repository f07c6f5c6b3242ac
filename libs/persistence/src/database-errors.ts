/**
 * Errors that mean "Postgres is not there right now" (stopped, restarting,
 * failing over, out of connections) rather than "this query is wrong". They
 * come in several wrappings: pg's own errors (a SQLSTATE `code`, or a socket
 * error's `code`), pg-pool's plain Errors (connection timeout, terminated),
 * and TypeORM's QueryFailedError, which copies the driver error's fields and
 * keeps it as `driverError`. The whole chain (`driverError`, `cause`,
 * AggregateError's `errors`) is looked at.
 */

/** SQLSTATE classes 08 (connection exception), 57P01-57P03 (shutdown, crash, cannot connect now), 53300 too_many_connections */
const SQLSTATES = new Set([
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '08007',
  '08P01',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** socket-level failures reaching Postgres */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

const MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Connection ended|the database system is (starting up|shutting down|in recovery|not yet accepting connections)|terminating connection due to administrator command|server closed the connection unexpectedly|Query read timeout|read ECONNRESET|connect ECONNREFUSED/i;

/**
 * TypeORM releases a transaction's query runner when its connection dies
 * (the pg client's 'error' event); the transaction's next query then throws this.
 */
const RELEASED_RUNNER = 'QueryRunnerAlreadyReleasedError';

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  const e = error as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (e.name === RELEASED_RUNNER || error.constructor?.name === RELEASED_RUNNER) return true;
  if (typeof e.code === 'string' && (SQLSTATES.has(e.code) || SOCKET_CODES.has(e.code))) return true;
  if (typeof e.message === 'string' && MESSAGES.test(e.message)) return true;
  if (e.driverError && isDatabaseUnavailable(e.driverError, depth + 1)) return true;
  if (e.cause && isDatabaseUnavailable(e.cause, depth + 1)) return true;
  return Array.isArray(e.errors) && e.errors.some((inner) => isDatabaseUnavailable(inner, depth + 1));
}
