export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  /** consecutive failed attempts that open the circuit, default 5 */
  failureThreshold?: number;
  /** how long it stays open before one probe is let through, default 10 000 ms */
  openMs?: number;
  /** told on every state change (for a log line) */
  onChange?: (state: CircuitState, reason: string) => void;
  /** injectable clock (tests) */
  now?: () => number;
}

/**
 * A per-process circuit breaker in front of Routee.
 *
 * closed: every call goes out; each failed attempt (no answer, a connect
 * failure, a 5xx) counts, any answer below 500 resets the count. After
 * `failureThreshold` failures in a row it opens.
 * open: calls are refused at once, nothing goes out, for `openMs`.
 * half_open: the first call after that is the probe and goes out alone (the
 * others are still refused); its success closes the circuit, its failure
 * opens it for another `openMs`.
 *
 * It is per process on purpose: it protects this process's request threads
 * and Routee from this process; replicas each find out for themselves within
 * `failureThreshold` attempts.
 */
export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly openMs: number;
  private current: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probeOut = false;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions = {}) {
    this.failureThreshold = Math.max(1, options.failureThreshold ?? 5);
    this.openMs = Math.max(0, options.openMs ?? 10_000);
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.current === 'open' && this.now() >= this.openedAt + this.openMs) return 'half_open';
    return this.current;
  }

  /** true while calls would be refused without a probe being due: callers skip optional work (polling) */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** epoch ms from which a probe may go out (now when closed) */
  get retryAt(): number {
    return this.current === 'closed' ? this.now() : this.openedAt + this.openMs;
  }

  /**
   * May an attempt go out now? Returns a ticket to settle with success() or
   * failure(), or null when the circuit refuses it.
   */
  admit(): { probe: boolean } | null {
    const state = this.state;
    if (state === 'closed') return { probe: false };
    if (state === 'open' || this.probeOut) return null;
    this.probeOut = true;
    this.current = 'half_open';
    return { probe: true };
  }

  /** Routee answered (anything below 500) */
  success(ticket: { probe: boolean }): void {
    this.failures = 0;
    if (ticket.probe) this.probeOut = false;
    if (this.current !== 'closed') {
      this.current = 'closed';
      this.options.onChange?.('closed', ticket.probe ? 'the probe got an answer' : 'an attempt got an answer');
    }
  }

  /** Routee did not answer, or answered 5xx */
  failure(ticket: { probe: boolean }, reason: string): void {
    if (ticket.probe) {
      this.probeOut = false;
      this.open(`the probe failed: ${reason}`);
      return;
    }
    this.failures++;
    if (this.current === 'closed' && this.failures >= this.failureThreshold) {
      this.open(`${this.failures} failed attempts in a row, the last: ${reason}`);
    }
  }

  /** The attempt ended without telling anything about Routee (e.g. our own abort): a probe's slot is freed. */
  release(ticket: { probe: boolean }): void {
    if (ticket.probe) this.probeOut = false;
  }

  private open(reason: string): void {
    this.current = 'open';
    this.openedAt = this.now();
    this.options.onChange?.('open', reason);
  }
}
