import type { FastifyInstance } from 'fastify';
import { registerBodyLimits } from './body-limits';
import { registerSecurityHeaders } from './security-headers';

/** What the HTTP layer does for every request, before and after Nest: security headers, limits on what a body may hold. */
export function registerHttpHardening(fastify: FastifyInstance): void {
  registerSecurityHeaders(fastify);
  registerBodyLimits(fastify);
}
