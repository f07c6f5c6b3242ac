import { Injectable } from '@nestjs/common';
import type { AppliedReport, StatusReport } from '@app/flow';
import type { FlowWithSteps, SendState, StepEntity, TrackedFlow } from '@app/persistence';
import { FlowEvaluator, type EvaluateOptions } from './flow-evaluator';
import { FlowStarter, type NewFlow } from './flow-starter';
import { StepSender } from './step-sender';
import { TrackingRefresher } from './tracking-refresher';

/**
 * The engine's entry points, for the gateway and the worker: each hands the
 * work to the concern that does it. Flows are run through Postgres only (a
 * step's row is claimed before Routee is called, a flow is decided under its
 * row lock), so any number of processes may call into it for the same flow.
 *
 * - FlowStarter: a new flow, its primary sent within the call (the send shortcut);
 * - StepSender: claimed steps sent to Routee and their outcome recorded;
 * - FlowEvaluator: flows decided under their lock, the failover claimed exactly once;
 * - TrackingRefresher: Routee's tracking asked, within a budget, and applied.
 *
 * The entry points a request calls take its id (`requestId`, in NewFlow and
 * EvaluateOptions too), for the lines logged on its behalf (RequestLogger).
 */
@Injectable()
export class FlowEngine {
  constructor(
    private readonly starter: FlowStarter,
    private readonly sender: StepSender,
    private readonly evaluator: FlowEvaluator,
    private readonly refresher: TrackingRefresher,
  ) {}

  /** Persists the flow, sends its primary step within the call, and fails over at once when due. */
  startFlow(input: NewFlow): Promise<FlowWithSteps> {
    return this.starter.start(input);
  }

  /** Sends a step the worker claimed (stranded, or queued while Routee was down: StepSender.resume), then evaluates its flow. */
  async resumeSend(step: StepEntity, claimedFrom: SendState = 'sending'): Promise<FlowWithSteps> {
    await this.sender.resume(step, claimedFrom);
    return this.evaluator.evaluate(step.flowId);
  }

  /** Evaluates the flow under its lock, firing the failover when due (FlowEvaluator). */
  evaluate(flowId: string, now: Date = new Date(), options: EvaluateOptions = {}): Promise<FlowWithSteps> {
    return this.evaluator.evaluate(flowId, now, options);
  }

  /** Applies a delivery report and lets the flow react at once; null when no step has this trackingId. */
  applyReport(
    trackingId: string,
    report: StatusReport,
    requestId?: string,
  ): Promise<{ applied: AppliedReport; flow: FlowWithSteps } | null> {
    return this.evaluator.applyReport(trackingId, report, requestId);
  }

  /** Refreshes the flow's steps that may still change from Routee, within `budgetMs`, and evaluates it. */
  refresh(
    flow: string | FlowWithSteps,
    budgetMs: number,
    only?: ReadonlySet<string>,
    requestId?: string,
  ): Promise<FlowWithSteps> {
    return this.refresher.refresh(flow, budgetMs, only, requestId);
  }

  /** refresh for a batch of flows as just loaded (FlowStore.loadTracked will do): all tracking calls at once, one evaluation. */
  refreshMany<F extends TrackedFlow>(flows: F[], budgetMs: number): Promise<(F | FlowWithSteps)[]> {
    return this.refresher.refreshMany(flows, budgetMs);
  }

  /** Re-reads one step's tracking whatever its status (a multipart SMS report) and evaluates its flow; null when unknown. */
  refreshTracking(trackingId: string, budgetMs: number, requestId?: string): Promise<FlowWithSteps | null> {
    return this.refresher.refreshTracking(trackingId, budgetMs, requestId);
  }
}
