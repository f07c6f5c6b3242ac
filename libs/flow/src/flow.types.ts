/**
 * The flow state machine's contract (CONTRACT.md section 4, seed 002).
 * Pure data: no Nest, no I/O.
 */

/** a step's channel as stored: Viber (Viber OTP and the Failover API's Viber messages alike), SMS, Voice */
export type Channel = 'viber' | 'sms' | 'voice';
export type StepRole = 'primary' | 'failover';
export type FlowStatus = 'InProgress' | 'Succeeded' | 'Failed';
/** 0 server error, 1 insufficient balance, 2 no next step, 3 not failover triggered */
export type FlowStatusCode = 0 | 1 | 2 | 3 | null;

/** why Routee did not take a send (the step then has no Routee status) */
export type SendError =
  | 'insufficient_balance' // Routee 400001009
  | 'rejected' // Routee refused the request (4xx other than balance)
  | 'unavailable'; // Routee unreachable / 5xx / auth refused, after retries

export interface FlowConfig {
  /** channel of the primary step */
  primaryChannel: Channel;
  /** primary step ttl in seconds */
  primaryTtlSec: number;
  /** whether a failover step is configured */
  hasFailoverStep: boolean;
  /** ViberOtp only: fail over when DELIVERED but not SEEN ttl seconds after delivery */
  failoverOnDelivered: boolean;
}

export interface StepState {
  role: StepRole;
  channel: Channel;
  /** Routee's status name as reported (Queued/QUEUED before any report); compare case-insensitively */
  status: string;
  /** set when the send itself failed; the step then never reached Routee */
  sendError: SendError | null;
  /** when Routee accepted the send (null if it never did) */
  sentAt: Date | null;
  /** when the step was first seen DELIVERED/Delivered (for failoverOnDelivered) */
  deliveredAt: Date | null;
}

export type NextAction =
  | { kind: 'send_failover'; reason: 'trigger' | 'ttl_expired' | 'not_seen' | 'send_error' }
  | { kind: 'recheck'; at: Date }
  | { kind: 'none' };

export interface FlowDecision {
  status: FlowStatus;
  statusCode: FlowStatusCode;
  next: NextAction;
}
