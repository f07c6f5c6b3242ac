import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** What every line logged while a request is handled carries. */
export interface RequestContext {
  readonly requestId: string;
}

/**
 * The request being handled, for the log lines written on its behalf, by our
 * code or a library's, however deep in the call (the sink reads it:
 * GatewayLogSink). Entered by the access log's onRequest hook (access-log.ts).
 */
export const requestContext = new AsyncLocalStorage<RequestContext>();

/** the id of the request being handled, if any */
export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.requestId;
}

/** what a caller's X-Request-Id may be: up to 128 characters of letters, digits and `._:-` */
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The caller's X-Request-Id when it is sane, and when the redactor would leave
 * it as it is (`clean`: a phone number or a key sent as an id would otherwise
 * be written, unmasked, on every line of the request); else a new UUID.
 */
export function requestIdOf(header: string | string[] | undefined, clean: (text: string) => string): string {
  if (typeof header === 'string' && SANE_ID.test(header) && clean(header) === header) return header;
  return randomUUID();
}
