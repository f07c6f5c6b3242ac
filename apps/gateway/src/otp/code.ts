import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A flow's code as stored for POST /otp/verify: HMAC-SHA256 under CODE_SECRET
 * over the flow's id and the code, hex. Bound to the flow, so one code has a
 * different hash in every flow, and the table holds nothing a code can be
 * read back from (a 6-digit code is 10^6 guesses away from any plain hash).
 */
export function codeHash(secret: string, flowId: string, code: string): string {
  return createHmac('sha256', secret).update(`${flowId}:${code}`).digest('hex');
}

/** whether `code` is the flow's, compared in constant time */
export function codeMatches(secret: string, flowId: string, code: string, storedHash: string): boolean {
  const given = Buffer.from(codeHash(secret, flowId, code), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
