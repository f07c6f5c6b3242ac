/**
 * A status report applied to one step of a flow, in memory: the status only
 * moves forward (isStatusProgress, since reports race), details are kept
 * when known. Pure: the caller stores the step it returns (under the flow's
 * lock) and decides the flow from the steps it returns.
 */
import type { Channel } from './flow.types';
import { isStatusProgress } from './status-progress';
import { classifyStatus } from './step-status';

/** What Routee said about a message, from tracking or a callback. */
export interface StatusReport {
  status: string;
  /** when Routee says the status was reached */
  statusDate?: Date;
  detailedStatus?: string;
  description?: string;
  price?: number;
  latencyMs?: number;
  country?: string;
  operator?: string;
  /** Voice: the call's message id, its duration in seconds, who answered (HUMAN, MACHINE, UNKNOWN) */
  messageId?: string;
  durationSec?: number;
  answeredBy?: string;
}

export interface AppliedReport {
  flowId: string;
  stepId: string;
  /** the step's status moved */
  changed: boolean;
}

/** the fields of a stored step a report reads and writes */
export interface ReportedStep {
  id: string;
  flowId: string;
  channel: Channel;
  trackingId: string | null;
  status: string;
  statusUpdatedAt: Date | null;
  deliveredAt: Date | null;
  errorMessage: string | null;
  detailedStatus: string | null;
  price: number | null;
  latencyMs: number | null;
  country: string | null;
  operator: string | null;
  messageId: string | null;
  durationSec: number | null;
  answeredBy: string | null;
}

/**
 * The report applied to the step of `current` that Routee knows as
 * `trackingId`. Returns the changed step (null when the report brought
 * nothing new to store) and the flow's steps as they now are, or null when
 * no step has that trackingId. The changed step is a copy of the same class
 * as the one read (callers pass entity rows); nothing is changed in place.
 */
export function applyReportTo<S extends ReportedStep>(
  current: { steps: S[] },
  trackingId: string,
  report: StatusReport,
  now: Date,
): { applied: AppliedReport; written: S | null; steps: S[] } | null {
  const step = current.steps.find((s) => s.trackingId === trackingId);
  if (!step) return null;
  const { channel } = step;
  const changed = isStatusProgress(channel, step.status, report.status);
  const isDelivery = classifyStatus(channel, report.status) === 'success';
  const patch: Partial<ReportedStep> = {
    ...(report.detailedStatus !== undefined && { detailedStatus: report.detailedStatus }),
    ...(report.price !== undefined && { price: report.price }),
    ...(report.latencyMs !== undefined && { latencyMs: report.latencyMs }),
    ...(report.country !== undefined && { country: report.country }),
    ...(report.operator !== undefined && { operator: report.operator }),
    ...(report.messageId !== undefined && { messageId: report.messageId }),
    ...(report.durationSec !== undefined && { durationSec: report.durationSec }),
    ...(report.answeredBy !== undefined && { answeredBy: report.answeredBy }),
  };
  if (changed) {
    patch.status = report.status;
    patch.statusUpdatedAt = now;
    if (report.description !== undefined) patch.errorMessage = isDelivery ? null : report.description;
    if (step.deliveredAt === null && isDelivery) {
      const reported = report.statusDate;
      patch.deliveredAt = reported && reported.getTime() <= now.getTime() ? reported : now;
    }
  }
  const applied = { flowId: step.flowId, stepId: step.id, changed };
  if (Object.keys(patch).length === 0) return { applied, written: null, steps: current.steps };
  const updated: S = Object.assign(Object.create(Object.getPrototypeOf(step) as object) as S, step, patch);
  return { applied, written: updated, steps: current.steps.map((s) => (s === step ? updated : s)) };
}
