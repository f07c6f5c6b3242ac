/**
 * Failover OTP's flow status (https://docs.routee.net/reference/send-a-failover-otp-message):
 * the two-step case of `decideSteps`. A primary (Viber OTP or SMS) and an
 * optional failover step on the other channel, both with Failover OTP's
 * vocabulary: triggers EXPIRED, FAILED, UNDELIVERED; SMS `Sent` is a success.
 * Pure: `now` is an input, nothing is read or written.
 *
 * What the mapping fixes (decide-steps.ts has the general rules):
 * - The ttl rule (and the failoverOnDelivered window) runs on the primary
 *   only: the config has no failover ttl, Routee itself expires that step.
 * - failoverOnDelivered counts only for a Viber primary with a step 2 (SMS has no SEEN).
 * - Failover OTP has no `Queued`: a primary whose send is under way is InProgress.
 * - `next` is `none` whenever the status is final or the failover step exists:
 *   the failover is decided at most once per flow.
 */
import type { Channel, FlowConfig, FlowDecision, NextAction, StepState } from './flow.types';
import { decideSteps } from './decide-steps';
import type { StepProgress, StepsDecision, StepSpec } from './step-spec.types';
import { OTP_FAILOVER_TRIGGERS, type StepOutcome } from './step-status';
import { stepVerdict, ttlDeadline } from './step-verdict';

/** a Failover OTP step as decideSteps reads it; `ttlSec` null for the failover step */
export function otpStepSpec(channel: Channel, ttlSec: number | null, failoverOnDelivered: boolean): StepSpec {
  const failoverOnStatuses = OTP_FAILOVER_TRIGGERS;
  return channel === 'viber'
    ? { channel: 'viber-otp', ttlSec, failoverOnStatuses, failoverOnDelivered }
    : { channel: 'sms', ttlSec, failoverOnStatuses, sentIsSuccess: true };
}

const otherChannel = (c: Channel): Channel => (c === 'viber' ? 'sms' : 'viber');

/** the definition decideSteps needs: the steps' own channels (a failover not yet sent: the other channel) */
function otpSpecs(config: FlowConfig, primary: StepState, failover: StepState | undefined): StepSpec[] {
  const first = otpStepSpec(
    primary.channel,
    config.primaryTtlSec,
    config.failoverOnDelivered && config.hasFailoverStep,
  );
  if (!config.hasFailoverStep && !failover) return [first];
  return [first, otpStepSpec(failover?.channel ?? otherChannel(primary.channel), null, false)];
}

function progressOf(step: StepState, index: number): StepProgress {
  return { index, status: step.status, sendError: step.sendError, sentAt: step.sentAt, deliveredAt: step.deliveredAt };
}

function nextActionOf(decision: StepsDecision): NextAction {
  const { next } = decision;
  if (next.kind !== 'send_step') return next;
  const { index, reason } = next;
  // the primary always exists and no Viber (Failover API) step is defined here, so only these remain
  if (index !== 1 || reason === 'start' || reason === 'expired_on_delivery') {
    throw new Error(`decideFlow: no Failover OTP step is sent as step ${index} for ${reason}`);
  }
  return { kind: 'send_failover', reason };
}

export function decideFlow(config: FlowConfig, steps: readonly StepState[], now: Date): FlowDecision {
  const primary = steps.find((s) => s.role === 'primary');
  if (!primary) throw new Error('decideFlow: a flow always has its primary step');
  const failover = steps.find((s) => s.role === 'failover');
  const progress = failover ? [progressOf(primary, 0), progressOf(failover, 1)] : [progressOf(primary, 0)];
  const decision = decideSteps(otpSpecs(config, primary, failover), progress, now);
  return {
    status: decision.status === 'Queued' ? 'InProgress' : decision.status,
    statusCode: decision.statusCode,
    next: nextActionOf(decision),
  };
}

/** when a pending primary counts as EXPIRED; null while it has not been accepted by Routee */
export function primaryDeadline(config: FlowConfig, primary: StepState): Date | null {
  return ttlDeadline(otpStepSpec(primary.channel, config.primaryTtlSec, false), progressOf(primary, 0));
}

/**
 * The step's outcome as the flow sees it: a send error is a failure, and a
 * primary still pending `ttl` seconds after it was sent counts as EXPIRED.
 */
export function effectiveOutcome(config: FlowConfig, step: StepState, now: Date): StepOutcome {
  const ttlSec = step.role === 'primary' ? config.primaryTtlSec : null;
  const verdict = stepVerdict(otpStepSpec(step.channel, ttlSec, false), progressOf(step, 0), false, now);
  if (verdict.kind === 'failed') return 'failure';
  return verdict.kind === 'pending' ? 'pending' : 'success';
}
