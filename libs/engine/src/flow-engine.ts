import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  classifyStatus,
  decideFlow,
  DomainError,
  initialStatus,
  isSeen,
  type FlowDecision,
  type SendError,
} from '@app/flow';
import {
  applyReportTo,
  FlowEntity,
  FlowStore,
  isDatabaseUnavailable,
  StepEntity,
  WorkQueueStore,
  type AppliedReport,
  type FlowChange,
  type FlowWithSteps,
  type NewStep,
  type NewWebhookEvent,
  type SendState,
  type StatusReport,
  type StepDefinition,
} from '@app/persistence';
import { RouteeClient, RouteeError, type RouteeSendResult, type RouteeTracking } from '@app/routee';
import { ENGINE_OPTIONS, ROUTEE_CLIENT, type EngineOptions } from './engine.options';
import { channelOf, flowConfigOf, stepStateOf } from './step-mapping';
import { maskPhone } from './mask';
import { WebhookService } from './webhooks/webhook.service';

export interface EvaluateOptions {
  /** the state the send response reports: recorded for webhooks, not sent as an event */
  initial?: boolean;
  /** a delivery report to apply first, in the same transaction */
  report?: { trackingId: string; report: StatusReport };
}

export interface NewFlow {
  /** chosen by the caller: an Idempotency-Key record names the flow before it exists (a second start with the id fails on the primary key) */
  id: string;
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
    private readonly queue: WorkQueueStore,
    @Inject(ROUTEE_CLIENT) private readonly routee: RouteeClient,
    @Inject(ENGINE_OPTIONS) private readonly options: EngineOptions,
    private readonly webhooks: WebhookService,
  ) {}

  /** Persists the flow, sends its primary step within the call, and fails over at once when due. */
  async startFlow(input: NewFlow): Promise<FlowWithSteps> {
    const { id } = input;
    const [primaryDef] = input.definition;
    const channel = channelOf(primaryDef);
    // should this process die mid-send, the worker picks the flow up after the claim
    const created = await this.store.createFlowWithPrimary(
      {
        id,
        definition: input.definition,
        failoverOnDelivered: primaryDef.failoverOnDelivered === true,
        callbackUrl: input.callbackUrl,
        apiKeyId: input.apiKeyId,
      },
      {
        flowId: id,
        role: 'primary',
        channel,
        phoneNumber: primaryDef.to,
        label: primaryDef.label ?? null,
        status: initialStatus(channel),
      },
      this.options.sendClaimMs,
    );
    let answered: FlowWithSteps | null = null;
    await this.sendStep(
      created.steps[0],
      primaryDef,
      created.flow.createdAt,
      input.definition[1],
      async (result, sentAt) => {
        const recorded = await this.recordFirstSend(created, result, sentAt);
        answered = recorded.flow;
        return recorded.stepRecorded;
      },
    );
    // the state the send response reports is the initial one: no webhook for it
    return answered ?? this.evaluate(id, new Date(), { initial: true });
  }

  /**
   * The usual end of a send: Routee took the primary and the flow waits for
   * its report. The step and the flow's state are then written in one
   * statement, without evaluate's lock and reloads, and the answer is built
   * from what was written. Nothing else can have moved the flow meanwhile: no
   * report can name a trackingId not stored yet, the worker leaves the flow
   * alone while the send's claim runs, and a concurrent read that evaluated
   * it saw the primary still sending, which keeps it InProgress too. Any other
   * outcome (Routee's answer is already final, a failover is due) is recorded
   * as usual and left to evaluate (flow: null).
   */
  private async recordFirstSend(
    created: FlowWithSteps,
    result: RouteeSendResult,
    sentAt: Date,
  ): Promise<{ stepRecorded: boolean; flow: FlowWithSteps | null }> {
    const [sending] = created.steps;
    const status = result.status || sending.status;
    const primary = Object.assign(new StepEntity(), sending, {
      trackingId: result.trackingId,
      status,
      sendState: 'sent',
      sentAt,
      statusUpdatedAt: sentAt,
      claimedUntil: null,
      errorMessage: null,
    });
    const decision = this.decide({ flow: created.flow, steps: [primary] }, sentAt);
    if (decision.status !== 'InProgress' || decision.next.kind === 'send_failover') {
      return { stepRecorded: (await this.store.markStepsSent([primary])).size > 0, flow: null };
    }
    const change = {
      status: decision.status,
      statusCode: decision.statusCode,
      nextCheckAt: this.nextCheckAt(decision, sentAt),
      error: null,
    };
    const after: FlowWithSteps = { flow: Object.assign(new FlowEntity(), created.flow, change), steps: [primary] };
    after.flow.webhookState = this.webhooks.stateOf(after, true).webhookState;
    const written = await this.store.markPrimarySent(primary, change, after.flow.webhookState);
    return { stepRecorded: written.stepRecorded, flow: written.flowRecorded ? after : null };
  }

  /**
   * Derives the flow's status from its stored steps, fires the failover when
   * the state machine says so, and stores the result. Safe to call from
   * anywhere, any number of times, concurrently, in any replica: the decision
   * is taken and written under the flow's row lock, and the failover step is
   * claimed in that same transaction (the unique (flow_id, role) constraint
   * backs it up), so exactly one caller ever sends it. The Routee call itself
   * runs after the commit: no lock is held while Routee answers.
   */
  async evaluate(flowId: string, now: Date = new Date(), options: EvaluateOptions = {}): Promise<FlowWithSteps> {
    return (await this.evaluateApplying(flowId, now, options)).flow;
  }

  /** evaluate, also telling what the report in `options` did (null: no step has its trackingId) */
  private async evaluateApplying(
    flowId: string,
    now: Date,
    options: EvaluateOptions,
  ): Promise<{ flow: FlowWithSteps; applied: AppliedReport | null }> {
    const [evaluated] = await this.evaluateMany(
      [{ flowId, reports: options.report ? [options.report] : [] }],
      now,
      options.initial === true,
    );
    if (!evaluated) throw new DomainError('flow_not_found', `flow ${flowId} vanished`);
    return { flow: evaluated.flow, applied: evaluated.applied[0] ?? null };
  }

  /**
   * evaluate for a set of flows at once, each with the reports to apply to it
   * first: one transaction of a few statements however many flows (the
   * worker's batches), and the failovers it claims sent concurrently. The
   * flows as evaluated, with what each report did, in no particular order;
   * flows that do not exist are left out.
   */
  private async evaluateMany(items: Evaluation[], now: Date, initial: boolean): Promise<Evaluated[]> {
    const reportsOf = new Map(items.map((item) => [item.flowId, item.reports]));
    const claimMs = this.options.sendClaimMs;
    const outcome = await this.store.withFlowsLocked([...reportsOf.keys()], async (locked, tx) => {
      const written: StepEntity[] = [];
      const plans = locked.map((flow) => {
        let current = flow;
        const applied: AppliedReport[] = [];
        // the reports, the flow's new state and the webhook events it causes commit together
        for (const { trackingId, report } of reportsOf.get(flow.flow.id) ?? []) {
          const result = applyReportTo(current, trackingId, report, now);
          if (!result) continue;
          applied.push(result.applied);
          // Routee's word on the step as of now, even when nothing changed: reads answer from the store for
          // REFRESH_INTERVAL_MS (ReadRefresher); writeReportedSteps keeps a later checked_at a read claimed meanwhile
          const checked = Object.assign(
            new StepEntity(),
            result.steps.find((s) => s.id === result.applied.stepId),
            { checkedAt: now },
          );
          written.push(checked);
          current = { flow: current.flow, steps: result.steps.map((s) => (s.id === checked.id ? checked : s)) };
        }
        return { current, applied, decision: this.decide(current, now) };
      });
      await this.store.writeReportedSteps(tx, written);
      const claims = plans.filter(
        (p) => p.decision.next.kind === 'send_failover' && p.current.steps.length === 1 && p.current.flow.definition[1],
      );
      const claimed = await this.store.claimFailoverSteps(
        tx,
        claims.map((p) => failoverStepOf(p.current.flow)),
        claimMs,
      );
      const claimedBy = new Map(claimed.map((step) => [step.flowId, step]));
      const changes: FlowChange[] = [];
      const events: NewWebhookEvent[] = [];
      const evaluated: Evaluated[] = [];
      const sends: { step: StepEntity; flow: FlowEntity; applied: AppliedReport[] }[] = [];
      for (const { current, applied, decision } of plans) {
        const { flow } = current;
        const step = claimedBy.get(flow.id);
        if (step) {
          // stays due until the send is recorded: if this process dies first, the worker finds the stranded claim
          const nextCheckAt = new Date(now.getTime() + claimMs);
          changes.push({
            id: flow.id,
            status: 'InProgress',
            statusCode: null,
            nextCheckAt,
            error: null,
            webhookState: flow.webhookState,
          });
          sends.push({ step, flow, applied });
          continue;
        }
        const change = {
          status: decision.status,
          statusCode: decision.statusCode,
          nextCheckAt: this.nextCheckAt(decision, now),
          error: decision.status === 'Failed' ? this.failureReason(current) : null,
        };
        const after: FlowWithSteps = { flow: Object.assign(new FlowEntity(), flow, change), steps: current.steps };
        const webhook = this.webhooks.stateOf(after, initial);
        after.flow.webhookState = webhook.webhookState;
        changes.push({ id: flow.id, ...change, webhookState: webhook.webhookState });
        if (webhook.event) events.push(webhook.event);
        evaluated.push({ flow: after, applied });
      }
      await this.store.updateFlows(tx, changes);
      await this.webhooks.addEvents(tx, events);
      return { evaluated, sends, evented: events.length > 0 };
    });
    if (outcome.evented) this.webhooks.wake();
    if (outcome.sends.length === 0) return outcome.evaluated;
    await this.sendFailovers(outcome.sends);
    const again = await this.evaluateMany(
      outcome.sends.map((s) => ({ flowId: s.step.flowId, reports: [] })),
      new Date(),
      initial,
    );
    const appliedOf = new Map(outcome.sends.map((s) => [s.step.flowId, s.applied]));
    // as written under the lock (a later change is another evaluation's to report)
    return [
      ...outcome.evaluated,
      ...again.map((e) => ({ flow: e.flow, applied: appliedOf.get(e.flow.flow.id) ?? [] })),
    ];
  }

  /**
   * Sends claimed failover steps concurrently, and records the ones Routee
   * took in one statement. A send that failed in some other way (its failure
   * could not be recorded) does not keep the others' answers from being
   * recorded; its step stays claimed and the worker takes it over.
   */
  private async sendFailovers(claimed: { step: StepEntity; flow: FlowEntity }[]): Promise<void> {
    // a worker's batch is one line at the default level (one a flow at a thousand a second would flood the log)
    if (claimed.length > 1) this.log.log(`${claimed.length} flows: failover steps claimed, sending`);
    const settled = await Promise.allSettled(
      claimed.map(async ({ step, flow }) => {
        const line = `flow ${flow.id}: failover to ${step.channel} ${maskPhone(step.phoneNumber)}`;
        if (claimed.length > 1) this.log.debug(line);
        else this.log.log(line);
        const result = await this.callStep(step, flow.definition[1], flow.createdAt);
        return (
          result && {
            id: step.id,
            trackingId: result.result.trackingId,
            status: result.result.status || step.status,
            sentAt: result.sentAt,
          }
        );
      }),
    );
    const took = settled.flatMap((s) => (s.status === 'fulfilled' && s.value ? [s.value] : []));
    const recorded = await this.recordSendOutcome(() => this.store.markStepsSent(took));
    for (const s of took)
      if (!recorded.has(s.id)) this.warnResentElsewhere(claimed.find((c) => c.step.id === s.id)!.step, s.trackingId);
    settled.forEach((s, i) => {
      if (s.status === 'rejected')
        this.log.warn(
          `flow ${claimed[i].flow.id}: failover send failed: ${s.reason instanceof Error ? s.reason.message : String(s.reason)}`,
        );
    });
  }

  /**
   * Sends a step the worker has just claimed (one replica only): a queued one
   * (`claimedFrom` queued: Routee's circuit was open) whose time has come, or
   * one whose claim ran out: the replica that claimed it died or froze
   * between writing the claim and recording Routee's answer. That one is sent again: we cannot ask
   * Routee whether the first attempt got through (there is no trackingId to
   * ask about), and a login code that never arrives is worse than one that
   * arrives twice. So this is at-least-once in that one window (Routee took
   * the message, then the process died before the UPDATE recording it); every
   * other path is exactly once. See docs/architecture.md, "Unknown send outcomes".
   */
  async resumeSend(step: StepEntity, claimedFrom: SendState = 'sending'): Promise<FlowWithSteps> {
    const current = await this.mustLoad(step.flowId);
    const def = current.flow.definition[step.order - 1];
    if (def && step.sendState === 'sending') {
      if (claimedFrom === 'queued') {
        this.log.debug(`flow ${step.flowId}: sending the queued ${step.role} ${step.channel} step`);
      } else {
        this.log.warn(
          `flow ${step.flowId}: ${step.role} ${step.channel} send to ${maskPhone(step.phoneNumber)} was stranded mid-send, sending it again`,
        );
      }
      await this.sendStep(
        step,
        def,
        current.flow.createdAt,
        step.role === 'primary' ? current.flow.definition[1] : undefined,
      );
    }
    return this.evaluate(step.flowId);
  }

  /**
   * Applies a delivery report (a callback, or a tracking answer) and lets the
   * flow react at once: a due failover fires within this call.
   * Returns null when no step has this trackingId.
   */
  async applyReport(
    trackingId: string,
    report: StatusReport,
  ): Promise<{ applied: AppliedReport; flow: FlowWithSteps } | null> {
    const flowId = await this.store.findFlowIdByTrackingId(trackingId);
    if (!flowId) return null;
    const { flow, applied } = await this.evaluateApplying(flowId, new Date(), { report: { trackingId, report } });
    return applied ? { applied, flow } : null;
  }

  /**
   * Asks Routee for the status of the flow's steps that may still change
   * (`flow`: its id, or the flow as just loaded), applies the answers, and
   * re-evaluates. Gives up waiting after `budgetMs` (the stored story is then
   * what the caller gets; late answers still land). `only`: as for refreshMany.
   */
  async refresh(flow: string | FlowWithSteps, budgetMs: number, only?: ReadonlySet<string>): Promise<FlowWithSteps> {
    const current = typeof flow === 'string' ? await this.mustLoad(flow) : flow;
    const [refreshed] = await this.refreshMany([current], budgetMs, only);
    return refreshed ?? current;
  }

  /**
   * Evaluating the flow now would change it: its status moves, or a failover
   * is due (a primary's ttl ran out, a failoverOnDelivered window closed).
   * Otherwise a read may answer it as stored (ReadRefresher).
   */
  wouldChange(current: FlowWithSteps, now: Date): boolean {
    const decision = this.decide(current, now);
    return (
      decision.status !== current.flow.status ||
      decision.statusCode !== current.flow.statusCode ||
      decision.next.kind === 'send_failover'
    );
  }

  /**
   * refresh for a set of flows as just loaded (the worker's batch): every
   * tracking call at once, then one evaluation of them all (evaluateMany).
   * A final flow with nothing left to hear from Routee is answered as
   * stored: evaluating it takes the flow's row lock and writes, which queued
   * concurrent reads of one flow behind each other (bench: get).
   * `only`: the ids of the steps to ask about (a read's stale ones); without
   * it, every step that may still change.
   */
  async refreshMany(flows: FlowWithSteps[], budgetMs: number, only?: ReadonlySet<string>): Promise<FlowWithSteps[]> {
    const asStored: FlowWithSteps[] = [];
    const items: Evaluation[] = [];
    const calls: Promise<void>[] = [];
    let late = false;
    for (const current of flows) {
      // Routee is held for down: the stored story, without waiting on calls the circuit would refuse anyway
      // (a read's `only` is chosen with the same test)
      const stale = current.steps.filter((step) =>
        only ? only.has(step.id) : this.routee.isAvailable(step.channel) && this.mayChange(step, current.flow.status),
      );
      if (stale.length === 0 && current.flow.status !== 'InProgress') {
        asStored.push(current);
        continue;
      }
      const item: Evaluation = { flowId: current.flow.id, reports: [] };
      items.push(item);
      for (const step of stale) {
        calls.push(
          this.track(step).then((report) => {
            if (!report) return;
            const reported = { trackingId: step.trackingId!, report };
            // an answer after the budget is applied on its own
            if (late)
              this.evaluate(item.flowId, new Date(), { report: reported }).catch((err: unknown) =>
                this.log.debug(`late report for ${step.trackingId}: ${String(err)}`),
              );
            else item.reports.push(reported);
          }),
        );
      }
    }
    if (calls.length > 0) await withinBudget(Promise.all(calls), budgetMs);
    late = true;
    if (items.length === 0) return asStored;
    return [...asStored, ...(await this.evaluateEach(items)).map((e) => e.flow)];
  }

  /** evaluateMany; should the batch fail, each flow on its own, so that one bad flow does not hold up the others */
  private async evaluateEach(items: Evaluation[]): Promise<Evaluated[]> {
    try {
      return await this.evaluateMany(items, new Date(), false);
    } catch (err) {
      if (items.length === 1) throw err;
      this.log.warn(
        `evaluating ${items.length} flows together failed (${err instanceof Error ? err.message : String(err)}); evaluating them one by one`,
      );
    }
    const each = await Promise.allSettled(items.map((item) => this.evaluateMany([item], new Date(), false)));
    return each.flatMap((result, i) => {
      if (result.status === 'fulfilled') return result.value;
      this.log.warn(
        `flow ${items[i].flowId}: evaluation failed: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}`,
      );
      return [];
    });
  }

  /**
   * Re-reads one step from Routee's tracking, whatever its status, and
   * re-evaluates its flow: for reports that say too little on their own (one
   * part of a multipart SMS). Null when no step has this trackingId.
   */
  async refreshTracking(trackingId: string, budgetMs: number): Promise<FlowWithSteps | null> {
    const flowId = await this.store.findFlowIdByTrackingId(trackingId);
    if (!flowId) return null;
    const step = (await this.mustLoad(flowId)).steps.find((s) => s.trackingId === trackingId && s.sendState === 'sent');
    const report =
      step && this.routee.isAvailable(step.channel) ? await withinBudget(this.track(step), budgetMs) : null;
    return this.evaluate(flowId, new Date(), report ? { report: { trackingId, report } } : {});
  }

  /** a step Routee may still report something new about */
  mayChange(step: StepEntity, flowStatus: string): boolean {
    if (step.sendState !== 'sent' || !step.trackingId) return false;
    const outcome = classifyStatus(step.channel, step.status);
    if (outcome === 'pending') return true;
    // an SMS "Sent" counts as success for the flow, but Routee still has its delivery report to give
    if (step.channel === 'sms' && step.status.trim().toLowerCase() === 'sent') return true;
    // a delivered Viber primary may still turn SEEN, which matters while the flow runs (failoverOnDelivered)
    return flowStatus === 'InProgress' && step.channel === 'viber' && outcome === 'success' && !isSeen(step.status);
  }

  /** Reads one step from Routee's tracking: the report, or null when that failed. */
  private async track(step: StepEntity): Promise<StatusReport | null> {
    try {
      return reportOf(
        step.channel === 'viber'
          ? await this.routee.getViberTracking(step.trackingId!)
          : await this.routee.getSmsTracking(step.trackingId!),
      );
    } catch (err) {
      this.log.debug(
        `refresh of ${step.channel} ${step.trackingId} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
      return null;
    }
  }

  private decide(current: FlowWithSteps, now: Date): FlowDecision {
    const decision = decideFlow(flowConfigOf(current.flow), current.steps.map(stepStateOf), now);
    // Succeeded is final: a later report (an SMS "Sent" turning "Undelivered") updates the step, not the flow
    if (current.flow.status === 'Succeeded' && decision.status !== 'Succeeded')
      return { status: 'Succeeded', statusCode: null, next: { kind: 'none' } };
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

  /**
   * Calls Routee for a claimed step and records the answer. While the call
   * runs, the claim is renewed (every third of SEND_CLAIM_MS), so only a dead
   * or frozen sender loses it, however slow Routee is.
   *
   * A send whose outcome is unknown (the request left, no answer came: a
   * response timeout or a reset after sending) is never repeated: it is
   * recorded as failed (`unavailable`), which moves a primary on to the
   * failover step and ends a failover step Failed (statusCode 0). A user may
   * then get the code twice, on two channels, which beats not getting it at
   * all; the same step is never sent twice by this path.
   *
   * A send that did not go out while its channel's circuit is open (refused
   * by the circuit, or the failures that just opened it) is queued instead:
   * the step goes `queued` until a probe is due, and the worker sends it then. A primary whose `fallback` (the failover step) can
   * still go out fails over at once instead, as for any refused send; with
   * both channels down, failing over makes no sense. Once the flow has waited
   * `outageQueueMs` since `queuedSince` (its creation) the step fails
   * (`unavailable`): a failover step is then tried (and fails the same way
   * while its circuit stays open), and the flow ends Failed, statusCode 0.
   */
  private async sendStep(
    step: StepEntity,
    def: StepDefinition,
    queuedSince: Date,
    fallback?: StepDefinition,
    recordSent: (result: RouteeSendResult, sentAt: Date) => Promise<boolean> = async (result, sentAt) =>
      (
        await this.store.markStepsSent([
          { id: step.id, trackingId: result.trackingId, status: result.status || step.status, sentAt },
        ])
      ).size > 0,
  ): Promise<void> {
    const sent = await this.callStep(step, def, queuedSince, fallback);
    if (!sent) return;
    const recorded = await this.recordSendOutcome(() => recordSent(sent.result, sent.sentAt));
    if (!recorded) this.warnResentElsewhere(step, sent.result.trackingId);
  }

  /** only when this process stalled past its claim and another replica re-sent the step */
  private warnResentElsewhere(step: StepEntity, trackingId: string): void {
    this.log.warn(
      `flow ${step.flowId}: ${step.role} ${step.channel} send ${trackingId} came back after another replica had finished the step: Routee has it twice`,
    );
  }

  /**
   * sendStep's Routee call: Routee's answer when it took the message, for
   * the caller to record; null when it did not, recorded here (the step
   * failed, or was queued).
   */
  private async callStep(
    step: StepEntity,
    def: StepDefinition,
    queuedSince: Date,
    fallback?: StepDefinition,
  ): Promise<{ result: RouteeSendResult; sentAt: Date } | null> {
    const claimMs = this.options.sendClaimMs;
    const heartbeat = setInterval(
      () => {
        this.queue
          .renewSendClaim(step.id, claimMs)
          .catch((err: unknown) => this.log.warn(`could not renew the send claim of step ${step.id}: ${String(err)}`));
      },
      Math.max(200, Math.floor(claimMs / 3)),
    );
    heartbeat.unref();
    let result: RouteeSendResult;
    try {
      result = await this.callRoutee(def);
    } catch (err) {
      const channel = step.channel;
      const channelDown =
        (err instanceof RouteeError && err.kind === 'circuit_open') ||
        (nothingWentOut(err) && !this.routee.isAvailable(channel));
      // only a closed circuit counts as up: a half-open one is still being probed
      const fallbackUp = fallback !== undefined && this.routee.circuitState(channelOf(fallback)) === 'closed';
      if (channelDown && !fallbackUp) {
        const giveUpAt = queuedSince.getTime() + (this.options.outageQueueMs ?? DEFAULT_OUTAGE_QUEUE_MS);
        if (Date.now() < giveUpAt) {
          clearInterval(heartbeat);
          // a little jitter: the queued steps do not all come back in the same instant
          const retryAt = Math.min(
            giveUpAt,
            Math.max(this.routee.retryAt(channel), Date.now() + 200) + Math.floor(Math.random() * 250),
          );
          await this.recordSendOutcome(() => this.store.queueSend(step.id, new Date(retryAt)));
          this.log.debug(
            `flow ${step.flowId}: ${step.role} ${step.channel} send queued until ${new Date(retryAt).toISOString()} (Routee circuit open)`,
          );
          return null;
        }
      }
      const sendError = this.sendErrorOf(err);
      const message = refusalOf(err);
      const status =
        sendError === 'insufficient_balance'
          ? step.channel === 'viber'
            ? 'UNSENT'
            : 'Unsent'
          : step.channel === 'viber'
            ? 'FAILED'
            : 'Failed';
      // the whole answer (HTTP status, Routee's code, developerMessage, the fields it refused) goes to the log
      this.log.warn(
        `flow ${step.flowId}: ${step.role} ${step.channel} send to ${maskPhone(step.phoneNumber)} failed (${sendError}): ${err instanceof Error ? err.message : String(err)}`,
      );
      clearInterval(heartbeat);
      await this.recordSendOutcome(() => this.store.markStepFailed(step.id, status, sendError, message));
      return null;
    }
    clearInterval(heartbeat);
    return { result, sentAt: new Date() };
  }

  /**
   * Routee's answer is worth waiting for Postgres: were it lost, the step
   * would stay `sending` and be sent again once its claim runs out. So a
   * write that fails because Postgres is down (restarting, failing over) is
   * retried for up to half the claim (10 s at most) before the error goes up.
   */
  private async recordSendOutcome<T>(write: () => Promise<T>): Promise<T> {
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

  private callRoutee(def: StepDefinition): Promise<RouteeSendResult> {
    if (def.type === 'ViberOtp') {
      return this.routee.sendViberOtp({
        senderInfoTrackingId: def.senderInfoTrackingId!,
        to: def.to,
        ttl: def.ttl,
        templateId: def.templateId!,
        templateLang: def.templateLang ?? 'en',
        templateParams: def.templateParams ?? {},
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

  /** Viber OTP has no per-message callback: its reports come from the URL set on the Routee application (routeeCallbackUrl) */
  private callbackUrl(channel: 'sms'): string | undefined {
    return this.options.publicUrl
      ? routeeCallbackUrl(this.options.publicUrl, channel, this.options.callbackToken)
      : undefined;
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
    if (!found) throw new DomainError('flow_not_found', `flow ${flowId} vanished`);
    return found;
  }
}

/** a flow's failover step, as claimed (FlowStore.claimFailoverSteps: exactly one caller's insert of it succeeds, and only that caller sends it) */
function failoverStepOf(flow: FlowEntity): NewStep {
  const def = flow.definition[1];
  const channel = channelOf(def);
  return {
    flowId: flow.id,
    order: 2,
    role: 'failover',
    channel,
    phoneNumber: def.to,
    label: def.label ?? null,
    status: initialStatus(channel),
  };
}

interface Evaluation {
  flowId: string;
  /** delivery reports to apply first, in the same transaction */
  reports: { trackingId: string; report: StatusReport }[];
}

interface Evaluated {
  flow: FlowWithSteps;
  /** what each report given for the flow did (reports naming no step of it are left out) */
  applied: AppliedReport[];
}

/** what the step keeps as its error_message: Routee's developerMessage and the fields it refused */
function refusalOf(err: unknown): string {
  if (!(err instanceof RouteeError)) return String(err);
  const fields = err.refusedFields;
  return `${err.developerMessage ?? err.message}${fields ? ` (${fields})` : ''}`;
}

/** Routee cannot have taken the message: the circuit refused the call, the connection never opened, or a 502/503/504 */
function nothingWentOut(err: unknown): boolean {
  if (!(err instanceof RouteeError)) return false;
  if (err.kind === 'circuit_open' || err.kind === 'unreachable') return true;
  return err.kind === 'server_error' && err.httpStatus !== undefined && [502, 503, 504].includes(err.httpStatus);
}

const DEFAULT_OUTAGE_QUEUE_MS = 120_000;

/** waits for `work` at most `budgetMs` (the work itself goes on): its result, or undefined when the time ran out */
async function withinBudget<T>(work: Promise<T>, budgetMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), budgetMs)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** where Routee posts a channel's delivery reports: PUBLIC_URL/routee/callbacks/{channel}?token=… */
export function routeeCallbackUrl(publicUrl: string, channel: 'sms' | 'viber', token: string): string {
  return `${publicUrl}/routee/callbacks/${channel}?token=${encodeURIComponent(token)}`;
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
