import { Inject, Injectable } from '@nestjs/common';
import {
  FlowStore,
  isDatabaseUnavailable,
  WorkQueueStore,
  type FlowEntity,
  type StepDefinition,
  type StepEntity,
} from '@app/persistence';
import { GatewayMetrics } from '@app/metrics';
import { RouteeClient, RouteeError, type RouteeSendResult } from '@app/routee';
import { CODE_PLACEHOLDER, openCode } from './code';
import { ENGINE_OPTIONS, ROUTEE_CLIENT, type EngineOptions } from './engine.options';
import { maskPhone } from './mask';
import { RequestLogger } from './request-logger';
import { nothingWentOut, refusalOf, refusedStatusOf, sendErrorOf } from './send-refusal';
import { channelOf } from './step-mapping';

/** Routee took the message: its answer, for the caller to record */
export interface SentStep {
  result: RouteeSendResult;
  sentAt: Date;
}

const DEFAULT_OUTAGE_QUEUE_MS = 120_000;

/**
 * Calls Routee for a step whose row this process has claimed (`sending`),
 * renewing the claim meanwhile (every third of SEND_CLAIM_MS, so only a dead
 * or frozen sender loses it, however slow Routee is). Routee's answer goes
 * back to the caller to record (StepSender, FlowStarter); a refusal is
 * recorded here. The claim is what makes a send happen once: see FlowEvaluator.
 *
 * A send whose outcome is unknown (the request left, no answer came: a
 * response timeout or a reset after sending) is never repeated: it is
 * recorded as failed (`unavailable`), which moves a primary on to the
 * failover step and ends a failover step Failed (statusCode 0). A user may
 * then get the code twice, on two channels, which beats not getting it at
 * all; the same step is never sent twice by this path.
 *
 * A send that did not go out while its channel's circuit is open (refused by
 * the circuit, or the failures that just opened it) is queued instead: the
 * step goes `queued` until a probe is due, and the worker sends it then. A
 * primary whose `fallback` (the failover step) can still go out fails over at
 * once instead, as for any refused send; with both channels down, failing
 * over makes no sense. Once the flow has waited `outageQueueMs` since
 * `queuedSince` (its creation) the step fails (`unavailable`): a failover
 * step is then tried (and fails the same way while its circuit stays open),
 * and the flow ends Failed, statusCode 0.
 */
@Injectable()
export class StepCaller {
  private readonly log = new RequestLogger(StepCaller.name);

  constructor(
    private readonly store: FlowStore,
    private readonly queue: WorkQueueStore,
    @Inject(ROUTEE_CLIENT) private readonly routee: RouteeClient,
    private readonly metrics: GatewayMetrics,
    @Inject(ENGINE_OPTIONS) private readonly options: EngineOptions,
  ) {}

  /**
   * Calls Routee for a claimed step: Routee's answer when it took the
   * message, for the caller to record; null when it did not, recorded here
   * (the step failed, or was queued). `requestId`: the request it is sent for, if any (its log lines name it).
   */
  async call(
    step: StepEntity,
    def: StepDefinition,
    flow: FlowEntity,
    fallback?: StepDefinition,
    requestId?: string,
  ): Promise<SentStep | null> {
    const answer = await this.withClaimRenewed(step.id, requestId, async () =>
      this.callRoutee(this.withCode(def, flow)),
    );
    if (answer.took) {
      this.metrics.messageSent(step.channel, step.role);
      return { result: answer.result, sentAt: new Date() };
    }
    // a queued send waits counting from the flow's creation
    await this.recordRefusal(step, answer.error, flow.createdAt, fallback, requestId);
    return null;
  }

  /** the step as Routee gets it: the flow's code, opened from its seal, where the stored definition holds CODE_PLACEHOLDER */
  private withCode(def: StepDefinition, flow: FlowEntity): StepDefinition {
    const needs = (text: string | number) => typeof text === 'string' && text.includes(CODE_PLACEHOLDER);
    const pins = def.type === 'ViberOtp' ? Object.values(def.templateParams ?? {}) : [];
    if (!pins.some(needs) && !(def.type === 'Sms' && needs(def.message.body))) return def;
    // the seal is erased once the flow is final, and a final flow sends nothing
    if (!flow.codeCiphertext) throw new Error(`flow ${flow.id}: its code is no longer kept`);
    let code: string;
    try {
      code = openCode(this.options.codeSecret, flow.id, flow.codeCiphertext);
    } catch {
      throw new Error(
        `flow ${flow.id}: its code cannot be opened: this replica's CODE_SECRET is not the one that sealed it`,
      );
    }
    const put = <T extends string | number>(value: T): T =>
      (typeof value === 'string' ? value.replaceAll(CODE_PLACEHOLDER, code) : value) as T;
    if (def.type === 'Sms') return { ...def, message: { ...def.message, body: put(def.message.body) } };
    if (def.type !== 'ViberOtp') return def;
    const params = Object.fromEntries(Object.entries(def.templateParams ?? {}).map(([k, v]) => [k, put(v)]));
    return { ...def, templateParams: params };
  }

