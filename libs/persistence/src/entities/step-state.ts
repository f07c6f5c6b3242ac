import type { Channel, SendError, StepRole } from '@app/flow';

/**
 * The values of the steps table's state columns, each mirrored by a CHECK
 * constraint (migration StepStateChecks; test/step-state.e2e-spec.ts holds
 * the two together). A value added here needs a migration that widens its
 * CHECK (as migration FailoverApi did for `voice`).
 */

/** `list`, checked to hold every member of T (a member added to T and not here is a compile error) */
const allOf =
  <T extends string>() =>
  <const L extends readonly T[]>(list: L & ([T] extends [L[number]] ? unknown : never)): L =>
    list;

export const STEP_CHANNELS = allOf<Channel>()(['viber', 'sms', 'voice']);
export const STEP_ROLES = allOf<StepRole>()(['primary', 'failover']);
export const SEND_ERRORS = allOf<SendError>()(['insufficient_balance', 'rejected', 'unavailable']);

/**
 * Where a step's send stands: `sending` (claimed, the Routee call under way;
 * another replica finishes it once `claimed_until` passes), `queued` (nothing
 * went out: Routee's circuit is open; the worker claims it at `claimed_until`),
 * `sent` (Routee took it), `failed` (Routee did not take it: `send_error` says why).
 */
export const SEND_STATES = ['sending', 'queued', 'sent', 'failed'] as const;
export type SendState = (typeof SEND_STATES)[number];
