/**
 * What each step kind's Routee statuses mean for the flow: success, terminal
 * failure, or still pending (anything else, so a status Routee adds later
 * waits for the ttl instead of ending the flow).
 *
 * - Viber (both kinds): DELIVERED/SEEN succeed (https://docs.routee.net/docs/viber-messaging-statuses).
 * - SMS: Delivered succeeds; Sent only where the step says so (SmsStepSpec)
 *   (https://docs.routee.net/docs/statuses-callbacks).
 * - Voice: Completed succeeds; Busy, NoAnswer, Failed, Terminated, Unsent
 *   fail (the Failover API's names, https://docs.routee.net/reference/send-a-failover-message;
 *   the call states at https://docs.routee.net/docs/call-flow write "No Answer",
 *   which normalises to the same name).
 *
 * Decision: `Rejected` is a terminal failure of a message step, and no default
 * trigger (see step-status.ts).
 */
import type { StepSpec } from './step-spec.types';
import type { StepOutcome } from './step-status';

export interface Vocabulary {
  success: ReadonlySet<string>;
  failure: ReadonlySet<string>;
}

/**
 * Case, surrounding blanks and inner blanks/underscores do not count: Routee's
 * tracking and callback APIs have not always agreed on the casing, and Voice
 * writes NoAnswer as "No Answer" in places.
 */
export function normaliseStatus(status: string): string {
  return status
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '');
}

/** a normalised status set, e.g. a step's failoverOnStatuses as the integrator wrote them */
export function failoverStatuses(names: Iterable<string>): ReadonlySet<string> {
  return new Set([...names].map(normaliseStatus));
}

const MESSAGE_FAILURES = failoverStatuses(['Failed', 'Undelivered', 'Expired', 'Unsent', 'Rejected']);

export const VIBER_VOCABULARY: Vocabulary = {
  success: failoverStatuses(['Delivered', 'Seen']),
  failure: MESSAGE_FAILURES,
};
/** Failover OTP's SMS: Sent is final */
export const SMS_SENT_FINAL_VOCABULARY: Vocabulary = {
  success: failoverStatuses(['Delivered', 'Sent']),
  failure: MESSAGE_FAILURES,
};
/** the Failover API's SMS: Sent is still pending */
export const SMS_VOCABULARY: Vocabulary = { success: failoverStatuses(['Delivered']), failure: MESSAGE_FAILURES };
export const VOICE_VOCABULARY: Vocabulary = {
  success: failoverStatuses(['Completed']),
  failure: failoverStatuses(['Busy', 'NoAnswer', 'Failed', 'Terminated', 'Unsent']),
};

export function vocabularyOf(spec: StepSpec): Vocabulary {
  switch (spec.channel) {
    case 'viber-otp':
    case 'viber':
      return VIBER_VOCABULARY;
    case 'sms':
      return spec.sentIsSuccess ? SMS_SENT_FINAL_VOCABULARY : SMS_VOCABULARY;
    case 'voice':
      return VOICE_VOCABULARY;
  }
}

export function outcomeIn(vocabulary: Vocabulary, status: string): StepOutcome {
  const s = normaliseStatus(status);
  if (vocabulary.success.has(s)) return 'success';
  if (vocabulary.failure.has(s)) return 'failure';
  return 'pending';
}

/** the step's reported status as its own kind reads it (timers and send errors aside) */
export function stepStatusOutcome(spec: StepSpec, status: string): StepOutcome {
  return outcomeIn(vocabularyOf(spec), status);
}
