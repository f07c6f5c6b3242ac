import {
  classifyStatus,
  decideFlow,
  decideSteps,
  DomainError,
  initialStatus,
  isSeen,
  type FlowDecision,
  type StepsDecision,
} from '@app/flow';
import type { FlowEntity, FlowStore, FlowWithSteps, NewStep, TrackedStep } from '@app/persistence';
import { channelOf, failoverStepSpec, flowConfigOf, stepProgressOf, stepStateOf } from './step-mapping';

/**
 * The engine's reading of a flow as stored, shared by the sender, the
 * evaluator and the refreshers: what @app/flow decides for it, when to look
 * at it again, why it failed, which steps Routee may still say something new
 * about. Pure (`now` is an input), but for loadFlowOrFail.
 */

/**
 * The flow's status and what to do next: a Failover API flow by its
 * definition's N steps (decideSteps), a Failover OTP flow by its two-step
 * rules (decideFlow), its failover named as step index 1. A verified code
 * ends the flow Succeeded and a cancel ends it as its steps stand (Succeeded
 * if one did, else Failed 2): neither sends a further step. Read under the
 * flow's lock, like the approval's write, so an approval and a failover
 * trigger racing each other give one outcome.
 */
export function decide(current: FlowWithSteps, now: Date): StepsDecision {
  const decision = current.flow.kind === 'failover' ? decideFailoverApi(current, now) : decideOtp(current, now);
  const { verificationStatus, status } = current.flow;
  // Succeeded is final: a later report (an SMS "Sent" turning "Undelivered") updates the step, not the flow
  if (verificationStatus === 'approved' || status === 'Succeeded') return SUCCEEDED;
  if (verificationStatus === 'canceled') return decision.status === 'Succeeded' ? SUCCEEDED : CANCELED;
  return decision;
}

const SUCCEEDED: StepsDecision = { status: 'Succeeded', statusCode: null, next: { kind: 'none' } };
/** a canceled flow none of whose steps succeeded: no next step (2) */
const CANCELED: StepsDecision = { status: 'Failed', statusCode: 2, next: { kind: 'none' } };

function decideFailoverApi({ flow, steps }: FlowWithSteps, now: Date): StepsDecision {
  return decideSteps(flow.definition.map(failoverStepSpec), steps.map(stepProgressOf), now);
}

function decideOtp(current: FlowWithSteps, now: Date): StepsDecision {
  const { status, statusCode, next }: FlowDecision = decideFlow(
    flowConfigOf(current.flow),
    current.steps.map(stepStateOf),
    now,
  );
  if (next.kind !== 'send_failover') return { status, statusCode, next };
  return { status, statusCode, next: { kind: 'send_step', index: 1, reason: next.reason } };
}

/** Succeeded and Failed do not change; Queued and InProgress do */
export function isFinal(status: string): boolean {
  return status === 'Succeeded' || status === 'Failed';
}

/** the next poll or the decision's exact deadline, whichever is sooner; null once the flow is final */
export function nextCheckAt(decision: StepsDecision, now: Date, refreshIntervalMs: number): Date | null {
  if (isFinal(decision.status)) return null;
  const poll = new Date(now.getTime() + refreshIntervalMs);
  if (decision.next.kind === 'recheck' && decision.next.at < poll) return decision.next.at;
  return poll;
}

/** a failed flow's `error`: what its last step ended with */
export function failureReason(current: FlowWithSteps): string {
  if (current.flow.verificationStatus === 'canceled') return 'canceled: no further step was sent';
  const last = current.steps[current.steps.length - 1];
  return last.errorMessage ?? last.detailedStatus ?? `${last.channel} step ended ${last.status}`;
}

/**
 * Evaluating the flow now would change it: its status moves, or a failover
 * is due (a primary's ttl ran out, a failoverOnDelivered window closed).
 * Otherwise a read may answer it as stored (ReadRefresher).
 */
export function wouldChange(current: FlowWithSteps, now: Date): boolean {
  const decision = decide(current, now);
  return (
    decision.status !== current.flow.status ||
    decision.statusCode !== current.flow.statusCode ||
    decision.next.kind === 'send_step'
  );
}

/** a step Routee may still report something new about */
export function mayChange(step: TrackedStep, flowStatus: string): boolean {
  if (step.sendState !== 'sent' || !step.trackingId) return false;
  const outcome = classifyStatus(step.channel, step.status);
  if (outcome === 'pending') return true;
  // an SMS "Sent" counts as success for the flow, but Routee still has its delivery report to give
  if (step.channel === 'sms' && step.status.trim().toLowerCase() === 'sent') return true;
  // a delivered Viber primary may still turn SEEN, which matters while the flow runs (failoverOnDelivered)
  return !isFinal(flowStatus) && step.channel === 'viber' && outcome === 'success' && !isSeen(step.status);
}

/**
 * A flow's next step (`index` in its definition), as claimed
 * (FlowStore.claimFailoverSteps: exactly one caller's insert of it
 * succeeds, and only that caller sends it). Steps after the first have the
 * role `failover`.
 */
export function nextStepOf(flow: FlowEntity, index: number): NewStep {
  const def = flow.definition[index];
  const channel = channelOf(def);
  return {
    flowId: flow.id,
    order: index + 1,
    role: index === 0 ? 'primary' : 'failover',
    channel,
    phoneNumber: def.to,
    label: def.label ?? null,
    status: initialStatus(channel),
  };
}

/** the flow with its steps, or flow_not_found: it was there a moment ago */
export async function loadFlowOrFail(store: FlowStore, flowId: string): Promise<FlowWithSteps> {
  const found = await store.load(flowId);
  if (!found) throw new DomainError('flow_not_found', `flow ${flowId} vanished`);
  return found;
}
