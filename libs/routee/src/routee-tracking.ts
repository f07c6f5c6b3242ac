import { type RouteeTracking } from './routee.types';

/**
 * Pure readers of Routee's tracking answers. Routee documents
 * `status: {status, date, reason}` on the tracking GETs and
 * `status: {name, reason, updatedDate}` on callbacks; both are accepted
 * everywhere so one reader serves polling and callbacks.
 */

type Json = Record<string, unknown>;

interface StatusParts {
  status: string;
  date?: string;
  detailedStatus?: string;
  description?: string;
}

const asObject = (v: unknown): Json | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;

const asString = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

const asNumber = (v: unknown): number | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
};

/** `status` may be a bare string (SMS send answer) or an object (`status` or `name`). */
export function readStatus(raw: unknown): StatusParts | undefined {
  const direct = asString(raw);
  if (direct) return { status: direct };
  const obj = asObject(raw);
  if (!obj) return undefined;
  const status = asString(obj.status) ?? asString(obj.name);
  if (!status) return undefined;
  const reason = asObject(obj.reason);
  return {
    status,
    date: asString(obj.date) ?? asString(obj.updatedDate),
    detailedStatus: reason ? asString(reason.detailedStatus) : undefined,
    description: reason ? asString(reason.description) : asString(obj.description),
  };
}

/**
 * GET /viber/tracking/{trackingId}, for /viber/otp and /viber messages alike, and the
 * Viber callback body (docs: viber-callback; a /viber message's own `callbackUrl` gets
 * the same body). The content fields (message, body {text, imageURL, viberAction,
 * viberFile}) are left in `raw`: a tracking is about the status.
 */
export function readViberTracking(raw: unknown, requestedId: string): RouteeTracking | undefined {
  const obj = asObject(raw);
  const status = obj && readStatus(obj.status);
  if (!obj || !status) return undefined;
  return dropUndefined({
    trackingId: asString(obj.trackingId) ?? requestedId,
    status: status.status,
    statusDate: status.date,
    detailedStatus: status.detailedStatus,
    description: status.description,
    price: asNumber(obj.price),
    country: asString(obj.country),
    operator: asString(obj.operator),
    raw,
  });
}

/**
 * Routee's call states as the Failover API names them (Completed, Busy, NoAnswer,
 * Failed, Unsent, Terminated) and the intermediate ones of voice-messaging-statuses
 * (Queued, Initiated, Ringing, InProgress, Unknown). Routee's pages spell one of them
 * three ways ("No Answer" in call-flow, "NoAnswer" in voice-messaging-statuses and the
 * Failover API, NO_ANSWER upper-cased), so names are matched without case, spaces,
 * dashes or underscores.
 */
const VOICE_STATUSES = [
  'Queued',
  'Initiated',
  'Ringing',
  'InProgress',
  'Completed',
  'Busy',
  'NoAnswer',
  'Failed',
  'Unknown',
  'Unsent',
  'Terminated',
] as const;
const VOICE_STATUS_BY_KEY = new Map<string, string>(VOICE_STATUSES.map((name) => [voiceKey(name), name]));

function voiceKey(name: string): string {
  return name.replace(/[\s_-]/g, '').toLowerCase();
}

/** "No Answer", "NoAnswer", "NO_ANSWER" → "NoAnswer"; a name Routee has not documented is kept as it came */
export function normaliseVoiceStatus(name: string): string {
  return VOICE_STATUS_BY_KEY.get(voiceKey(name)) ?? name;
}

/** one dial part (dial tracking `content[]`) or a voice callback body, read alike */
function readVoicePart(obj: Json, requestedId: string): RouteeTracking | undefined {
  const status = readStatus(obj.status);
  if (!status) return undefined;
  return dropUndefined({
    trackingId: asString(obj.conversationTrackingId) ?? requestedId,
    messageId: asString(obj.messageId),
    status: normaliseVoiceStatus(status.status),
    statusDate: status.date,
    detailedStatus: status.detailedStatus,
    description: status.description,
    price: asNumber(obj.price),
    duration: asNumber(obj.duration),
    answeredBy: asString(obj.answeredBy),
    country: asString(obj.country),
    raw: obj,
  });
}

/**
 * GET /voice/tracking/conversation/{conversationTrackingId} (docs:
 * retrieve-conversation-dial-tracking) answers a page `{content: [dial part…], last, …}`.
 * Folded to the last dial: the part whose status is the most recent (the page's
 * order when no dates are given), which is where the call ended up.
 */
