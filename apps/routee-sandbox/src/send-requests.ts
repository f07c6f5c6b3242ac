import { findTemplate, TEMPLATE_LANGUAGES, type TemplateParam, VIBER_TEMPLATES } from '@app/routee/viber-otp-templates';
import { RouteeApiError, type RouteeModule } from './routee-api.error';

/**
 * Request bodies of POST /sms and POST /viber/otp, checked as strictly as
 * Routee's reference documents them, so that a test against the sandbox fails
 * where the real Routee would refuse:
 * - https://docs.routee.net/reference/send-single-sms
 * - https://docs.routee.net/reference/viber-otp-request (with the template
 *   inventory, template-variables-validations and localization pages it links)
 * Every problem found is named in the error body's `properties`. Fields the
 * reference does not list are ignored, as Routee ignores them.
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
  flash?: boolean;
  callback?: CallbackRequest;
}

export interface ViberOtpSend {
  senderInfoTrackingId: string;
  /** digits, no '+' */
  to: string;
  /** seconds */
  ttl?: number;
  seq?: number;
  label?: 'transactional' | 'promotional';
  type?: 'PRIMARY_ONLY' | 'ALL_DEVICE';
  templateId: string;
  templateParams: Record<string, string | number>;
  templateLang?: string;
}

type Json = Record<string, unknown>;

/** "+" and the country code, then the number: 7 to 15 digits in all (E.164) */
const E164_WITH_PLUS = /^\+[1-9]\d{6,14}$/;
/** Routee's sender id: up to 11 letters, digits and spaces, or a number of up to 16 digits (no '+') */
const SENDER_ID = /^(?:[A-Za-z0-9 ]{1,11}|\d{1,16})$/;
/** SMS ttl in minutes (Routee's send-single-sms: "the duration in minutes the delivery of an SMS will be attempted") */
const SMS_TTL_MINUTES = { min: 1, max: 4320 };
/**
 * Viber ttl in seconds. The Viber OTP page gives no range; Routee's Viber
 * message reference gives 30-86400 s, and Viber's own minimum is 30 s.
 */
export const VIBER_TTL_SECONDS = { min: 30, max: 86400 };
/** template-variables-validations: text at most 50 characters, no links */
const TEXT_PARAM_MAX = 50;
const LINK = /(?:https?:\/\/|www\.)/i;
const NUMBER_PARAMS = new Set<TemplateParam>(['codeValidityTime']);

/** Collects every problem of one body; `done()` throws them as one Routee 400. */
export class Problems {
  private readonly found: Record<string, string> = {};

  constructor(private readonly module: RouteeModule) {}

  add(field: string, problem: string): void {
    this.found[field] ??= problem;
  }

  done(): void {
    const fields = Object.keys(this.found);
    if (fields.length === 0) return;
    const message = fields.map((f) => `${f}: ${this.found[f]}`).join('; ');
    throw RouteeApiError.validation(this.module, message, this.found);
  }
}

export function parseSmsSend(raw: unknown): SmsSend {
  const body = objectBody(raw);
  const problems = new Problems('sms');
  const to = recipient(
    body.to,
    problems,
    'The SMS has no recipients or the recipient is not in E.164 format (+ and country code)',
  );
  const from = body.from;
  if (typeof from !== 'string' || !SENDER_ID.test(from)) {
    problems.add('from', 'The sender is invalid: up to 11 letters, digits and spaces, or up to 16 digits without +');
  }
  if (typeof body.body !== 'string' || body.body.length === 0) problems.add('body', 'may not be empty');
  const ttl = optionalInteger(body.ttl, 'ttl', SMS_TTL_MINUTES, problems);
  const label = optionalString(body.label, 'label', problems, 350);
  const flash = body.flash;
  if (flash !== undefined && flash !== null && typeof flash !== 'boolean')
    problems.add('flash', 'must be true or false');
  const callback = parseCallback(body.callback, problems);
  problems.done();
  return dropUndefined({
    from: from as string,
    to: to!,
    body: body.body as string,
    ttl,
    label,
    flash: typeof flash === 'boolean' ? flash : undefined,
    callback,
  });
}

