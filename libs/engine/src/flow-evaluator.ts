import { Inject, Injectable } from '@nestjs/common';
import { DomainError, type AppliedReport, type StatusReport, type StepsDecision } from '@app/flow';
import {
  FlowEntity,
  FlowStore,
  StepEntity,
  type FailoverSentRecord,
  type FlowChange,
  type FlowWithSteps,
  type NewWebhookEvent,
} from '@app/persistence';
import type { EntityManager } from 'typeorm';
import { GatewayMetrics } from '@app/metrics';
import { ENGINE_OPTIONS, type EngineOptions } from './engine.options';
import { planOf, type Evaluated, type Evaluation, type Plan } from './flow-plan';
import { decide, failureReason, nextCheckAt, nextStepOf } from './flow-rules';
import { RequestLogger } from './request-logger';
import { StepSender, type FailoverSend, type SentFailover } from './step-sender';
import { WebhookService } from './webhooks/webhook.service';

export type { Evaluated, Evaluation } from './flow-plan';

export interface EvaluateOptions {
  /** the state the send response reports: recorded for webhooks, not sent as an event */
  initial?: boolean;
  /** a delivery report to apply first, in the same transaction */
  report?: { trackingId: string; report: StatusReport };
  /** the request the evaluation is for, if any: the lines it logs name it */
  requestId?: string;
}

/** what one flow's evaluation writes: its change, and either its webhook event and answer, or its failover to send */
type Settled = NoFailover | { change: FlowChange; failover: FailoverSend & Claim };

interface NoFailover {
  change: FlowChange;
  event: NewWebhookEvent | null;
  evaluated: Evaluated;
}

/** as settle decides it: a claimed failover's flow version is known once its change is written (evaluateLocked) */
type Unversioned = NoFailover | { change: FlowChange; failover: Omit<FailoverSend, 'version'> & Claim };

/** what the evaluation that claimed a failover reports of it */
interface Claim {
  applied: AppliedReport[];
  reason: string;
}

/** a flow's evaluated state: what to write, its webhook event, and the flow as it then stands */
interface EvaluatedState {
  change: FlowChange;
  event: NewWebhookEvent | null;
  after: FlowWithSteps;
}

/** a sent failover's record, with its flow's state after it when nothing more is due (else left to the evaluation) */
type SentRecord = FailoverSentRecord & { step: StepEntity; after: FlowWithSteps | null };

/**
 * Derives flows' status from their stored steps, fires the failover when the
 * state machine says so, and stores the result. Safe to call from anywhere,
 * any number of times, concurrently, in any replica: the decision is taken and
 * written under the flows' row locks, and the failover step is claimed in that
 * same transaction (the unique (flow_id, role) constraint backs it up), so
 * exactly one caller ever sends it. The Routee call itself runs after the
 * commit (StepSender): no lock is held while Routee answers.
 */
@Injectable()
export class FlowEvaluator {
  private readonly log = new RequestLogger(FlowEvaluator.name);

  constructor(
    private readonly store: FlowStore,
    private readonly sender: StepSender,
    private readonly webhooks: WebhookService,
    private readonly metrics: GatewayMetrics,
    @Inject(ENGINE_OPTIONS) private readonly options: EngineOptions,
  ) {}

  /** One flow, evaluated as above. */
  async evaluate(flowId: string, now: Date = new Date(), options: EvaluateOptions = {}): Promise<FlowWithSteps> {
    return (await this.evaluateApplying(flowId, now, options)).flow;
  }

  /**
   * Applies a delivery report (a callback, or a tracking answer) and lets the
   * flow react at once: a due failover fires within this call.
   * Returns null when no step has this trackingId.
   */
  async applyReport(
    trackingId: string,
    report: StatusReport,
    requestId?: string,
  ): Promise<{ applied: AppliedReport; flow: FlowWithSteps } | null> {
    const flowId = await this.store.findFlowIdByTrackingId(trackingId);
    if (!flowId) return null;
    const { flow, applied } = await this.evaluateApplying(flowId, new Date(), {
      report: { trackingId, report },
      requestId,
    });
    return applied ? { applied, flow } : null;
  }

