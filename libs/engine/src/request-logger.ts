import { Logger } from '@nestjs/common';

/** the request of the line being written, while it is written */
let lineRequestId: string | undefined;

/** The request the line being written is for, if any: the gateway's log sink puts it on the line. */
export function requestIdOfLine(): string | undefined {
  return lineRequestId;
}

/** what a request's lines are written with */
export type LineWriter = Pick<Logger, 'log' | 'warn' | 'error' | 'debug'>;

/**
 * A Nest Logger whose lines can name the request they were written for:
 * `this.log.for(requestId).warn(...)`. The request's id is handed down to the
 * code that logs on its behalf (the engine's entry points take it), not kept in
 * an AsyncLocalStorage: on Node 20 one AsyncLocalStorage in use turns on
 * promise hooks for every promise of the process, which cost ~0.8 ms of CPU a
 * send (bench/README.md). The id is set for the synchronous call into the
 * logger only.
 */
export class RequestLogger extends Logger {
  for(requestId: string | undefined): LineWriter {
    return requestId === undefined ? this : new RequestLines(this, requestId);
  }
}

class RequestLines implements LineWriter {
  constructor(
    private readonly inner: Logger,
    private readonly requestId: string,
  ) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write(() => this.inner.log(message, ...rest));
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write(() => this.inner.warn(message, ...rest));
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write(() => this.inner.error(message, ...rest));
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write(() => this.inner.debug(message, ...rest));
  }

  private write(line: () => void): void {
    const outer = lineRequestId;
    lineRequestId = this.requestId;
    try {
      line();
    } finally {
      lineRequestId = outer;
    }
  }
}
