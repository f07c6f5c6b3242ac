import type { Channel, SendError } from '@app/flow';
import { RouteeError } from '@app/routee';

/**
 * How a send Routee did not take is read: the step's send error and stored
 * message, the status it ends with, and whether the message can have gone out
 * at all (only then is an open circuit a reason to queue the send). Pure.
 */

/** the step's send_error for a Routee call that threw */
export function sendErrorOf(err: unknown): SendError {
  if (!(err instanceof RouteeError)) return 'unavailable';
  switch (err.kind) {
    case 'insufficient_balance':
      return 'insufficient_balance';
    case 'validation':
    case 'not_found':
      return 'rejected';
    default:
      return 'unavailable';
  }
}

/** the status a refused step ends with, in its channel's vocabulary */
export function refusedStatusOf(channel: Channel, sendError: SendError): string {
  if (sendError === 'insufficient_balance') return channel === 'viber' ? 'UNSENT' : 'Unsent';
  return channel === 'viber' ? 'FAILED' : 'Failed';
}

/** what the step keeps as its error_message: Routee's developerMessage and the fields it refused */
export function refusalOf(err: unknown): string {
  if (!(err instanceof RouteeError)) return String(err);
  const fields = err.refusedFields;
  return `${err.developerMessage ?? err.message}${fields ? ` (${fields})` : ''}`;
}

/** Routee cannot have taken the message: the circuit refused the call, the connection never opened, or a 502/503/504 */
export function nothingWentOut(err: unknown): boolean {
  if (!(err instanceof RouteeError)) return false;
  if (err.kind === 'circuit_open' || err.kind === 'unreachable') return true;
  return err.kind === 'server_error' && err.httpStatus !== undefined && [502, 503, 504].includes(err.httpStatus);
}
