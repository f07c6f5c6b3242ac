/**
 * The flow-level status (CONTRACT section 4, seed 002 "Flow-level statuses"),
 * derived from the steps that exist and the current time. Pure: `now` is an
 * input, nothing is read or written, the inputs are not mutated.
 *
 * Decisions where the contract is silent:
 * - Precedence on the primary: a send error wins over any status; then
 *   `Unsent`/insufficient balance (Failed 1, even with a step 2: there is no
 *   balance to send it with); then "no step 2" (Failed 2); then trigger
 *   (fail over) versus no trigger (Failed 3).
 * - A primary Routee refused (`rejected`, a 4xx other than balance) with no
 *   step 2 is Failed 2 ("no next step"), like any other terminal failure of the
 *   only step; 3 ("not failover triggered") only makes sense when a next step
 *   exists. `unavailable` (unreachable/5xx/auth refused) with no step 2 is
 *   Failed 0. With a step 2 both fail over at once (reason `send_error`).
 * - TTL and the fod window are closed at their boundary: at exactly
 *   `sentAt + ttl` the primary counts as EXPIRED, at exactly
 *   `deliveredAt + ttl` a DELIVERED-not-SEEN primary fails over. A `recheck`
 *   is therefore always strictly after `now`.
 * - The TTL rule only applies to the primary (the config has no failover ttl;
 *   Routee itself expires the failover step). A primary with neither a status
 *   nor a send error nor `sentAt` is a send still in flight: InProgress, no
 *   recheck (the sender owns it).
 * - `failoverOnDelivered` only counts when the primary is Viber and a step 2
 *   is configured (SMS has no SEEN). If `deliveredAt` is unknown the window
 *   runs from `sentAt`; with neither, the window counts as closed (prefer
 *   getting the code to the user over waiting forever).
 * - SEEN ends the flow Succeeded, also when the failover step was already sent
 *   (a late SEEN after the fod window closed): the user has read the code.
 * - Both steps, fod in effect and the primary DELIVERED: Succeeded once the
 *   failover step is terminal either way; if the primary did not succeed, fod
 *   is irrelevant and the generic rules apply (a primary that failed and a
 *   failover that failed is Failed 2).
 * - Both steps all failed: the code comes from the failover step (the last
 *   attempt): insufficient balance or `Unsent` → 1, unavailable → 0, else 2.
 * - `Rejected` is a terminal failure that is no trigger (see step-status.ts).
 * - `next` is `none` whenever the status is final or the failover step exists:
 *   the failover is decided at most once per flow.
 */
import type { FlowConfig, FlowDecision, NextAction, StepState } from './flow.types';
import { classifyStatus, isFailoverTrigger, isSeen, isUnsent, type StepOutcome } from './step-status';

const NONE: NextAction = Object.freeze({ kind: 'none' });

function inProgress(next: NextAction = NONE): FlowDecision {
  return { status: 'InProgress', statusCode: null, next };
}

function succeeded(): FlowDecision {
  return { status: 'Succeeded', statusCode: null, next: NONE };
}

function failed(statusCode: 0 | 1 | 2 | 3): FlowDecision {
  return { status: 'Failed', statusCode, next: NONE };
}

function sendFailover(reason: 'trigger' | 'ttl_expired' | 'not_seen' | 'send_error'): FlowDecision {
  return inProgress({ kind: 'send_failover', reason });
}

function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

/** when a pending primary counts as EXPIRED; null while it has not been accepted by Routee */
export function primaryDeadline(config: FlowConfig, primary: StepState): Date | null {
  return primary.sentAt ? addSeconds(primary.sentAt, config.primaryTtlSec) : null;
}

/**
 * The step's outcome as the flow sees it: a send error is a failure, and a
 * primary still pending `ttl` seconds after it was sent counts as EXPIRED.
 */
export function effectiveOutcome(config: FlowConfig, step: StepState, now: Date): StepOutcome {
  if (step.sendError) return 'failure';
  const outcome = classifyStatus(step.channel, step.status);
  if (outcome !== 'pending' || step.role !== 'primary') return outcome;
  const deadline = primaryDeadline(config, step);
  return deadline && now.getTime() >= deadline.getTime() ? 'failure' : 'pending';
}

function failoverOnDeliveredApplies(config: FlowConfig, primary: StepState): boolean {
  return config.failoverOnDelivered && config.hasFailoverStep && primary.channel === 'viber';
}

function decidePrimaryOnly(config: FlowConfig, primary: StepState, now: Date): FlowDecision {
  if (primary.sendError === 'insufficient_balance') return failed(1);
  if (primary.sendError) {
    if (config.hasFailoverStep) return sendFailover('send_error');
    return failed(primary.sendError === 'unavailable' ? 0 : 2);
  }

  switch (classifyStatus(primary.channel, primary.status)) {
    case 'success': {
      if (isSeen(primary.status) || !failoverOnDeliveredApplies(config, primary)) return succeeded();
      const windowStart = primary.deliveredAt ?? primary.sentAt;
      if (!windowStart) return sendFailover('not_seen');
      const windowEnd = addSeconds(windowStart, config.primaryTtlSec);
      if (now.getTime() >= windowEnd.getTime()) return sendFailover('not_seen');
      return inProgress({ kind: 'recheck', at: windowEnd });
    }
    case 'failure':
      if (isUnsent(primary.status)) return failed(1);
      if (!config.hasFailoverStep) return failed(2);
      return isFailoverTrigger(primary.status) ? sendFailover('trigger') : failed(3);
    case 'pending': {
      const deadline = primaryDeadline(config, primary);
      if (!deadline) return inProgress();
      if (now.getTime() < deadline.getTime()) return inProgress({ kind: 'recheck', at: deadline });
      return config.hasFailoverStep ? sendFailover('ttl_expired') : failed(2);
    }
  }
}

function decideBoth(config: FlowConfig, primary: StepState, failover: StepState, now: Date): FlowDecision {
  const p = effectiveOutcome(config, primary, now);
  const f = effectiveOutcome(config, failover, now);

  if (p === 'success') {
    if (isSeen(primary.status) || !failoverOnDeliveredApplies(config, primary)) return succeeded();
    // fod: the failover went out because the primary was not SEEN; wait for its outcome
    return f === 'pending' ? inProgress() : succeeded();
  }
  if (f === 'success') return succeeded();
  if (p === 'failure' && f === 'failure') {
    if (failover.sendError === 'insufficient_balance' || (!failover.sendError && isUnsent(failover.status))) {
      return failed(1);
    }
    return failed(failover.sendError === 'unavailable' ? 0 : 2);
  }
  return inProgress();
}

export function decideFlow(config: FlowConfig, steps: readonly StepState[], now: Date): FlowDecision {
  const primary = steps.find((s) => s.role === 'primary');
  if (!primary) throw new Error('decideFlow: a flow always has its primary step');
  const failover = steps.find((s) => s.role === 'failover');
  return failover ? decideBoth(config, primary, failover, now) : decidePrimaryOnly(config, primary, now);
}
