import { inspect } from 'node:util';
import type { LoggerService, LogLevel } from '@nestjs/common';
import type { GatewayConfig } from '@app/config';
import { maskPhone } from '@app/engine';

const REDACTED = '[redacted]';

/**
 * Patterns for what must never reach a log line, whoever wrote it (our code
 * masks phone numbers and leaves secrets out at the source; this also covers
 * what libraries and Routee put in error messages):
 * - a `token=` (or key/secret/password/access_token) query parameter, as in the callback URLs;
 * - `Bearer …` / `Basic …` credentials and our API keys (`otpgw_…`);
 * - the password of a postgres:// URL;
 * - phone numbers: 8 to 15 digits standing alone (not part of a UUID or a longer word, nor a Routee error
 *   code written `code 400001009`), masked like maskPhone.
 */
const QUERY_SECRET = /([?&;](?:token|access_token|api_key|key|secret|password)=)[^&\s"'#]+/gi;
const AUTH_HEADER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const API_KEY = /\botpgw_[A-Za-z0-9_-]+/g;
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]+:)[^@\s/]+@/gi;
const PHONE = /(?<![\w-])(?<!\bcode )\+?([1-9]\d{7,14})(?![\w-])/g;

/** The secrets of this deployment, to be cut out of any line that carries them (e.g. echoed in an error). */
export function secretsOf(config: GatewayConfig, extra: (string | undefined)[] = []): string[] {
  return [
    ...config.apiKeys,
    config.routee.appSecret,
    config.callbackToken,
    config.metricsToken,
    ...config.webhooks.secrets,
    config.verification.codeSecret,
    ...extra,
  ].filter((s): s is string => typeof s === 'string' && s.length >= 6);
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join(REDACTED);
  return out
    .replace(QUERY_SECRET, `$1${REDACTED}`)
    .replace(AUTH_HEADER, `$1 ${REDACTED}`)
    .replace(API_KEY, `otpgw_${REDACTED}`)
    .replace(URL_PASSWORD, `$1${REDACTED}@`)
    .replace(PHONE, (_m, digits: string) => maskPhone(digits));
}

/** a logger that may tell which levels it writes (GatewayLogSink) */
export type LogSink = LoggerService & { isLevelEnabled?(level: LogLevel): boolean };

/**
 * Wraps the application's logger: every message and parameter is passed
 * through redact() before it is written. Errors and objects are rendered to
 * text first (so a stack or a nested field cannot slip through). A line the
 * sink would drop (debug, at the default levels: the worker logs one a
 * failover) is not redacted first.
 */
export class RedactingLogger implements LoggerService {
  constructor(
    private readonly inner: LogSink,
    private readonly secrets: readonly string[],
  ) {}

  log(message: unknown, ...rest: unknown[]): void {
    if (this.drops('log')) return;
    this.inner.log(this.clean(message), ...this.cleanAll(rest));
  }
  error(message: unknown, ...rest: unknown[]): void {
    if (this.drops('error')) return;
    this.inner.error(this.clean(message), ...this.cleanAll(rest));
  }
  warn(message: unknown, ...rest: unknown[]): void {
    if (this.drops('warn')) return;
    this.inner.warn(this.clean(message), ...this.cleanAll(rest));
  }
  debug(message: unknown, ...rest: unknown[]): void {
    if (this.drops('debug')) return;
    this.inner.debug?.(this.clean(message), ...this.cleanAll(rest));
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    if (this.drops('verbose')) return;
    this.inner.verbose?.(this.clean(message), ...this.cleanAll(rest));
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    if (this.drops('fatal')) return;
    (this.inner.fatal ?? this.inner.error).call(this.inner, this.clean(message), ...this.cleanAll(rest));
  }
  setLogLevels(levels: LogLevel[]): void {
    this.inner.setLogLevels?.(levels);
  }

  private drops(level: LogLevel): boolean {
    return this.inner.isLevelEnabled?.(level) === false;
  }

  private cleanAll(values: unknown[]): unknown[] {
    return values.map((v) => this.clean(v));
  }

  private clean(value: unknown): unknown {
    if (value === undefined || value === null || typeof value === 'number' || typeof value === 'boolean') return value;
    if (typeof value === 'string') return redact(value, this.secrets);
    if (value instanceof Error) return redact(value.stack ?? `${value.name}: ${value.message}`, this.secrets);
    return redact(inspect(value, { depth: 6, breakLength: Infinity }), this.secrets);
  }
}
