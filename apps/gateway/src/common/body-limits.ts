import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from './gateway-error';

/** deeper than any body the gateway takes (a send is 4 levels deep, a Routee report 4) and far below what recursion in the validators survives */
export const MAX_BODY_DEPTH = 32;

/** a 400 in the one error shape (ApiExceptionFilter passes a Fastify 4xx's message as `detail`) */
class BodyTooDeepError extends Error {
  readonly statusCode = 400;
  readonly code = 'GW_BODY_TOO_DEEP';
}

export type Finding = { kind: 'too_deep' } | { kind: 'bad_text'; loc: (string | number)[] } | null;

/** a NUL, or half of a UTF-16 surrogate pair ("\ud800" in JSON): text Postgres cannot store */
const BAD_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Walks a parsed JSON value without recursion: is it nested deeper than
 * `maxDepth`, or does any key or string in it hold text Postgres refuses?
 */
export function inspectJson(value: unknown, maxDepth: number, root: string): Finding {
  const stack: { node: unknown; loc: (string | number)[] }[] = [{ node: value, loc: [root] }];
  while (stack.length > 0) {
    const { node, loc } = stack.pop()!;
    if (typeof node === 'string') {
      if (BAD_TEXT.test(node)) return { kind: 'bad_text', loc };
      continue;
    }
    if (typeof node !== 'object' || node === null) continue;
    if (loc.length > maxDepth) return { kind: 'too_deep' };
    if (Array.isArray(node)) node.forEach((child, i) => stack.push({ node: child, loc: [...loc, i] }));
    else
      for (const [key, child] of Object.entries(node)) {
        if (BAD_TEXT.test(key)) return { kind: 'bad_text', loc: [...loc, key] };
        stack.push({ node: child, loc: [...loc, key] });
      }
  }
  return null;
}

/**
 * Two kinds of input that parse fine and then broke the gateway with a 500
 * (found by test/fuzz-bad-input.e2e-spec.ts), refused before Nest runs:
 * - a JSON body nested thousands of levels deep overflows the stack in
 *   class-transformer/class-validator → 400;
 * - a NUL character (\u0000) or a lone UTF-16 surrogate (\ud800) in a string:
 *   Postgres stores neither in text or jsonb and fails the query → 422 naming
 *   the field. (Query strings: the list's DTO refuses control characters, and
 *   %-decoding never yields a lone surrogate; path ids with one are not found.)
 */
export function registerBodyLimits(fastify: FastifyInstance): void {
  // a callback hook: an async one is a promise on every request
  fastify.addHook('preValidation', (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
    const finding = inspectJson(request.body, MAX_BODY_DEPTH, 'body');
    if (finding?.kind === 'too_deep')
      return done(new BodyTooDeepError(`request body is nested more than ${MAX_BODY_DEPTH} levels deep`));
    if (finding?.kind === 'bad_text')
      return done(
        GatewayError.field(
          finding.loc,
          `${finding.loc.slice(1).join('.') || 'body'} must be valid Unicode text without NUL characters`,
          'value_error.unicode',
        ),
      );
    done();
  });
}
