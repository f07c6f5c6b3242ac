import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The Swagger UI (served under /docs) is the one HTML page: it loads its own
 * scripts from /docs and has an inline <style> block and data: images.
 */
const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The operators' console (/console): its own script and stylesheet, nothing inline (it writes
 * every value with textContent), fetches to this origin only, and no other origin anywhere.
 */
const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** everything else is JSON: nothing in it may load or run anything */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const ALWAYS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-permitted-cross-domain-policies': 'none',
};

function isDocs(url: string): boolean {
  return url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs?') || url.startsWith('/docs-json');
}

function isConsole(url: string): boolean {
  return url === '/console' || url.startsWith('/console/') || url.startsWith('/console?');
}

/** Sets the headers on one answer (also used where no hook runs: the router's own errors). */
export function applySecurityHeaders(request: FastifyRequest, reply: FastifyReply): void {
  for (const [name, value] of Object.entries(ALWAYS)) reply.header(name, value);
  const docs = isDocs(request.url);
  reply.header('content-security-policy', docs ? DOCS_CSP : isConsole(request.url) ? CONSOLE_CSP : API_CSP);
  if (!docs || !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
}

/**
 * Security headers on every answer, errors and 404s included (an onSend hook
 * on the root instance runs for all of them but the router's own errors,
 * which gateway.ts's frameworkErrors handler covers). A small hook rather than
 * @fastify/helmet: the set is short, and the CSP has to differ for /docs.
 * API answers carry OTP flows and phone numbers, so they are never cached
 * (`Cache-Control: no-store`); the Swagger UI's static files keep theirs.
 */
export function registerSecurityHeaders(fastify: FastifyInstance): void {
  fastify.addHook(
    'onSend',
    (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
      applySecurityHeaders(request, reply);
      done(null, payload);
    },
  );
}
