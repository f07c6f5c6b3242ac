/**
 * Code verification (POST /otp/verify): what a check answers, from where the
 * flow's verification stands. Pure; the count and the approval are written
 * by the caller in Postgres, where concurrent checks are serialised on the
 * flow's row. Like Twilio Verify and Vonage Verify (which integrators compare
 * with): a bounded number of checks, an expiry, and approval final.
 */

/** the stored state: checks counted so far, until when the code is valid */
export interface VerificationState {
  status: 'pending' | 'approved' | 'canceled';
  attempts: number;
  expiresAt: Date | null;
}

export type VerificationAnswer = 'approved' | 'denied' | 'expired' | 'too_many_attempts' | 'canceled';

/**
 * Before the code is compared: `count` when this check is to be counted and
 * compared (the caller claims the attempt atomically: it may still lose the
 * race for the last one), `compare` when it is compared without counting (an
 * approved flow: the right code answers approved again, a wrong one denied,
 * and nothing changes), else the answer itself.
 */
export function checkGate(
  state: VerificationState,
  now: Date,
  maxAttempts: number,
): 'count' | 'compare' | 'expired' | 'too_many_attempts' | 'canceled' {
  switch (state.status) {
    case 'approved':
      return 'compare';
    case 'canceled':
      return 'canceled';
    case 'pending':
      if (state.expiresAt !== null && now.getTime() >= state.expiresAt.getTime()) return 'expired';
      return state.attempts >= maxAttempts ? 'too_many_attempts' : 'count';
  }
}

/** checks left after `attempts` (never below 0) */
export function attemptsLeft(attempts: number, maxAttempts: number): number {
  return Math.max(0, maxAttempts - attempts);
}