export function readVoiceDialTracking(raw: unknown, requestedId: string): RouteeTracking | undefined {
  const page = asObject(raw);
  const content = page && Array.isArray(page.content) ? page.content : [];
  const parts = content
    .map((p) => asObject(p))
    .filter((p): p is Json => !!p && !!readStatus(p.status))
    .map((p, index) => ({ p, index, at: Date.parse(readStatus(p.status)!.date ?? '') }));
  if (parts.length === 0) return undefined;
  const last = parts.reduce((a, b) => {
    if (Number.isNaN(a.at) || Number.isNaN(b.at) || a.at === b.at) return b.index > a.index ? b : a;
    return b.at > a.at ? b : a;
  });
  return { ...readVoicePart(last.p, requestedId)!, raw };
}

/**
 * The body Routee posts to a conversation's `callback.url` (docs: voice-conversation-callbacks):
 * `{messageId, conversationTrackingId, to, from, status {name, updatedDate}, direction,
 * originatingService, respectQuietHours, duration, price}`. Null when it names no
 * conversation or no status.
 */
export function readVoiceCallback(body: unknown): RouteeTracking | null {
  const obj = asObject(body);
  if (!obj) return null;
  const id = asString(obj.conversationTrackingId) ?? asString(obj.messageId);
  if (!id) return null;
  const tracking = readVoicePart(obj, id);
  return tracking ? { ...tracking, raw: body } : null;
}

const SMS_FAILURES = new Set(['failed', 'undelivered', 'unsent', 'expired', 'rejected']);
/** progress of a part that has not failed; an unknown status counts as not advanced */
const SMS_PROGRESS: Record<string, number> = { queued: 0, sent: 1, delivered: 2 };

/**
 * GET /sms/tracking/single/{messageId} answers one entry per SMS part. Folding:
 * - a failed part (Failed/Undelivered/Unsent/Expired/Rejected) decides the message:
 *   the lowest-numbered failed part's status wins, since the recipient cannot read
 *   a message with a part missing;
 * - otherwise the least advanced part wins (Queued < Sent < Delivered), so the
 *   message is Delivered only when every part is;
 * - price is the sum over parts, latency the max (Routee's `latency` is read as
 *   seconds, as its examples suggest, and reported in ms).
 */
export function foldSmsParts(raw: unknown, requestedId: string): RouteeTracking | undefined {
  const list = Array.isArray(raw) ? raw : asObject(raw) ? [raw] : [];
  const parts = list
    .map((p) => asObject(p))
    .filter((p): p is Json => !!p && !!readStatus(p.status))
    .sort((a, b) => (asNumber(a.part) ?? 0) - (asNumber(b.part) ?? 0));
  if (parts.length === 0) return undefined;

  const statusOf = (p: Json) => readStatus(p.status)!;
  const failed = parts.find((p) => SMS_FAILURES.has(statusOf(p).status.toLowerCase()));
  const winner =
    failed ?? parts.reduce((least, p) => (progress(statusOf(p).status) < progress(statusOf(least).status) ? p : least));
  const status = statusOf(winner);

  const prices = parts.map((p) => asNumber(p.price)).filter((n): n is number => n !== undefined);
  const latencies = parts.map((p) => asNumber(p.latency)).filter((n): n is number => n !== undefined);
  const declaredParts = Math.max(0, ...parts.map((p) => asNumber(p.parts) ?? 0));

  return dropUndefined({
    trackingId: asString(parts[0].messageId) ?? requestedId,
    status: status.status,
    statusDate: status.date,
    detailedStatus: status.detailedStatus,
    description: status.description,
    price: prices.length ? roundPrice(prices.reduce((a, b) => a + b, 0)) : undefined,
    // whole ms: 1.001 s * 1000 is 1000.9999999999999 in binary floats, which the integer column refuses
    latencyMs: latencies.length ? Math.round(Math.max(...latencies) * 1000) : undefined,
    country: asString(parts[0].country),
    operator: asString(parts[0].operator),
    parts: Math.max(declaredParts, parts.length),
    raw,
  });
}

function progress(status: string): number {
  return SMS_PROGRESS[status.toLowerCase()] ?? 0;
}

/** sums of binary floats (0.0375 * 3) are rounded to 10 decimals, beyond any currency precision */
function roundPrice(n: number): number {
  return Math.round(n * 1e10) / 1e10;
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
