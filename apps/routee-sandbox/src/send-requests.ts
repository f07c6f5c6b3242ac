import { RouteeApiError } from './routee-api.error';

/**
 * Request bodies of POST /sms and POST /viber/otp, checked the way Routee
 * documents them (docs: send-single-sms, viber-otp-request). Unknown fields are
 * ignored, as Routee does.
 */

export interface CallbackRequest {
  url: string;
  strategy: 'OnChange' | 'OnCompletion';
}

export interface SmsSend {
  from: string;
  /** digits, no '+' */
  to: string;
  body: string;
  /** minutes */
  ttl?: number;
  label?: string;
  callback?: CallbackRequest;
}

export interface ViberOtpSend {
  senderInfoTrackingId: string;
  /** digits, no '+' */
  to: string;
  /** seconds */
  ttl?: number;
  templateId: string;
  templateParams: Record<string, unknown>;
  templateLang?: string;
  label?: string;
  callback?: CallbackRequest;
}

type Json = Record<string, unknown>;

const E164 = /^\+?[1-9]\d{6,14}$/;

export function parseSmsSend(raw: unknown): SmsSend {
  const body = objectBody(raw);
  const to = body.to;
  if (typeof to !== 'string' || !E164.test(to)) {
    throw RouteeApiError.validation('sms', 'The SMS has no recipients or the recipient is not a valid E.164 number');
  }
  const from = body.from;
  if (typeof from !== 'string' || !(/^[A-Za-z0-9 .\-_]{1,11}$/.test(from) || /^\+?\d{1,16}$/.test(from))) {
    throw RouteeApiError.validation('sms', 'The sender is invalid: up to 11 alphanumeric characters or 16 digits');
  }
  if (typeof body.body !== 'string' || body.body.length === 0) {
    throw RouteeApiError.validation('generic', 'body: may not be empty');
  }
  const ttl = optionalInteger(body.ttl, 'ttl', 1, 4320);
  return dropUndefined({
    from,
    to: to.replace(/^\+/, ''),
    body: body.body,
    ttl,
    label: optionalString(body.label, 'label'),
    callback: parseCallback(body),
  });
}

export function parseViberOtpSend(raw: unknown): ViberOtpSend {
  const body = objectBody(raw);
  const senderInfoTrackingId = requiredString(body.senderInfoTrackingId, 'senderInfoTrackingId', 'viber');
  // Routee's reference shows "+E.164" as a string; the failover service sends a one-element array.
  const toList = Array.isArray(body.to) ? body.to : [body.to];
  if (toList.length !== 1 || typeof toList[0] !== 'string' || !E164.test(toList[0])) {
    throw RouteeApiError.validation('viber', 'to: exactly one recipient in E.164 format is required');
  }
  const templateId = requiredString(body.templateId, 'templateId', 'viber');
  const templateParams = body.templateParams;
  if (!templateParams || typeof templateParams !== 'object' || Array.isArray(templateParams)) {
    throw RouteeApiError.validation('viber', 'templateParams: must be an object holding at least the pin');
  }
  const pin = (templateParams as Json).pin;
  if ((typeof pin !== 'string' && typeof pin !== 'number') || String(pin).length === 0) {
    throw RouteeApiError.validation('viber', 'templateParams.pin: may not be empty');
  }
  return dropUndefined({
    senderInfoTrackingId,
    to: (toList[0] as string).replace(/^\+/, ''),
    ttl: optionalInteger(body.ttl, 'ttl', 0, 1_209_600),
    templateId,
    templateParams: templateParams as Json,
    templateLang: optionalString(body.templateLang, 'templateLang'),
    label: optionalString(body.label, 'label'),
    callback: parseCallback(body),
  });
}

function objectBody(raw: unknown): Json {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw RouteeApiError.validation('generic', 'The request body must be a JSON object');
  }
  return raw as Json;
}

/** `callback {url, strategy}` as on SMS; `callbackUrl` also taken (Viber transactional reference). */
function parseCallback(body: Json): CallbackRequest | undefined {
  const cb = body.callback;
  if (cb === undefined || cb === null) {
    if (body.callbackUrl === undefined || body.callbackUrl === null) return undefined;
    return { url: httpUrl(body.callbackUrl, 'callbackUrl'), strategy: 'OnChange' };
  }
  if (typeof cb !== 'object' || Array.isArray(cb)) {
    throw RouteeApiError.validation('generic', 'callback: must be an object {url, strategy}');
  }
  const { url, strategy } = cb as Json;
  if (strategy !== undefined && strategy !== 'OnChange' && strategy !== 'OnCompletion') {
    throw RouteeApiError.validation('generic', 'callback.strategy: must be OnChange or OnCompletion');
  }
  return { url: httpUrl(url, 'callback.url'), strategy: (strategy as CallbackRequest['strategy']) ?? 'OnChange' };
}

function httpUrl(v: unknown, field: string): string {
  if (typeof v === 'string') {
    try {
      const url = new URL(v);
      if (url.protocol === 'http:' || url.protocol === 'https:') return v;
    } catch {
      // fall through to the validation error
    }
  }
  throw RouteeApiError.validation('generic', `${field}: must be an http(s) URL`);
}

function requiredString(v: unknown, field: string, module: 'sms' | 'viber'): string {
  if (typeof v !== 'string' || v.trim() === '') throw RouteeApiError.validation(module, `${field}: may not be empty`);
  return v;
}

function optionalString(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw RouteeApiError.validation('generic', `${field}: must be a string`);
  return v;
}

function optionalInteger(v: unknown, field: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw RouteeApiError.validation('generic', `${field}: must be an integer between ${min} and ${max}`);
  }
  return v;
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
