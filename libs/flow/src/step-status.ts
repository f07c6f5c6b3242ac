import type { Channel } from './flow.types';
import {
  failoverStatuses,
  normaliseStatus,
  outcomeIn,
  SMS_SENT_FINAL_VOCABULARY,
  VIBER_VOCABULARY,
  VOICE_VOCABULARY,
  type Vocabulary,
} from './step-vocabulary';

/**
 * How one step's Routee status counts for the flow (CONTRACT section 4).
 *
 * Routee reports Viber statuses upper case and SMS statuses capitalised; we
 * compare case-insensitively (and ignore surrounding blanks) because the
 * tracking and callback APIs have not always agreed on the casing (seed 002
 * itself shows a `queued` step).
 *
 * Decision (contract silent): `Rejected`/`REJECTED` is a terminal failure that
 * is not a failover trigger. Routee's failover service only moves on for the
 * statuses listed in `failoverOnStatuses` (seed 003), so a rejection ends a
 * two-step flow `Failed` 3 ("not failover triggered") and a one-step flow
 * `Failed` 2. Treating it as pending instead would leave the flow hanging until
 * the TTL and then fail over on a status Routee says is final.
 */
export type StepOutcome = 'success' | 'failure' | 'pending';

/** Failover OTP's vocabulary per channel (step-vocabulary.ts): SMS `Sent` is final there, Viber `SENT` is only "handed to Viber"; Voice is the Failover API's */
const OTP_VOCABULARY: Record<Channel, Vocabulary> = {
  sms: SMS_SENT_FINAL_VOCABULARY,
  viber: VIBER_VOCABULARY,
  voice: VOICE_VOCABULARY,
};

/** Failover OTP's triggers, on either channel: Routee's Viber defaults (https://docs.routee.net/reference/send-a-failover-message) */
export const OTP_FAILOVER_TRIGGERS: ReadonlySet<string> = failoverStatuses(['Expired', 'Failed', 'Undelivered']);

export function classifyStatus(channel: Channel, status: string): StepOutcome {
  return outcomeIn(OTP_VOCABULARY[channel], status);
}

/** EXPIRED, FAILED, UNDELIVERED in any case, on either channel (CONTRACT section 4) */
export function isFailoverTrigger(status: string): boolean {
  return OTP_FAILOVER_TRIGGERS.has(normaliseStatus(status));
}

/** CONTRACT section 4 reads `Unsent` like Routee's insufficient balance: statusCode 1, no failover */
export function isUnsent(status: string): boolean {
  return normaliseStatus(status) === 'unsent';
}

export function isSeen(status: string): boolean {
  return normaliseStatus(status) === 'seen';
}

/** the status a step carries before Routee reports anything */
export function initialStatus(channel: Channel): 'QUEUED' | 'Queued' {
  return channel === 'viber' ? 'QUEUED' : 'Queued';
}
