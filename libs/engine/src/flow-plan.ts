import { applyReportTo, type AppliedReport, type StatusReport, type StepsDecision } from '@app/flow';
import { StepEntity, type FlowWithSteps } from '@app/persistence';
import { decide } from './flow-rules';

/**
 * A flow as read under its lock (FlowEvaluator), with the delivery reports
 * given for it applied in turn and what @app/flow decides for it then: the
 * reports, its new state and its webhook events commit together. Pure.
 */

export interface Evaluation {
  flowId: string;
  /** delivery reports to apply first, in the same transaction */
  reports: { trackingId: string; report: StatusReport }[];
}

export interface Evaluated {
  flow: FlowWithSteps;
  /** what each report given for the flow did (reports naming no step of it are left out) */
  applied: AppliedReport[];
}

/** a flow as read under its lock with its reports applied, and what @app/flow decides for it */
export interface Plan {
  current: FlowWithSteps;
  applied: AppliedReport[];
  /** the steps the reports touched, checked now: written before the flows */
  checked: StepEntity[];
  /** the steps a report gave their first delivery status (delivered_at set now): the metrics' time to deliver */
  delivered: StepEntity[];
  decision: StepsDecision;
}

/** the flow with `reports` applied in turn */
export function planOf(flow: FlowWithSteps, reports: Evaluation['reports'], now: Date): Plan {
  const applied: AppliedReport[] = [];
  const checked: StepEntity[] = [];
  const delivered: StepEntity[] = [];
  let current = flow;
  for (const { trackingId, report } of reports) {
    const result = applyReportTo(current, trackingId, report, now);
    if (!result) continue;
    applied.push(result.applied);
    // Routee's word on the step as of now, even when nothing changed: reads answer from the store for
    // REFRESH_INTERVAL_MS (ReadRefresher); writeReportedSteps keeps a later checked_at a read claimed meanwhile
    const step = Object.assign(
      new StepEntity(),
      result.steps.find((s) => s.id === result.applied.stepId),
      { checkedAt: now },
    );
    checked.push(step);
    if (step.deliveredAt && !current.steps.find((s) => s.id === step.id)?.deliveredAt) delivered.push(step);
    current = { flow: current.flow, steps: result.steps.map((s) => (s.id === step.id ? step : s)) };
  }
  return { current, applied, checked, delivered, decision: decide(current, now) };
}
