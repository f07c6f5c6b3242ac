import { inspect } from 'node:util';
import type { LoggerService, LogLevel } from '@nestjs/common';

export interface CapturedLine {
  level: LogLevel;
  context?: string;
  text: string;
}

/**
 * A Nest logger that keeps every line (all levels, debug and verbose too) in
 * memory, rendered as the console logger would print its message and extra
 * parameters, so tests can search what the gateway would have written.
 */
export class CaptureLogger implements LoggerService {
  readonly lines: CapturedLine[] = [];

  log(message: unknown, ...rest: unknown[]): void {
    this.add('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.add('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.add('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.add('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.add('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.add('fatal', message, rest);
  }

  /** everything logged, one line per call */
  text(): string {
    return this.lines.map((l) => `[${l.level}] ${l.context ? `[${l.context}] ` : ''}${l.text}`).join('\n');
  }

  private add(level: LogLevel, message: unknown, rest: unknown[]): void {
    // Nest passes the context as the last string parameter
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const render = (v: unknown) => (typeof v === 'string' ? v : inspect(v, { depth: 10, breakLength: Infinity }));
    this.lines.push({ level, context, text: [message, ...rest].map(render).join(' ') });
  }
}
