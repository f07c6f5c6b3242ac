import type { Channel } from './flow.types';

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

const SUCCESS: Record<Channel, ReadonlySet<string>> = {
  // Routee's SMS `Sent` is final for SMS (handed to the operator, no DLR may follow)
  sms: new Set(['delivered', 'sent']),
  // Viber `SENT` is only "handed to Viber": DELIVERED/SEEN are the outcomes
  viber: new Set(['delivered', 'seen']),
};

const TERMINAL_FAILURE: ReadonlySet<string> = new Set([
  'failed',
  'undelivered',
  'expired',
  'unsent',
  'rejected',
]);

const FAILOVER_TRIGGERS: ReadonlySet<string> = new Set(['expired', 'failed', 'undelivered']);

function normalise(status: string): string {
  return status.trim().toLowerCase();
}

export function classifyStatus(channel: Channel, status: string): StepOutcome {
  const s = normalise(status);
  if (SUCCESS[channel].has(s)) return 'success';
  if (TERMINAL_FAILURE.has(s)) return 'failure';
  return 'pending';
}

/** EXPIRED, FAILED, UNDELIVERED in any case, on either channel (CONTRACT section 4) */
export function isFailoverTrigger(status: string): boolean {
  return FAILOVER_TRIGGERS.has(normalise(status));
}

/** CONTRACT section 4 reads `Unsent` like Routee's insufficient balance: statusCode 1, no failover */
export function isUnsent(status: string): boolean {
  return normalise(status) === 'unsent';
}

export function isSeen(status: string): boolean {
  return normalise(status) === 'seen';
}

/** the status a step carries before Routee reports anything */
export function initialStatus(channel: Channel): 'QUEUED' | 'Queued' {
  return channel === 'viber' ? 'QUEUED' : 'Queued';
}
