import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { classifyStatus, decideFlow, initialStatus, isSeen, type Channel, type FlowDecision, type SendError } from '@app/flow';
import { FlowStore, type AppliedReport, type FlowWithSteps, type StatusReport, type StepDefinition, type StepEntity } from '@app/persistence';
import { RouteeClient, RouteeError, type RouteeSendResult, type RouteeTracking } from '@app/routee';
import { ENGINE_OPTIONS, ROUTEE_CLIENT, type EngineOptions } from './engine.options';
import { channelOf, flowConfigOf, stepStateOf } from './step-mapping';
import { maskPhone } from './mask';

export interface NewFlow {
  /** the steps in `order`: [primary, failover?] */
  definition: StepDefinition[];
  callbackUrl: string | null;
  apiKeyId: string | null;
}

/**
 * Runs flows: sends the primary, derives the status with @app/flow, and fires
 * the failover step exactly once. All coordination goes through Postgres (the
 * step row is claimed before Routee is called), so any number of processes
 * may call into it for the same flow.
 */
@Injectable()
export class FlowEngine {
  private readonly log = new Logger(FlowEngine.name);

  constructor(
    private readonly store: FlowStore,
    @Inject(ROUTEE_CLIENT) private readonly routee: RouteeClient,
    @Inject(ENGINE_OPTIONS) private readonly options: EngineOptions,
  ) {}

  /** Persists the flow, sends its primary step within the call, and fails over at once when due. */
  async startFlow(input: NewFlow): Promise<FlowWithSteps> {
    const id = randomUUID();
    const [primaryDef] = input.definition;
    const channel = channelOf(primaryDef);
    const primary = await this.store.createFlowWithPrimary(
      {
        id,
        status: 'InProgress',
        statusCode: null,
        definition: input.definition,
        failoverOnDelivered: primaryDef.failoverOnDelivered === true,
        callbackUrl: input.callbackUrl,
        apiKeyId: input.apiKeyId,
        // should this process die mid-send, the worker picks the flow up after the claim
        nextCheckAt: new Date(Date.now() + this.options.sendClaimMs),
      },
      { flowId: id, role: 'primary', channel, phoneNumber: primaryDef.to, label: primaryDef.label ?? null, status: initialStatus(channel) },
      this.options.sendClaimMs,
    );
    await this.sendStep(primary, primaryDef);
    return this.evaluate(id);
  }

  /**
   * Derives the flow's status from its stored steps, fires the failover when
   * the state machine says so, and stores the result. Safe to call from
   * anywhere, any number of times, concurrently.
   */
  async evaluate(flowId: string, now: Date = new Date()): Promise<FlowWithSteps> {
    let current = await this.mustLoad(flowId);
    let decision = this.decide(current, now);
    if (decision.next.kind === 'send_failover' && current.steps.length === 1) {
      await this.fireFailover(current);
      current = await this.mustLoad(flowId);
      decision = this.decide(current, new Date());
    }
    await this.store.updateFlowStatus(flowId, {
      status: decision.status,
      statusCode: decision.statusCode,
      nextCheckAt: this.nextCheckAt(decision, now),
      error: decision.status === 'Failed' ? this.failureReason(current) : null,
    });
    return this.mustLoad(flowId);
  }

  /**
   * Applies a delivery report (a callback, or a tracking answer) and lets the
   * flow react at once: a due failover fires within this call.
   * Returns null when no step has this trackingId.
   */
  async applyReport(trackingId: string, report: StatusReport): Promise<{ applied: AppliedReport; flow: FlowWithSteps } | null> {
    const applied = await this.store.applyReport(trackingId, report);
    if (!applied) return null;
    return { applied, flow: await this.evaluate(applied.flowId) };
  }