export function parseViberOtpSend(raw: unknown): ViberOtpSend {
  const body = objectBody(raw);
  const problems = new Problems('viber');
  const sender = body.senderInfoTrackingId;
  if (typeof sender !== 'string' || sender.trim() === '') problems.add('senderInfoTrackingId', 'may not be empty');
  const to = recipient(
    body.to,
    problems,
    'must be one recipient in E.164 format, with + and the country code (e.g. +306912345678)',
  );
  const ttl = optionalInteger(body.ttl, 'ttl', VIBER_TTL_SECONDS, problems);
  const seq = optionalInteger(body.seq, 'seq', { min: 0, max: Number.MAX_SAFE_INTEGER }, problems);
  const label = oneOf(body.label, 'label', ['transactional', 'promotional'] as const, problems);
  const type = oneOf(body.type, 'type', ['PRIMARY_ONLY', 'ALL_DEVICE'] as const, problems);
  const templateLang = oneOf(body.templateLang, 'templateLang', TEMPLATE_LANGUAGES, problems);
  // templateId is optional in the reference; the sandbox then plays Routee's Basic template
  const templateId =
    body.templateId === undefined || body.templateId === null ? VIBER_TEMPLATES[0].id : body.templateId;
  const template = typeof templateId === 'string' ? findTemplate(templateId) : undefined;
  if (!template) problems.add('templateId', 'is not a template of the Viber OTP templates inventory');
  const templateParams = body.templateParams;
  if (!templateParams || typeof templateParams !== 'object' || Array.isArray(templateParams)) {
    problems.add('templateParams', 'must be an object with the parameters of the template');
  } else if (template) {
    checkTemplateParams(templateParams as Json, template.params, problems);
  }
  problems.done();
  return dropUndefined({
    senderInfoTrackingId: sender as string,
    to: to!,
    ttl,
    seq,
    label,
    type,
    templateId: templateId as string,
    templateParams: templateParams as Record<string, string | number>,
    templateLang,
  });
}

/** "Include only the parameters required by the chosen template", typed as template-variables-validations says */
function checkTemplateParams(params: Json, required: readonly TemplateParam[], problems: Problems): void {
  for (const name of required) {
    const value = params[name];
    const field = `templateParams.${name}`;
    if (value === undefined || value === null || value === '') {
      problems.add(field, 'is required by the template');
    } else if (NUMBER_PARAMS.has(name)) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
        problems.add(field, 'must be a whole number (e.g. 5), not a string');
    } else if (typeof value !== 'string') {
      problems.add(field, 'must be text');
    } else if (value.length > TEXT_PARAM_MAX) {
      problems.add(field, `must be at most ${TEXT_PARAM_MAX} characters`);
    } else if (LINK.test(value)) {
      problems.add(field, 'must not contain links');
    }
  }
  for (const name of Object.keys(params)) {
    if (!required.includes(name as TemplateParam))
      problems.add(`templateParams.${name}`, 'is not a parameter of the template');
  }
}

/** one "+E.164" string; digits without '+' are returned */
export function recipient(value: unknown, problems: Problems, problem: string): string | undefined {
  if (typeof value !== 'string' || !E164_WITH_PLUS.test(value)) {
    problems.add('to', problem);
    return undefined;
  }
  return value.slice(1);
}

export function objectBody(raw: unknown): Json {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw RouteeApiError.validation('generic', 'The request body must be a JSON object');
  }
  return raw as Json;
}

export function parseCallback(cb: unknown, problems: Problems): CallbackRequest | undefined {
  if (cb === undefined || cb === null) return undefined;
  if (typeof cb !== 'object' || Array.isArray(cb)) {
    problems.add('callback', 'must be an object {url, strategy}');
    return undefined;
  }
  const { url, strategy } = cb as Json;
  if (!isHttpUrl(url)) problems.add('callback.url', 'must be an http(s) URL');
  if (strategy !== undefined && strategy !== 'OnChange' && strategy !== 'OnCompletion') {
    problems.add('callback.strategy', 'must be OnChange or OnCompletion');
  }
  return { url: url as string, strategy: (strategy as CallbackRequest['strategy']) ?? 'OnChange' };
}

export function isHttpUrl(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  try {
    const url = new URL(v);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

export function oneOf<T extends string>(
  v: unknown,
  field: string,
  allowed: readonly T[],
  problems: Problems,
): T | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    problems.add(field, `must be one of ${allowed.join(', ')}`);
    return undefined;
  }
  return v as T;
}

export function optionalString(v: unknown, field: string, problems: Problems, maxLength: number): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > maxLength) {
    problems.add(field, `must be a string of at most ${maxLength} characters`);
    return undefined;
  }
  return v;
}

export function optionalInteger(
  v: unknown,
  field: string,
  range: { min: number; max: number },
  problems: Problems,
): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < range.min || v > range.max) {
    problems.add(field, `must be an integer between ${range.min} and ${range.max}`);
    return undefined;
  }
  return v;
}

export function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
