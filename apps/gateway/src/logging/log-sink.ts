import { inspect } from 'node:util';
import type { LoggerService, LogLevel } from '@nestjs/common';
import type { LogFormat } from '@app/config';
import { requestIdOfLine } from '@app/engine';

export type LogStream = 'stdout' | 'stderr';

export interface LogSinkOptions {
  /** LOG_FORMAT */
  format: LogFormat;
  levels: LogLevel[];
  /** where a finished line goes (default: the process's stdout, stderr for warnings and errors) */
  write?: (line: string, stream: LogStream) => void;
}

/** One request's access line; every field is built by the gateway (access-log.ts), so none needs redacting. */
export interface AccessLine {
  method: string;
  /** the route's pattern (`/otp/failover/:id`), null when no route matched; never the URL as sent */
  route: string | null;
  status: number;
  ms: number;
  requestId: string;
}

const COLORS: Record<LogLevel, number> = { log: 32, error: 31, warn: 33, debug: 35, verbose: 36, fatal: 91 };
const STACK = /^\s*at .+/m;

/**
 * The process's own output. Lines for stdout are gathered for one turn of the
 * event loop and written together: under load one turn answers several
 * requests, and each access line written alone was a system call of its own
 * (and a wake-up of whatever reads the pipe). A line for stderr, and the
 * process's exit, write what is gathered first, so the order of lines holds.
 * A SIGKILL loses at most the lines of the turn it interrupts.
 */
const gathered: string[] = [];
let flushScheduled = false;
/** a turn that gathers this many lines writes them at once */
const MAX_GATHERED = 256;

function flushStdout(): void {
  flushScheduled = false;
  if (gathered.length === 0) return;
  const text = gathered.join('');
  gathered.length = 0;
  process.stdout.write(text);
}

function defaultWrite(line: string, stream: LogStream): void {
  if (stream === 'stderr') {
    flushStdout();
    process.stderr.write(`${line}\n`);
    return;
  }
  gathered.push(`${line}\n`);
  if (gathered.length >= MAX_GATHERED) flushStdout();
  else if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushStdout).unref();
  }
}
process.once('exit', flushStdout);

/**
 * The gateway's log lines (LOG_FORMAT): one JSON object a line, or a line for
 * a terminal, each with the id of the request it was logged for, if any
 * (RequestLogger in libs/engine: requestIdOfLine). It writes what it is given: RedactingLogger, in front
 * of it, has already cut secrets and phone numbers out.
 */
export class GatewayLogSink implements LoggerService {
  private enabled: Set<LogLevel>;
  private readonly write: (line: string, stream: LogStream) => void;
  private readonly json: boolean;
  private readonly colors: boolean;

  constructor(options: LogSinkOptions) {
    this.enabled = new Set(options.levels);
    this.write = options.write ?? defaultWrite;
    this.json = options.format === 'json';
    this.colors = !this.json && !options.write && process.stdout.isTTY === true && !process.env.NO_COLOR;
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.print('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.print('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.print('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.print('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.print('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.print('fatal', message, rest);
  }
  setLogLevels(levels: LogLevel[]): void {
    this.enabled = new Set(levels);
  }
  /** RedactingLogger asks, so as not to redact a line dropped here */
  isLevelEnabled(level: LogLevel): boolean {
    return this.enabled.has(level);
  }

  /** The access line: on the hot path, so one object literal and one JSON.stringify, nothing else. */
  access(line: AccessLine): void {
    if (!this.enabled.has('log')) return;
    const ms = Math.round(line.ms * 10) / 10;
    const route = line.route ?? '(no route)';
    if (this.json) {
      this.write(
        JSON.stringify({
          time: new Date().toISOString(),
          level: 'log',
          context: 'Http',
          message: `${line.method} ${route} ${line.status}`,
          method: line.method,
          route: line.route,
          status: line.status,
          ms,
          requestId: line.requestId,
        }),
        'stdout',
      );
    } else {
      this.write(
        this.pretty('log', 'Http', `${line.method} ${route} ${line.status} ${ms} ms`, line.requestId),
        'stdout',
      );
    }
  }

  private print(level: LogLevel, message: unknown, rest: unknown[]): void {
    if (!this.enabled.has(level)) return;
    // Nest's Logger.error puts an `undefined` where no stack was given
    const params = rest.filter((p) => p !== undefined);
    // Nest's Logger passes the context last; an error's stack comes before it (Logger.error(message, stack, context))
    const last = params[params.length - 1];
    const context =
      typeof last === 'string' && (params.length > 1 || level !== 'error' || !STACK.test(last))
        ? (params.pop() as string)
        : undefined;
    const stackAt =
      level === 'error' || level === 'fatal' ? params.findIndex((p) => typeof p === 'string' && STACK.test(p)) : -1;
    const stack = stackAt >= 0 ? (params.splice(stackAt, 1)[0] as string) : undefined;
    const text = [message, ...params].map(render).join(' ');
    const stream: LogStream = level === 'log' || level === 'debug' || level === 'verbose' ? 'stdout' : 'stderr';
    const requestId = requestIdOfLine();
    if (this.json) {
      this.write(
        JSON.stringify({ time: new Date().toISOString(), level, context, message: text, stack, requestId }),
        stream,
      );
    } else {
      this.write(this.pretty(level, context, stack ? `${text}\n${stack}` : text, requestId), stream);
    }
  }

  private pretty(level: LogLevel, context: string | undefined, text: string, requestId: string | undefined): string {
    const name = level.toUpperCase().padStart(7, ' ');
    const shown = this.colors ? `\x1b[${COLORS[level]}m${name}\x1b[39m` : name;
    return `${new Date().toISOString()} ${shown} ${context ? `[${context}] ` : ''}${text}${requestId ? `  req=${requestId}` : ''}`;
  }
}

function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  return inspect(value, { depth: 6, breakLength: Infinity });
}
