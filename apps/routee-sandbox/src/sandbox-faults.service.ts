import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { type ResolvedSandboxOptions, SANDBOX_OPTIONS } from './sandbox.options';

/** which Routee routes a fault hits (the /_sandbox admin routes never fail) */
export type FaultScope = 'all' | 'send' | 'tracking' | 'token';

/** what a request in scope gets instead of a normal answer */
export type FaultKind = 'unavailable' | 'hang' | 'reset_before' | 'reset_after';

export interface SandboxFaultSettings {
  /** delay before answering any API request (a slow Routee) */
  latencyMs?: number;
  /** extra delay of tracking GETs only (a slow Routee tracking) */
  trackingLatencyMs?: number;
  /** the next N requests in scope answer 503 `{"code":"503000000",…}` (a 503 burst) */
  unavailableCount?: number;
  /** requests in scope answer 503 for this long from now (Routee down); 0 lifts it */
  unavailableForMs?: number;
  /** the next N requests in scope get no answer at all (the client times out); nothing is taken */
  hangCount?: number;
  /** requests in scope get no answer for this long from now; 0 lifts it */
  hangForMs?: number;
  /** the next N requests in scope have their connection destroyed (a reset) */
  resetCount?: number;
  /**
   * 'after' (default): the sandbox handles the request first, so a send is
   * taken (and counted) and only the answer is lost, the worst case for the
   * sender; 'before': the connection drops before anything is taken
   */
  resetWhen?: 'before' | 'after';
  /** which routes the faults above hit, default 'all' */
  scope?: FaultScope;
  /** every issued token becomes invalid, as POST /_sandbox/revoke-tokens */
  revokeTokens?: boolean;
}

export interface FaultCounters {
  /** requests that reached a Routee route (token, sends, tracking), faulted or not */
  requests: number;
  /** answers replaced by a fault, per kind */
  faulted: Record<FaultKind, number>;
}

/** a held request is let go (its connection destroyed) after this long at most */
const MAX_HOLD_MS = 60_000;

/**
 * Per-run faults tests switch on and off (in-process through SandboxState,
 * from another process through POST /_sandbox/faults); reset() restores the
 * start options. The HTTP hooks in sandbox.ts ask `take()` what each request gets.
 */
@Injectable()
export class SandboxFaults implements OnModuleDestroy {
  latencyMs: number;
  trackingLatencyMs = 0;
  private scope: FaultScope = 'all';
  private unavailableCount = 0;
  private unavailableUntil = 0;
  private hangCount = 0;
  private hangUntil = 0;
  private resetCount = 0;
  private resetWhen: 'before' | 'after' = 'after';
  private readonly held = new Set<() => void>();
  readonly counters: FaultCounters = {
    requests: 0,
    faulted: { unavailable: 0, hang: 0, reset_before: 0, reset_after: 0 },
  };

  constructor(@Inject(SANDBOX_OPTIONS) private readonly options: ResolvedSandboxOptions) {
    this.latencyMs = options.latencyMs;
  }

  set(settings: SandboxFaultSettings): void {
    const now = Date.now();
    if (settings.latencyMs !== undefined) this.latencyMs = nonNegative(settings.latencyMs);
    if (settings.trackingLatencyMs !== undefined) this.trackingLatencyMs = nonNegative(settings.trackingLatencyMs);
    if (settings.scope !== undefined)
      this.scope = ['send', 'tracking', 'token'].includes(settings.scope) ? settings.scope : 'all';
    if (settings.unavailableCount !== undefined) this.unavailableCount = nonNegative(settings.unavailableCount);
    if (settings.unavailableForMs !== undefined) this.unavailableUntil = now + nonNegative(settings.unavailableForMs);
    if (settings.hangCount !== undefined) this.hangCount = nonNegative(settings.hangCount);
    if (settings.hangForMs !== undefined) this.hangUntil = now + nonNegative(settings.hangForMs);
    if (settings.resetCount !== undefined) this.resetCount = nonNegative(settings.resetCount);
    if (settings.resetWhen !== undefined) this.resetWhen = settings.resetWhen === 'before' ? 'before' : 'after';
    if (settings.hangCount === 0 || settings.hangForMs === 0) this.releaseHeld();
  }

  /** Counts the request and decides its fault, if any (one per request: 503, then hang, then reset). */
  take(method: string, url: string): FaultKind | undefined {
    this.counters.requests++;
    if (!inScope(this.scope, method, url)) return undefined;
    const now = Date.now();
    let kind: FaultKind | undefined;
    if (this.unavailableCount > 0 || now < this.unavailableUntil) {
      if (this.unavailableCount > 0) this.unavailableCount--;
      kind = 'unavailable';
    } else if (this.hangCount > 0 || now < this.hangUntil) {
      if (this.hangCount > 0) this.hangCount--;
      kind = 'hang';
    } else if (this.resetCount > 0) {
      this.resetCount--;
      kind = this.resetWhen === 'before' ? 'reset_before' : 'reset_after';
    }
    if (kind) this.counters.faulted[kind]++;
    return kind;
  }

  /** Resolves when a hung request should be let go: faults reset, hang lifted, sandbox closing, or MAX_HOLD_MS. */
  hold(): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.held.delete(release);
        resolve();
      };
      const timer = setTimeout(release, MAX_HOLD_MS);
      timer.unref();
      this.held.add(release);
    });
  }

  reset(): void {
    this.latencyMs = this.options.latencyMs;
    this.trackingLatencyMs = 0;
    this.scope = 'all';
    this.unavailableCount = 0;
    this.unavailableUntil = 0;
    this.hangCount = 0;
    this.hangUntil = 0;
    this.resetCount = 0;
    this.resetWhen = 'after';
    this.counters.requests = 0;
    for (const kind of Object.keys(this.counters.faulted) as FaultKind[]) this.counters.faulted[kind] = 0;
    this.releaseHeld();
  }

  /** before the HTTP server closes, so that close() does not wait for held requests */
  onModuleDestroy(): void {
    this.releaseHeld();
  }

  private releaseHeld(): void {
    for (const release of [...this.held]) release();
  }
}

const SEND_PATHS = new Set(['/sms', '/viber/otp', '/viber', '/voice/conversation']);

function inScope(scope: FaultScope, method: string, url: string): boolean {
  if (scope === 'all') return true;
  const path = url.split('?')[0];
  if (scope === 'token') return path === '/oauth/token';
  if (scope === 'tracking') return method === 'GET' && /^\/(viber|sms|voice)\/tracking\//.test(path);
  return method === 'POST' && SEND_PATHS.has(path);
}

function nonNegative(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0;
}
