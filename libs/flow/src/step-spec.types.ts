/**
 * An N-step flow as `decideSteps` sees it: the ordered step definitions, the
 * steps that exist so far, and the decision. Failover OTP is the two-step case
 * (https://docs.routee.net/reference/send-a-failover-otp-message); Routee's
 * Failover API is the general one (https://docs.routee.net/reference/send-a-failover-message).
 * Pure data: no Nest, no I/O.
 */
import type { FlowStatusCode, SendError } from './flow.types';

/**
 * The step kinds. `viber-otp` is Failover OTP's Viber template message;
 * `viber`, `sms` and `voice` are the Failover API's steps. An `sms` step
 * serves both surfaces, which read SMS `Sent` differently (SmsStepSpec).
 */
export type StepChannel = 'viber-otp' | 'viber' | 'sms' | 'voice';

interface StepSpecBase {
  /**
   * The statuses that hand over to the next step, normalised (see
   * `failoverStatuses`). A terminal failure outside this set ends the flow.
   */
  failoverOnStatuses: ReadonlySet<string>;
  /**
   * Seconds after `sentAt` a step still pending counts as EXPIRED, and the
   * length of the delivery windows below; null: no local expiry (Routee ends
   * the step itself), and no windows.
   */
  ttlSec: number | null;
}

/** Failover OTP's Viber step. */
export interface ViberOtpStepSpec extends StepSpecBase {
  channel: 'viber-otp';
  /** DELIVERED but not SEEN `ttlSec` after delivery → the next step is sent; the delivery still counts */
  failoverOnDelivered: boolean;
}

/** The Failover API's Viber step. */
export interface ViberStepSpec extends StepSpecBase {
  channel: 'viber';
  /** Delivered but not Seen `ttlSec` after delivery → the step counts as Expired (a failure) */
  expireOnDelivery: boolean;
}

/**
 * An SMS step. Failover OTP counts `Sent` as a success (the operator took
 * it); the Failover API does not, since Routee's SMS statuses say a Sent SMS
 * "doesn't know yet if it has been delivered" (https://docs.routee.net/docs/statuses-callbacks).
 */
export interface SmsStepSpec extends StepSpecBase {
  channel: 'sms';
  sentIsSuccess: boolean;
}

export interface VoiceStepSpec extends StepSpecBase {
  channel: 'voice';
}

export type StepSpec = ViberOtpStepSpec | ViberStepSpec | SmsStepSpec | VoiceStepSpec;

/** One step that exists (its row was written), by its position in the definition. */
export interface StepProgress {
  /** 0-based position in the definition; the steps that exist are always 0..k */
  index: number;
  /** Routee's status name as reported (Queued before any report); compared case-insensitively */
  status: string;
  /** set when the send itself failed; the step then never reached Routee */
  sendError: SendError | null;
  /** when Routee accepted the send; null while the send is under way (or never was) */
  sentAt: Date | null;
  /** when the step was first seen delivered (the delivery windows run from here) */
  deliveredAt: Date | null;
}

/**
 * Routee's Failover statuses (https://docs.routee.net/docs/failover-statuses).
 * `Queued`: accepted, no step handed to Routee yet. Failover OTP has no
 * Queued and reads it as InProgress.
 */
export type FailoverStatus = 'Queued' | 'InProgress' | 'Succeeded' | 'Failed';

/** why a step is to be sent */
export type SendReason =
  | 'start' // no step exists yet: the first one
  | 'trigger' // the previous step ended on one of its failoverOnStatuses
  | 'ttl_expired' // the previous step was still pending ttl after it was sent (counts as Expired)
  | 'expired_on_delivery' // the previous Viber step was Delivered, not Seen, ttl after delivery (counts as Expired)
  | 'not_seen' // the previous Viber OTP step was DELIVERED, not SEEN, ttl after delivery (failoverOnDelivered)
  | 'send_error'; // Routee refused or could not take the previous step (other than balance)

export type StepsNext =
  { kind: 'send_step'; index: number; reason: SendReason } | { kind: 'recheck'; at: Date } | { kind: 'none' };

export interface StepsDecision {
  status: FailoverStatus;
  /** non-null iff status is Failed: 0 Routee unreachable, 1 insufficient balance, 2 no next step, 3 not failover triggered */
  statusCode: FlowStatusCode;
  next: StepsNext;
}
