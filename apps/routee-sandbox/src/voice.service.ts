import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CallbackSender } from './callback-sender.service';
import { type SandboxAttempt, type SandboxSend } from './message.service';
import { RouteeApiError } from './routee-api.error';
import { type CallOutcome, countryOf, VOICE_TERMINAL, voiceOutcome, voicePrice } from './scenarios';
import { SandboxFaults } from './sandbox-faults.service';
import { SandboxTimers } from './sandbox-timers.service';
import { type ResolvedSandboxOptions, SANDBOX_OPTIONS } from './sandbox.options';
import { parseVoiceConversation, type VoiceConversationSend } from './voice-conversation-request';

interface Call {
  /** the conversation's trackingId */
  trackingId: string;
  /** the one dial part's id (a dial plan without DIAL has one) */
  messageId: string;
  req: VoiceConversationSend;
  createdAt: string;
  status: { name: string; date: string };
  answeredBy: 'HUMAN' | 'MACHINE' | 'UNKNOWN';
  /** seconds, once the call ended */
  duration: number;
  scriptedDurationSec: number;
}

/**
 * Routee's Voice conversation API, as far as a Failover Voice step uses it:
 * POST /voice/conversation, the dial tracking of the conversation and the status
 * callbacks (docs: perform-a-voice-conversation, retrieve-conversation-dial-tracking,
 * voice-conversation-callbacks). Outcomes are scripted by to.phone (scenarios.ts).
 */
@Injectable()
export class VoiceService {
  private readonly calls = new Map<string, Call>();
  readonly sends: SandboxSend[] = [];
  readonly attempts: SandboxAttempt[] = [];

  constructor(
    @Inject(SANDBOX_OPTIONS) private readonly options: ResolvedSandboxOptions,
    @Inject(SandboxTimers) private readonly timers: SandboxTimers,
    @Inject(SandboxFaults) private readonly faults: SandboxFaults,
    @Inject(CallbackSender) private readonly callbacks: CallbackSender,
  ) {}

  /** POST /voice/conversation: the answer echoes the conversation (it carries no status) */
  startConversation(raw: unknown): Record<string, unknown> {
    const req = parseVoiceConversation(raw);
    const outcome = this.admit(req.phoneDigits, voiceOutcome(req.phoneDigits, this.timing()));
    const now = new Date().toISOString();
    const call: Call = {
      trackingId: randomUUID(),
      messageId: randomUUID(),
      req,
      createdAt: now,
      status: { name: 'Queued', date: now },
      answeredBy: outcome.answeredBy,
      duration: 0,
      scriptedDurationSec: outcome.durationSec,
    };
    this.calls.set(call.trackingId, call);
    this.sends.push({ channel: 'voice', to: req.phoneDigits, trackingId: call.trackingId, at: now });
    this.play(call, outcome);
    return {
      trackingId: call.trackingId,
      direction: 'Outbound',
      from: req.from,
      to: req.to,
      ...(req.dialPlan ? { dialPlan: req.dialPlan } : {}),
      ...(req.dialPlanUrl ? { dialPlanUrl: req.dialPlanUrl } : {}),
      ...(req.callback ? { callback: req.callback } : {}),
      ...(req.machineDetection ? { machineDetection: req.machineDetection } : {}),
      ...(req.hangupDelay !== undefined ? { hangupDelay: req.hangupDelay } : {}),
      ...(req.maxDuration !== undefined ? { maxDuration: req.maxDuration } : {}),
      createdAt: call.createdAt,
    };
  }

  /** GET /voice/tracking/conversation/{conversationTrackingId}: a page of the conversation's dial parts */
  async dialTracking(conversationTrackingId: string): Promise<Record<string, unknown>> {
    await this.timers.sleep(this.faults.trackingLatencyMs);
    const call = this.calls.get(conversationTrackingId);
    if (!call) throw RouteeApiError.voiceTrackingNotFound();
    const content = [
      {
        messageId: call.messageId,
        conversationTrackingId: call.trackingId,
        to: call.req.to.phone,
        from: call.req.from,
        country: countryOf(call.req.phoneDigits),
        status: { status: call.status.name, date: call.status.date },
        originatingService: 'Voice',
        direction: 'Outbound',
        duration: call.duration,
        price: voicePrice(call.status.name, call.duration),
        chargeInterval: 1,
        recordings: [],
        answeredBy: call.answeredBy,
      },
    ];
    return {
      content,
      last: true,
      first: true,
      totalElements: content.length,
      totalPages: 1,
      size: 20,
      number: 0,
      numberOfElements: content.length,
    };
  }

  reset(): void {
    this.calls.clear();
    this.sends.length = 0;
    this.attempts.length = 0;
  }

  private timing() {
    return { statusDelayMs: this.options.statusDelayMs, seenDelayMs: this.options.seenDelayMs };
  }

  private admit(to: string, outcome: CallOutcome): Extract<CallOutcome, { kind: 'accepted' }> {
    const at = new Date().toISOString();
    if (outcome.kind === 'insufficient_balance') {
      this.attempts.push({ channel: 'voice', to, httpStatus: 400, at });
      throw RouteeApiError.insufficientBalance();
    }
    if (outcome.kind === 'unavailable') {
      this.attempts.push({ channel: 'voice', to, httpStatus: 503, at });
      throw RouteeApiError.serviceUnavailable();
    }
    this.attempts.push({ channel: 'voice', to, httpStatus: 200, at });
    return outcome;
  }

  /** the scripted states; OnChange reports Queued and every change, OnCompletion the final state only */
  private play(call: Call, outcome: Extract<CallOutcome, { kind: 'accepted' }>): void {
    const callback = call.req.callback;
    const wants = (status: string) => !!callback && (callback.strategy === 'OnChange' || VOICE_TERMINAL.has(status));
    const initial = call.status.name;
    this.timers.sequence([
      { atMs: 0, run: () => wants(initial) && this.postCallback(call) },
      ...outcome.timeline.map((step) => ({
        atMs: step.atMs,
        run: () => {
          call.status = { name: step.name, date: new Date().toISOString() };
          if (step.name === 'Completed') call.duration = call.scriptedDurationSec;
          if (wants(step.name)) this.postCallback(call);
        },
      })),
    ]);
  }

  /** the voice conversation status callback (docs: voice-conversation-callbacks) */
  private postCallback(call: Call): void {
    this.callbacks.post(call.req.callback!.url, {
      messageId: call.messageId,
      conversationTrackingId: call.trackingId,
      to: call.req.to.phone,
      from: call.req.from,
      status: { name: call.status.name, updatedDate: call.status.date },
      direction: 'Outbound',
      originatingService: 'Voice',
      respectQuietHours: false,
      duration: call.duration,
      price: voicePrice(call.status.name, call.duration),
    });
  }
}
