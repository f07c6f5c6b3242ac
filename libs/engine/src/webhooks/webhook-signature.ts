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
 * not, as before the standard headers existed.
 */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** What a receiver does: recompute, compare in constant time, refuse old timestamps. */
export function verifyWebhook(
  secret: string,
  body: string,
  header: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1 || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, body, t).split('v1=')[1], 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
