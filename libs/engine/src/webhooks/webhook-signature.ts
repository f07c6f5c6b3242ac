import { createHmac, timingSafeEqual } from 'node:crypto';

/** Standard Webhooks' prefix of a base64 secret (https://www.standardwebhooks.com, "Signature scheme") */
export const STANDARD_SECRET_PREFIX = 'whsec_';

/** the Standard Webhooks headers of one delivery attempt */
export interface StandardWebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  /** absent without WEBHOOK_SECRET */
  'webhook-signature'?: string;
}

/**
 * A WEBHOOK_SECRET entry as the HMAC key of the standard signature:
 * `whsec_<base64>` is the standard's form, the key is the decoded bytes
 * (what `new Webhook('whsec_…')` of the standard libraries uses); any other
 * string is used as its own UTF-8 bytes (`new Webhook(secret, { format: 'raw' })`).
 */
export function standardWebhookKey(secret: string): Buffer {
  return secret.startsWith(STANDARD_SECRET_PREFIX)
    ? Buffer.from(secret.slice(STANDARD_SECRET_PREFIX.length), 'base64')
    : Buffer.from(secret, 'utf8');
}

/** `v1,<base64 HMAC-SHA256 of "<id>.<unix>.<body>">`, one per secret, space-separated (rotation) */
export function signStandardWebhook(secrets: readonly string[], id: string, unixSeconds: number, body: string): string {
  return secrets
    .map(
      (s) =>
        `v1,${createHmac('sha256', standardWebhookKey(s)).update(`${id}.${unixSeconds}.${body}`).digest('base64')}`,
    )
    .join(' ');
}

/** webhook-id (the event's stable id), webhook-timestamp (this attempt's) and, with secrets, webhook-signature */
export function standardWebhookHeaders(
  secrets: readonly string[],
  id: string,
  unixSeconds: number,
  body: string,
): StandardWebhookHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(unixSeconds),
    ...(secrets.length > 0 && { 'webhook-signature': signStandardWebhook(secrets, id, unixSeconds, body) }),
  };
}

/**
 * The legacy X-Webhook-Signature, `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
 * (README, "Webhooks"): the key is the secret string as it is, `whsec_` or
 * not, as before the standard headers existed. With several secrets (rotation)
 * each signs: one `v1=` entry per secret, in their order (`t=…,v1=<new>,v1=<old>`, Stripe's form).
 */
export function signWebhook(secrets: string | readonly string[], body: string, unixSeconds: number): string {
  const macs = (typeof secrets === 'string' ? [secrets] : secrets).map(
    (secret) => `v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`,
  );
  return [`t=${unixSeconds}`, ...macs].join(',');
}

/**
 * What a receiver does: recompute under its secret, compare in constant time
 * with each `v1=` entry (one per secret while the gateway rotates), refuse old timestamps.
 */
export function verifyWebhook(
  secret: string,
  body: string,
  header: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const pairs = header.split(',').map((kv) => {
    const at = kv.indexOf('=');
    return at < 0 ? ['', ''] : [kv.slice(0, at), kv.slice(at + 1)];
  });
  const ts = pairs.filter(([k]) => k === 't');
  const t = ts.length === 1 && /^\d+$/.test(ts[0][1]) ? Number(ts[0][1]) : NaN;
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return pairs
    .filter(([k]) => k === 'v1')
    .some(([, hex]) => {
      const given = Buffer.from(hex, 'hex');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}
