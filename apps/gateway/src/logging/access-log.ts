import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isFailoverApi } from '../common/api-exception.filter';
import { platformCode } from '../failover-api/platform-error';
import type { Drain } from '../shutdown/drain';
import type { AccessLine } from './log-sink';

export interface RequestHooksOptions {
  /** writes the access line (a no-op when logging is off) */
  access: (line: AccessLine) => void;
  drain: Drain;
}

const TRACKED = Symbol('gateway.request');

/** the request's id while it counts as in flight (its access line not written yet) */
interface Tracked {
  [TRACKED]?: string;
}

/**
 * What happens around every request, in an onRequest, an onSend and an onResponse hook
 * (the send path is benchmarked against a bare baseline, so nothing is built
 * per request beyond its id and, at the end, one line):
 *
 * - the X-Request-Id: Fastify's `request.id` (the caller's when sane, else a
 *   new one: requestIdOf, the server's genReqId), sent back on the response;
 *   the code that logs on the request's behalf is handed it (RequestLogger);
 * - the count of requests in flight, and their refusal (503) once the
 *   shutdown refuses new ones (the health checks still answer); a request
 *   whose client went away counts until its handler has answered (onSend:
 *   no onResponse comes for it), so that the shutdown neither closes the pool
 *   under it nor waits for it until SHUTDOWN_TIMEOUT_MS;
 * - the access line: method, the route's pattern (never the URL as sent, nor
 *   its query string), status, milliseconds.
 */
export function registerRequestHooks(fastify: FastifyInstance, options: RequestHooksOptions): RequestHooks {
  const { access, drain } = options;
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const requestId = request.id;
    (request as Tracked)[TRACKED] = requestId;
    void reply.header('x-request-id', requestId);
    drain.enter();
    if (drain.refusing && !request.routeOptions.url?.startsWith('/health')) {
      refuse(request, reply);
      return;
    }
    done();
  });
  // the request is answered: out of the count, and its line. Once, from whichever hook comes first
  const finish = (request: FastifyRequest, reply: FastifyReply) => {
    const requestId = (request as Tracked)[TRACKED];
    if (requestId === undefined) return;
    (request as Tracked)[TRACKED] = undefined;
    drain.leave();
    access({
      method: request.method,
      route: request.routeOptions.url ?? null,
      status: reply.statusCode,
      ms: reply.elapsedTime,
      requestId,
    });
  };
  // a request whose client went away: no onResponse follows, the answer ready for it is where its handler ended
  fastify.addHook(
    'onSend',
    (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
      if (reply.raw.destroyed || request.raw.socket?.destroyed !== false) finish(request, reply);
      done(null, payload);
    },
  );
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    finish(request, reply);
    done();
  });
  return {
    answerRefusedByRouter(request, reply, answer) {
      const requestId = request.id;
      void reply.header('x-request-id', requestId);
      const started = performance.now();
      answer();
      access({
        method: request.method,
        route: null,
        status: reply.statusCode,
        ms: performance.now() - started,
        requestId,
      });
    },
  };
}

export interface RequestHooks {
  /**
   * A URL the router refuses (gateway.ts, routerError) is answered before any
   * hook runs, and no onResponse follows: its id and its access line are
   * given here, around `answer`.
   */
  answerRefusedByRouter(request: FastifyRequest, reply: FastifyReply, answer: () => void): void;
}

/** a new request during the shutdown: 503 in the surface's error shape, and the connection is not kept */
function refuse(request: FastifyRequest, reply: FastifyReply): void {
  const detail = 'shutting down';
  void reply
    .code(503)
    .header('connection', 'close')
    .send(isFailoverApi(request) ? { code: platformCode(503), developerMessage: detail } : { detail });
}
