import { randomUUID } from 'node:crypto';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** what a caller's X-Request-Id may be: up to 128 characters of letters, digits and `._:-` */
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The caller's X-Request-Id when it is sane, and when the redactor would leave
 * it as it is (`clean`: a phone number or a key sent as an id would otherwise
 * be written, unmasked, on every line of the request); else a new UUID. The
 * server's genReqId: Fastify's `request.id` (gateway.ts).
 */
export function requestIdOf(header: string | string[] | undefined, clean: (text: string) => string): string {
  if (typeof header === 'string' && SANE_ID.test(header) && clean(header) === header) return header;
  return randomUUID();
}

/** The request's id (Fastify's `request.id`, its X-Request-Id), for the code that logs on its behalf. */
export const RequestId = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string => ctx.switchToHttp().getRequest<FastifyRequest>().id,
);
