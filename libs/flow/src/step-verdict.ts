/**
 * One step's outcome as the flow sees it at `now`: its reported status read
 * in its own vocabulary, then its timers.
 *
 * - A send error is a failure, whatever status the row still carries.
 * - ttl: a step still pending `ttlSec` after `sentAt` counts as Expired
 *   (closed at the boundary: at exactly `sentAt + ttl` it has expired). A step
 *   without `sentAt` is a send under way: pending, no deadline (its sender owns it).
 * - Viber `expireOnDelivery`: Delivered and not Seen `ttlSec` after delivery
 *   counts as Expired, as Routee says it sets it
 *   (https://docs.routee.net/reference/send-a-failover-message); until then
 *   the step is pending with that deadline.
 * - Viber OTP `failoverOnDelivered` (only when a next step is defined): DELIVERED
 *   and not SEEN is a success that hands over to the next step when its window
 *   closes (`delivered_unseen`).
 * - The windows run from `deliveredAt`, else from `sentAt`; with neither the
 *   window counts as closed (prefer getting the message through over waiting forever).
 * - SEEN is a success at any time, also after a window closed: the user has read it.
 */
import type { SendError } from './flow.types';
import type { StepProgress, StepSpec } from './step-spec.types';
import { normaliseStatus, stepStatusOutcome } from './step-vocabulary';

export type StepVerdict =
  | { kind: 'succeeded' }
  /** Viber OTP with failoverOnDelivered: delivered, not seen; the next step is due at `closesAt` (null: due now) */
  | { kind: 'delivered_unseen'; closesAt: Date | null }
  /** `inFlight`: no sentAt, no report, no send error; `deadline`: when a timer ends it (null: none runs) */
  | { kind: 'pending'; inFlight: boolean; deadline: Date | null }
  /** `status`: the normalised status it ended on (`expired` for the timers) */
  | { kind: 'failed'; cause: FailureCause; status: string; sendError: SendError | null };

export type FailureCause = 'status' | 'ttl_expired' | 'expired_on_delivery' | 'send_error';

function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

function windowEnd(spec: StepSpec, step: StepProgress): Date | null {
  const start = step.deliveredAt ?? step.sentAt;
  return start && spec.ttlSec !== null ? addSeconds(start, spec.ttlSec) : null;
}

const isOver = (at: Date | null, now: Date) => at === null || now.getTime() >= at.getTime();

/** when a pending step counts as Expired by its ttl; null when no ttl runs (none, or not yet sent) */
export function ttlDeadline(spec: StepSpec, step: StepProgress): Date | null {
  return step.sentAt && spec.ttlSec !== null ? addSeconds(step.sentAt, spec.ttlSec) : null;
}

function successVerdict(spec: StepSpec, step: StepProgress, hasNextStep: boolean, now: Date): StepVerdict {
  if (normaliseStatus(step.status) === 'seen' || spec.ttlSec === null) return { kind: 'succeeded' };
  if (spec.channel === 'viber-otp' && spec.failoverOnDelivered && hasNextStep) {
    return { kind: 'delivered_unseen', closesAt: windowEnd(spec, step) };
  }
  if (spec.channel === 'viber' && spec.expireOnDelivery) {
    const closesAt = windowEnd(spec, step);
    if (isOver(closesAt, now)) {
      return { kind: 'failed', cause: 'expired_on_delivery', status: 'expired', sendError: null };
    }
    return { kind: 'pending', inFlight: false, deadline: closesAt };
  }
  return { kind: 'succeeded' };
}

/**
 * `hasNextStep`: the definition has a step after this one (failoverOnDelivered
 * only counts then: it hands over to that step).
 */
export function stepVerdict(spec: StepSpec, step: StepProgress, hasNextStep: boolean, now: Date): StepVerdict {
  if (step.sendError) {
    return { kind: 'failed', cause: 'send_error', status: normaliseStatus(step.status), sendError: step.sendError };
  }
  switch (stepStatusOutcome(spec, step.status)) {
    case 'success':
      return successVerdict(spec, step, hasNextStep, now);
    case 'failure':
      return { kind: 'failed', cause: 'status', status: normaliseStatus(step.status), sendError: null };
    case 'pending': {
      const deadline = ttlDeadline(spec, step);
      if (deadline && isOver(deadline, now)) {
        return { kind: 'failed', cause: 'ttl_expired', status: 'expired', sendError: null };
      }
      return { kind: 'pending', inFlight: step.sentAt === null, deadline };
    }
  }
}
