/**
 * The flow's status over an ordered list of N steps, and what to do next,
 * from the steps that exist and the current time. Pure: `now` is an input,
 * nothing is read or written, the inputs are not mutated.
 *
 * Routee's rules (https://docs.routee.net/docs/failover-statuses,
 * https://docs.routee.net/reference/send-a-failover-message): step n+1 is sent
 * when step n ends on one of its failoverOnStatuses; a success anywhere ends
 * the flow Succeeded; otherwise Failed with a statusCode.
 *
 * Decisions where Routee's pages are silent:
 * - The last step that exists (the frontier) decides what comes next; an
 *   earlier step still pending only keeps the flow from being Failed (it may
 *   still succeed). So at most one next step is ever named, the one after the
 *   frontier, and only while the frontier has ended.
 * - The frontier's failure, in this order: insufficient balance (send error)
 *   → Failed 1, there is no balance to send the next step with; on the last
 *   step: unreachable → 0, `Unsent` → 1, else 2 ("no next step"); on an
 *   earlier step: a refused or unreachable send → the next step at once, a
 *   status (or a timer's Expired) in failoverOnStatuses → the next step,
 *   `Unsent` → 1, else 3 ("not failover triggered"). A Voice step may list
 *   Unsent as a trigger, so the trigger test comes before the Unsent one.
 * - A Viber OTP step delivered but not seen, with the next step sent because
 *   of failoverOnDelivered: the delivery counts, so the flow is Succeeded once
 *   every later step has ended, whichever way (it waits while one is pending).
 * - A recheck is only planned for the frontier's timer (ttl, a delivery window)
 *   and is always strictly after `now`, since the timers close at their boundary.
 * - `Queued` while no step exists or every step is a send under way; the
 *   first step is named when none exists yet.
 */
import type { SendReason, StepProgress, StepsDecision, StepSpec, StepsNext } from './step-spec.types';
import { stepVerdict, type FailureCause, type StepVerdict } from './step-verdict';

type FailedCode = 0 | 1 | 2 | 3;
type Failed = Extract<StepVerdict, { kind: 'failed' }>;

const NONE: StepsNext = Object.freeze({ kind: 'none' });

const inProgress = (next: StepsNext = NONE): StepsDecision => ({ status: 'InProgress', statusCode: null, next });
const succeeded = (): StepsDecision => ({ status: 'Succeeded', statusCode: null, next: NONE });
const failed = (statusCode: FailedCode): StepsDecision => ({ status: 'Failed', statusCode, next: NONE });
const queued = (next: StepsNext = NONE): StepsDecision => ({ status: 'Queued', statusCode: null, next });
const sendStepNext = (index: number, reason: SendReason): StepsNext => ({ kind: 'send_step', index, reason });
const sendStep = (index: number, reason: SendReason): StepsDecision => inProgress(sendStepNext(index, reason));

const REASON_OF: Record<Exclude<FailureCause, 'send_error'>, SendReason> = {
  status: 'trigger',
  ttl_expired: 'ttl_expired',
  expired_on_delivery: 'expired_on_delivery',
};

/** the steps that exist, ordered by index; throws unless they are 0..k of the definition */
function ordered(specs: readonly StepSpec[], steps: readonly StepProgress[]): StepProgress[] {
  if (specs.length === 0) throw new RangeError('decideSteps: a flow has at least one step');
  const sorted = [...steps].sort((a, b) => a.index - b.index);
  sorted.forEach((step, i) => {
    if (step.index !== i || i >= specs.length) {
      throw new RangeError(
        `decideSteps: steps are sent in order, ${specs.length} defined; found index ${step.index} at position ${i}`,
      );
    }
  });
  return sorted;
}

/** an ended frontier: the next step to send, or the flow's statusCode */
function afterFailure(frontier: Failed, spec: StepSpec, index: number, isLast: boolean): StepsDecision | FailedCode {
  const { cause, status, sendError } = frontier;
  if (sendError === 'insufficient_balance') return 1;
  if (isLast) {
    if (sendError === 'unavailable') return 0;
    return !sendError && status === 'unsent' ? 1 : 2;
  }
  if (cause === 'send_error') return sendStep(index + 1, 'send_error');
  if (spec.failoverOnStatuses.has(status)) return sendStep(index + 1, REASON_OF[cause]);
  return status === 'unsent' ? 1 : 3;
}

export function decideSteps(specs: readonly StepSpec[], steps: readonly StepProgress[], now: Date): StepsDecision {
  const existing = ordered(specs, steps);
  if (existing.length === 0) return queued(sendStepNext(0, 'start'));
  const lastIndex = specs.length - 1;
  const verdicts = existing.map((step) => stepVerdict(specs[step.index], step, step.index < lastIndex, now));
  if (verdicts.some((v) => v.kind === 'succeeded')) return succeeded();

  const f = verdicts.length - 1;
  const held = verdicts.findIndex((v) => v.kind === 'delivered_unseen');
  if (held !== -1 && held < f) {
    return verdicts.slice(held + 1).some((v) => v.kind === 'pending') ? inProgress() : succeeded();
  }
  const earlierPending = verdicts.slice(0, f).some((v) => v.kind === 'pending');
  const frontier = verdicts[f];
  switch (frontier.kind) {
    case 'delivered_unseen': {
      const { closesAt } = frontier;
      if (closesAt === null || now.getTime() >= closesAt.getTime()) return sendStep(f + 1, 'not_seen');
      return inProgress({ kind: 'recheck', at: closesAt });
    }
    case 'pending':
      if (verdicts.every((v) => v.kind === 'pending' && v.inFlight)) return queued();
      return inProgress(frontier.deadline ? { kind: 'recheck', at: frontier.deadline } : NONE);
    case 'failed': {
      const after = afterFailure(frontier, specs[f], f, f === lastIndex);
      if (typeof after !== 'number') return after;
      // an earlier step may still succeed (a late report): not Failed yet
      return earlierPending ? inProgress() : failed(after);
    }
    case 'succeeded':
      return succeeded(); // returned above; here for the compiler's exhaustiveness
  }
}
