import { Inject, Injectable } from '@nestjs/common';
import { CallbackSender } from './callback-sender.service';
import { MessageService, type SandboxAttempt, type SandboxSend } from './message.service';
import { type FaultCounters, SandboxFaults, type SandboxFaultSettings } from './sandbox-faults.service';
import { SandboxTimers } from './sandbox-timers.service';
import { TokenService } from './token.service';
import { VoiceService } from './voice.service';

export interface SandboxStats {
  /** messages taken, per channel */
  counts: { viber: number; sms: number };
  /** send requests that passed authentication (taken or refused), per channel */
  attempts: { viber: number; sms: number };
  /** Voice conversations taken, and start requests that passed authentication (taken or refused) */
  voice: { calls: number; attempts: number };
  tokensIssued: number;
  callbacksPosted: number;
  /** requests that reached a Routee route (token, sends, tracking), and how many of them a fault answered */
  requests: number;
  faulted: FaultCounters['faulted'];
  sends: SandboxSend[];
}

/** What tests (and the gateway's dev mode) may see and steer of a running sandbox. */
export interface SandboxState {
  readonly sends: ReadonlyArray<SandboxSend>;
  readonly attempts: ReadonlyArray<SandboxAttempt>;
  readonly tokensIssued: number;
  stats(): SandboxStats;
  /** every issued token becomes invalid: the next API call answers 401 */
  revokeAllTokens(): void;
  /** forgets messages, sends, attempts, the token and request counts and faults; issued tokens stay valid */
  reset(): void;
  /** 503 bursts, hangs, resets, slow answers, revoked tokens (see SandboxFaultSettings) */
  setFaults(faults: SandboxFaultSettings): void;
  setLatencyMs(ms: number): void;
  setTrackingLatencyMs(ms: number): void;
  /** the application's Viber callback URL, as set in Routee's portal; undefined: none (reset keeps it) */
  setViberCallbackUrl(url: string | undefined): void;
}

@Injectable()
export class SandboxStateService implements SandboxState {
  constructor(
    @Inject(MessageService) private readonly messages: MessageService,
    @Inject(VoiceService) private readonly voice: VoiceService,
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(SandboxFaults) private readonly faults: SandboxFaults,
    @Inject(SandboxTimers) private readonly timers: SandboxTimers,
    @Inject(CallbackSender) private readonly callbacks: CallbackSender,
  ) {}

  /** every channel's, in the order they were taken */
  get sends(): ReadonlyArray<SandboxSend> {
    return byTime(this.messages.sends, this.voice.sends);
  }

  get attempts(): ReadonlyArray<SandboxAttempt> {
    return byTime(this.messages.attempts, this.voice.attempts);
  }

  get tokensIssued(): number {
    return this.tokens.tokensIssued;
  }

  stats(): SandboxStats {
    const count = (list: ReadonlyArray<{ channel: string }>, channel: string) =>
      list.filter((s) => s.channel === channel).length;
    return {
      counts: { viber: count(this.sends, 'viber'), sms: count(this.sends, 'sms') },
      attempts: { viber: count(this.attempts, 'viber'), sms: count(this.attempts, 'sms') },
      voice: { calls: this.voice.sends.length, attempts: this.voice.attempts.length },
      tokensIssued: this.tokensIssued,
      callbacksPosted: this.callbacks.callbacksPosted,
      requests: this.faults.counters.requests,
      faulted: { ...this.faults.counters.faulted },
      sends: [...this.sends],
    };
  }

  revokeAllTokens(): void {
    this.tokens.revokeAll();
  }

  reset(): void {
    this.timers.cancelScheduled();
    this.messages.reset();
    this.voice.reset();
    this.tokens.resetCount();
    this.faults.reset();
  }

  setFaults(faults: SandboxFaultSettings): void {
    this.faults.set(faults);
    if (faults.revokeTokens === true) this.tokens.revokeAll();
  }

  setLatencyMs(ms: number): void {
    this.faults.set({ latencyMs: ms });
  }

  setTrackingLatencyMs(ms: number): void {
    this.faults.set({ trackingLatencyMs: ms });
  }

  setViberCallbackUrl(url: string | undefined): void {
    this.messages.viberCallback = url ? { url, strategy: 'OnChange' } : undefined;
  }
}

/** two lists already in time order, merged (a stable sort keeps same-millisecond entries in list order) */
function byTime<T extends { at: string }>(a: ReadonlyArray<T>, b: ReadonlyArray<T>): ReadonlyArray<T> {
  if (b.length === 0) return a;
  return [...a, ...b].sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0));
}