  /** A set of flows in one transaction; should that fail, each flow on its own, so that one bad flow does not hold up the others. */
  async evaluateBatch(items: Evaluation[], requestId?: string): Promise<Evaluated[]> {
    const log = this.log.for(requestId);
    try {
      return await this.evaluateMany(items, new Date(), false, requestId);
    } catch (err) {
      if (items.length === 1) throw err;
      log.warn(
        `evaluating ${items.length} flows together failed (${err instanceof Error ? err.message : String(err)}); evaluating them one by one`,
      );
    }
    const each = await Promise.allSettled(items.map((item) => this.evaluateMany([item], new Date(), false, requestId)));
    return each.flatMap((result, i) => {
      if (result.status === 'fulfilled') return result.value;
      log.warn(
        `flow ${items[i].flowId}: evaluation failed: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}`,
      );
      return [];
    });
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
      options.requestId,
    );
    if (!evaluated) throw new DomainError('flow_not_found', `flow ${flowId} vanished`);
    return { flow: evaluated.flow, applied: evaluated.applied[0] ?? null };
  }

  /**
   * The flows, each with its reports applied first, in one transaction of a
   * few statements however many flows (the worker's batches); the failovers
   * it claims are sent concurrently, and recorded with their flows' states
   * (recordSent). The flows as evaluated, with what each report did, in no
   * particular order; flows that do not exist are left out.
   */
  private async evaluateMany(
    items: Evaluation[],
    now: Date,
    initial: boolean,
    requestId: string | undefined,
  ): Promise<Evaluated[]> {
    if (items.length === 0) return [];
    const reportsOf = new Map(items.map((item) => [item.flowId, item.reports]));
    let plans: Plan[] = [];
    const settled = await this.store.withFlowsLocked([...reportsOf.keys()], (locked, tx) => {
      plans = locked.map((flow) => planOf(flow, reportsOf.get(flow.flow.id) ?? [], now));
      return this.evaluateLocked(plans, tx, now, initial);
    });
    const evaluated = settled.flatMap((s) => ('evaluated' in s ? [s.evaluated] : []));
    const failovers = settled.flatMap((s) => ('failover' in s ? [s.failover] : []));
    this.count(plans, failovers);
    if (eventsOf(settled).length > 0) this.webhooks.wake();
    if (failovers.length === 0) return evaluated;
    const sent = await this.recordSent(await this.sender.sendFailovers(failovers, requestId), initial, requestId);
    // the rest (a send refused or failed, a next step due at once, a flow moved since its claim) under the lock
    const again = await this.evaluateMany(
      failovers.flatMap((f) => (sent.has(f.step.flowId) ? [] : [{ flowId: f.step.flowId, reports: [] }])),
      new Date(),
      initial,
      requestId,
    );
    const appliedOf = new Map(failovers.map((f) => [f.step.flowId, f.applied]));
    // as written (a later change is another evaluation's to report)
    return [
      ...evaluated,
      ...[...sent.values(), ...again.map((e) => e.flow)].map((flow) => ({
        flow,
        applied: appliedOf.get(flow.flow.id) ?? [],
      })),
    ];
  }

  /**
   * Records the failovers Routee took, each with the state its flow moves to
   * (the evaluation under the lock after the send, folded into the statement
   * that records it: FlowStore.recordFailoversSent). The state is derived
   * from the steps the claim saw and the one recorded; it is written only
   * while the flow row is the version the claim wrote, so only when nothing
   * else moved the flow meanwhile. A flow with a next step due at once is
   * left to the evaluation, which claims it. Returns the flows written, by id.
   */
  private async recordSent(
    sent: SentFailover[],
    initial: boolean,
    requestId: string | undefined,
  ): Promise<Map<string, FlowWithSteps>> {
    const now = new Date();
    const records = sent.map((s) => this.recordOf(s, now, initial));
    const recorded = await this.sender.recordFailovers(records, requestId);
    const written = new Map<string, FlowWithSteps>();
    for (const { step, flow, after } of records) {
      const updatedAt = recorded.get(step.id);
      if (!flow || !after || !updatedAt) continue;
      after.flow.updatedAt = updatedAt;
      written.set(after.flow.id, after);
    }
    if (records.some((r) => r.flow?.event && written.has(r.step.flowId))) this.webhooks.wake();
    return written;
  }

  /** one sent failover's record, and its flow's state after it unless a next step is due */
  private recordOf({ send: { current, version }, step }: SentFailover, now: Date, initial: boolean): SentRecord {
    const sentFlow = { flow: current.flow, steps: current.steps.map((s) => (s.id === step.id ? step : s)) };
    const decision = decide(sentFlow, now);
    if (decision.next.kind === 'send_step' || version === null) return { step, flow: null, after: null };
    const { change, event, after } = this.stateOf(sentFlow, decision, now, initial);
    return { step, flow: { change, version, event }, after };
  }

  /** Inside the lock: the reported steps, the claimed failover rows, the flows' states and the webhook events, one statement each. */
  private async evaluateLocked(plans: Plan[], tx: EntityManager, now: Date, initial: boolean): Promise<Settled[]> {
    await this.store.writeReportedSteps(
      tx,
      plans.flatMap((p) => p.checked),
    );
    // the next step after the last one that exists, and only one a flow (decideSteps names no other)
    const claims = plans.flatMap(({ decision: { next }, current }) =>
      next.kind === 'send_step' && next.index === current.steps.length && current.flow.definition[next.index]
        ? [nextStepOf(current.flow, next.index)]
        : [],
    );
    const claimed = await this.store.claimFailoverSteps(tx, claims, this.options.sendClaimMs);
    const claimedBy = new Map(claimed.map((step) => [step.flowId, step]));
    const settled = plans.map((plan) => this.settle(plan, claimedBy.get(plan.current.flow.id), now, initial));
    const versions = await this.store.updateFlows(
      tx,
      settled.map((s) => s.change),
    );
    await this.webhooks.addEvents(tx, eventsOf(settled));
    // each claim's flow row as written: the state after its send is written on that version only (recordSent)
    return settled.map((s): Settled =>
      'failover' in s ? { ...s, failover: { ...s.failover, version: versions.get(s.change.id) ?? null } } : s,
    );
  }

  /** committed: the deliveries the reports brought and the failovers claimed, to the metrics */
  private count(plans: Plan[], failovers: { reason: string }[]): void {
    for (const { delivered } of plans)
      for (const step of delivered)
        if (step.sentAt && step.deliveredAt)
          this.metrics.delivered(step.channel, (step.deliveredAt.getTime() - step.sentAt.getTime()) / 1000);
    for (const { reason } of failovers) this.metrics.failoverClaimed(reason);
  }

  /** one flow's outcome: its failover to send when this evaluation claimed it, else its new state */
  private settle(plan: Plan, claimed: StepEntity | undefined, now: Date, initial: boolean): Unversioned {
    const { current, applied, decision } = plan;
    const { flow } = current;
    if (claimed) {
      // stays due until the send is recorded: if this process dies first, the worker finds the stranded claim
      const nextCheckAt = new Date(now.getTime() + this.options.sendClaimMs);
      const { webhookState } = flow;
      const change = { id: flow.id, status: 'InProgress', statusCode: null, nextCheckAt, error: null, webhookState };
      const reason = decision.next.kind === 'send_step' ? decision.next.reason : 'trigger';
      const claimedFlow = { flow: Object.assign(new FlowEntity(), flow, change), steps: [...current.steps, claimed] };
      return { change, failover: { step: claimed, current: claimedFlow, applied, reason } };
    }
    const { change, event, after } = this.stateOf(current, decision, now, initial);
    return { change, event, evaluated: { flow: after, applied } };
  }

  /** the flow's state `decision` leads to, what it tells the integrator's webhooks, and the flow as it then stands */
  private stateOf(current: FlowWithSteps, decision: StepsDecision, now: Date, initial: boolean): EvaluatedState {
    const state = {
      status: decision.status,
      statusCode: decision.statusCode,
      nextCheckAt: nextCheckAt(decision, now, this.options.refreshIntervalMs),
      error: decision.status === 'Failed' ? failureReason(current) : null,
    };
    const after: FlowWithSteps = { flow: Object.assign(new FlowEntity(), current.flow, state), steps: current.steps };
    const webhook = this.webhooks.stateOf(after, initial);
    after.flow.webhookState = webhook.webhookState;
    return {
      change: { id: current.flow.id, ...state, webhookState: webhook.webhookState },
      event: webhook.event,
      after,
    };
  }
}

function eventsOf(settled: Unversioned[]): NewWebhookEvent[] {
  return settled.flatMap((s) => ('event' in s && s.event ? [s.event] : []));
}