  /**
   * Routee's answer is worth waiting for Postgres: were it lost, the step
   * would stay `sending` and be sent again once its claim runs out. So a
   * write that fails because Postgres is down (restarting, failing over) is
   * retried for up to half the claim (10 s at most) before the error goes up.
   */
  async recordOutcome<T>(write: () => Promise<T>): Promise<T> {
    const giveUpAt = Date.now() + Math.min(this.options.sendClaimMs / 2, 10_000);
    for (;;) {
      try {
        return await write();
      } catch (err) {
        if (!isDatabaseUnavailable(err) || Date.now() >= giveUpAt) throw err;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  /** only when this process stalled past its claim and another replica re-sent the step */
  warnResentElsewhere(step: StepEntity, trackingId: string, requestId?: string): void {
    this.log
      .for(requestId)
      .warn(
        `flow ${step.flowId}: ${step.role} ${step.channel} send ${trackingId} came back after another replica had finished the step: Routee has it twice`,
      );
  }

  /** the call's answer or what it threw, the step's claim renewed until then */
  private async withClaimRenewed(
    stepId: string,
    requestId: string | undefined,
    call: () => Promise<RouteeSendResult>,
  ): Promise<{ took: true; result: RouteeSendResult } | { took: false; error: unknown }> {
    const claimMs = this.options.sendClaimMs;
    const heartbeat = setInterval(
      () => {
        this.queue
          .renewSendClaim(stepId, claimMs)
          .catch((err: unknown) =>
            this.log.for(requestId).warn(`could not renew the send claim of step ${stepId}: ${String(err)}`),
          );
      },
      Math.max(200, Math.floor(claimMs / 3)),
    );
    heartbeat.unref();
    try {
      return { took: true, result: await call() };
    } catch (error) {
      return { took: false, error };
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** a send Routee did not take: queued while its channel is down (see the class comment), else failed */
  private async recordRefusal(
    step: StepEntity,
    err: unknown,
    queuedSince: Date,
    fallback: StepDefinition | undefined,
    requestId: string | undefined,
  ): Promise<void> {
    const log = this.log.for(requestId);
    const channel = step.channel;
    const channelDown =
      (err instanceof RouteeError && err.kind === 'circuit_open') ||
      (nothingWentOut(err) && !this.routee.isAvailable(channel));
    // only a closed circuit counts as up: a half-open one is still being probed
    const fallbackUp = fallback !== undefined && this.routee.circuitState(channelOf(fallback)) === 'closed';
    const giveUpAt = queuedSince.getTime() + (this.options.outageQueueMs ?? DEFAULT_OUTAGE_QUEUE_MS);
    if (channelDown && !fallbackUp && Date.now() < giveUpAt) {
      // a little jitter: the queued steps do not all come back in the same instant
      const retryAt = Math.min(
        giveUpAt,
        Math.max(this.routee.retryAt(channel), Date.now() + 200) + Math.floor(Math.random() * 250),
      );
      await this.recordOutcome(() => this.store.queueSend(step.id, new Date(retryAt)));
      log.debug(
        `flow ${step.flowId}: ${step.role} ${channel} send queued until ${new Date(retryAt).toISOString()} (Routee circuit open)`,
      );
      return;
    }
    const sendError = sendErrorOf(err);
    // the whole answer (HTTP status, Routee's code, developerMessage, the fields it refused) goes to the log
    log.warn(
      `flow ${step.flowId}: ${step.role} ${channel} send to ${maskPhone(step.phoneNumber)} failed (${sendError}): ${err instanceof Error ? err.message : String(err)}`,
    );
    await this.recordOutcome(() =>
      this.store.markStepFailed(step.id, refusedStatusOf(channel, sendError), sendError, refusalOf(err)),
    );
  }

  private callRoutee(def: StepDefinition): Promise<RouteeSendResult> {
    switch (def.type) {
      case 'ViberOtp':
        // Viber OTP has no per-message callback: its reports come from the URL set on the Routee application (routeeCallbackUrl)
        return this.routee.sendViberOtp({
          senderInfoTrackingId: def.senderInfoTrackingId,
          to: def.to,
          ttl: def.ttl,
          templateId: def.templateId,
          templateLang: def.templateLang ?? 'en',
          templateParams: def.templateParams ?? {},
        });
      case 'Sms':
        return this.routee.sendSms({
          from: def.from,
          to: def.to,
          body: def.message.body,
          ttlSeconds: def.ttl,
          label: def.label,
          callbackUrl: this.callbackUrl('sms'),
        });
      case 'Viber':
        return this.routee.sendViber({
          senderInfoTrackingId: def.senderInfoTrackingId,
          to: def.to,
          ttlSeconds: def.ttl,
          ...def.message,
          inboundUrl: def.inboundUrl,
          label: def.label,
          callbackUrl: this.callbackUrl('viber'),
        });
      case 'Voice':
        return this.routee.startVoiceCall({
          from: def.from,
          to: def.to,
          verbs: def.dialPlan.verbs,
          machineDetection: def.machineDetection,
          callbackUrl: this.callbackUrl('voice'),
        });
    }
  }

  /** where Routee is asked to post this channel's reports; none without PUBLIC_URL (the worker polls) */
  private callbackUrl(channel: 'sms' | 'viber' | 'voice'): string | undefined {
    const { publicUrl, callbackToken } = this.options;
    return publicUrl ? routeeCallbackUrl(publicUrl, channel, callbackToken) : undefined;
  }
}

/** where Routee posts a channel's delivery reports: PUBLIC_URL/routee/callbacks/{channel}?token=… */
export function routeeCallbackUrl(publicUrl: string, channel: 'sms' | 'viber' | 'voice', token: string): string {
  return `${publicUrl}/routee/callbacks/${channel}?token=${encodeURIComponent(token)}`;
}