  /**
   * Asks Routee for the status of the flow's steps that may still change,
   * applies the answers, and re-evaluates. Gives up waiting after `budgetMs`
   * (the stored story is then what the caller gets; late answers still land).
   */
  async refresh(flowId: string, budgetMs: number): Promise<FlowWithSteps> {
    const current = await this.mustLoad(flowId);
    const stale = current.steps.filter((step) => this.mayChange(step, current.flow.status));
    if (stale.length > 0) {
      const work = Promise.allSettled(stale.map((step) => this.refreshStep(step)));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, budgetMs)));
      await Promise.race([work, timeout]);
      clearTimeout(timer);
    }
    return this.evaluate(flowId);
  }

  /** a step Routee may still report something new about */
  mayChange(step: StepEntity, flowStatus: string): boolean {
    if (step.sendState !== 'sent' || !step.trackingId) return false;
    const outcome = classifyStatus(step.channel as Channel, step.status);
    if (outcome === 'pending') return true;
    // a delivered Viber primary may still turn SEEN, which matters while the flow runs (failoverOnDelivered)
    return flowStatus === 'InProgress' && step.channel === 'viber' && outcome === 'success' && !isSeen(step.status);
  }

  private async refreshStep(step: StepEntity): Promise<void> {
    try {
      const tracking = step.channel === 'viber' ? await this.routee.getViberTracking(step.trackingId!) : await this.routee.getSmsTracking(step.trackingId!);
      await this.store.applyReport(step.trackingId!, reportOf(tracking));
    } catch (err) {
      this.log.debug(`refresh of ${step.channel} ${step.trackingId} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private decide(current: FlowWithSteps, now: Date): FlowDecision {
    const decision = decideFlow(flowConfigOf(current.flow), current.steps.map(stepStateOf), now);
    // Succeeded is final: a later report (an SMS "Sent" turning "Undelivered") updates the step, not the flow
    if (current.flow.status === 'Succeeded' && decision.status !== 'Succeeded') return { status: 'Succeeded', statusCode: null, next: { kind: 'none' } };
    return decision;
  }

  private nextCheckAt(decision: FlowDecision, now: Date): Date | null {
    if (decision.status !== 'InProgress') return null;
    const poll = new Date(now.getTime() + this.options.refreshIntervalMs);
    if (decision.next.kind === 'recheck' && decision.next.at < poll) return decision.next.at;
    return poll;
  }

  private failureReason(current: FlowWithSteps): string {
    const last = current.steps[current.steps.length - 1];
    return last.errorMessage ?? last.detailedStatus ?? `${last.channel} step ended ${last.status}`;
  }

  /** Exactly once per flow: only the caller whose insert of the failover row succeeds sends it. */
  private async fireFailover(current: FlowWithSteps): Promise<void> {
    const def = current.flow.definition[1];
    if (!def) return;
    const channel = channelOf(def);
    const claimed = await this.store.claimFailoverStep(
      { flowId: current.flow.id, role: 'failover', channel, phoneNumber: def.to, label: def.label ?? null, status: initialStatus(channel) },
      this.options.sendClaimMs,
    );
    if (!claimed) return; // another caller won the claim
    this.log.log(`flow ${current.flow.id}: failover to ${channel} ${maskPhone(def.to)}`);
    await this.sendStep(claimed, def);
  }

  /**
   * Calls Routee for a claimed step and records the answer. A send whose
   * outcome is unknown (the request left, no answer came) is never repeated:
   * it is recorded as failed (`unavailable`), which moves a primary on to the
   * failover step. A user may then get the code twice, on two channels, which
   * beats not getting it at all; the SMS itself is never sent twice.
   */
  private async sendStep(step: StepEntity, def: StepDefinition): Promise<void> {
    let result: RouteeSendResult;
    try {
      result = await this.callRoutee(def);
    } catch (err) {
      const sendError = this.sendErrorOf(err);
      const message = err instanceof RouteeError ? (err.developerMessage ?? err.message) : String(err);
      const status = sendError === 'insufficient_balance' ? (step.channel === 'viber' ? 'UNSENT' : 'Unsent') : step.channel === 'viber' ? 'FAILED' : 'Failed';
      this.log.warn(`flow ${step.flowId}: ${step.role} ${step.channel} send to ${maskPhone(step.phoneNumber)} failed (${sendError}): ${message}`);
      await this.store.markStepFailed(step.id, status, sendError, message);
      return;
    }
    await this.store.markStepSent(step.id, result.trackingId, result.status || step.status, new Date());
  }

  private callRoutee(def: StepDefinition): Promise<RouteeSendResult> {
    if (def.type === 'ViberOtp') {
      return this.routee.sendViberOtp({
        senderInfoTrackingId: def.senderInfoTrackingId!,
        to: def.to,
        ttl: def.ttl,
        templateId: def.templateId!,
        templateLang: def.templateLang ?? 'en',
        templateParams: def.templateParams ?? {},
        label: def.label,
        callbackUrl: this.callbackUrl('viber'),
      });
    }
    return this.routee.sendSms({
      from: def.from!,
      to: def.to,
      body: def.message!.body,
      ttlSeconds: def.ttl,
      label: def.label,
      callbackUrl: this.callbackUrl('sms'),
    });
  }

  private callbackUrl(channel: 'viber' | 'sms'): string | undefined {
    if (!this.options.publicUrl) return undefined;
    return `${this.options.publicUrl}/routee/callbacks/${channel}?token=${encodeURIComponent(this.options.callbackToken)}`;
  }

  private sendErrorOf(err: unknown): SendError {
    if (!(err instanceof RouteeError)) return 'unavailable';
    switch (err.kind) {
      case 'insufficient_balance':
        return 'insufficient_balance';
      case 'validation':
      case 'not_found':
        return 'rejected';
      default:
        return 'unavailable';
    }
  }

  private async mustLoad(flowId: string): Promise<FlowWithSteps> {
    const found = await this.store.load(flowId);
    if (!found) throw new Error(`flow ${flowId} vanished`);
    return found;
  }
}

export function reportOf(tracking: RouteeTracking): StatusReport {
  const date = tracking.statusDate ? new Date(tracking.statusDate) : undefined;
  return {
    status: tracking.status,
    statusDate: date && !Number.isNaN(date.getTime()) ? date : undefined,
    detailedStatus: tracking.detailedStatus,
    description: tracking.description,
    price: tracking.price,
    latencyMs: tracking.latencyMs,
    country: tracking.country,
    operator: tracking.operator,
  };
}
