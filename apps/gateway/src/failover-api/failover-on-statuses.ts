import { normaliseStatus } from '@app/flow';

export const FAILOVER_STEP_TYPES = ['Sms', 'Viber', 'Voice'] as const;
export type FailoverStepType = (typeof FAILOVER_STEP_TYPES)[number];

/**
 * The statuses a step may name in failoverOnStatuses, and those it gets when it names none (CONTRACT section 10;
 * https://docs.routee.net/reference/send-a-failover-message). Compared case-insensitively (normaliseStatus:
 * `NO_ANSWER` and `No Answer` are NoAnswer too); stored as the integrator wrote them.
 */
export const FAILOVER_ON_STATUSES: Record<
  FailoverStepType,
  { allowed: readonly string[]; defaults: readonly string[] }
> = {
  Sms: { allowed: ['Failed', 'Undelivered'], defaults: ['Undelivered', 'Failed'] },
  Viber: { allowed: ['Expired', 'Failed', 'Undelivered'], defaults: ['Expired', 'Failed', 'Undelivered'] },
  Voice: { allowed: ['Busy', 'NoAnswer', 'Failed', 'Terminated', 'Unsent'], defaults: ['Busy', 'NoAnswer'] },
};

/** the statuses of `given` that a step of `type` may not name */
export function refusedStatuses(type: FailoverStepType, given: readonly unknown[]): unknown[] {
  const allowed = new Set(FAILOVER_ON_STATUSES[type].allowed.map(normaliseStatus));
  return given.filter((status) => typeof status !== 'string' || !allowed.has(normaliseStatus(status)));
}
