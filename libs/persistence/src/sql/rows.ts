import type { Channel, SendError, StepRole } from '@app/flow';
import type { CallbackStrategy, FlowKind, StepDefinition, VerificationStatus } from '../entities/flow.entity';
import { StepEntity } from '../entities/step.entity';
import type { SendState } from '../entities/step-state';

/** a steps row, every column, as pg gives it */
export interface StepRow {
  id: string;
  flow_id: string;
  step_order: number;
  role: StepRole;
  channel: Channel;
  phone_number: string;
  label: string | null;
  tracking_id: string | null;
  status: string;
  send_state: SendState;
  send_error: SendError | null;
  claimed_until: Date | null;
  detailed_status: string | null;
  error_message: string | null;
  price: number | null;
  latency_ms: number | null;
  country: string | null;
  operator: string | null;
  message_id: string | null;
  duration_sec: number | null;
  answered_by: string | null;
  created_at: Date;
  sent_at: Date | null;
  delivered_at: Date | null;
  status_updated_at: Date | null;
  checked_at: Date | null;
}

/** a step's columns that tell whether Routee may still report on it, with its flow's status (TRACKED_STEPS_OF_FLOWS) */
export type TrackedStepRow = Pick<StepRow, 'id' | 'flow_id' | 'channel' | 'status' | 'send_state' | 'tracking_id'> & {
  flow_status: string;
};

/** a flows row's columns, prefixed f_ so they can share a row with a step's */
export interface FlowColumns {
  f_id: string;
  f_status: string;
  f_kind: FlowKind;
  f_callback_strategy: CallbackStrategy | null;
  f_code_hash: string | null;
  f_code_expires_at: Date | null;
  f_verify_attempts: number;
  f_verification_status: VerificationStatus | null;
  f_verified_at: Date | null;
  f_code_ciphertext: string | null;
  f_status_code: number | null;
  f_definition: StepDefinition[];
  f_failover_on_delivered: boolean;
  f_callback_url: string | null;
  f_error: string | null;
  f_api_key_id: string | null;
  f_next_check_at: Date | null;
  f_webhook_state: string | null;
  f_created_at: Date;
  f_updated_at: Date;
}

/** a flow with one of its steps: one row per step */
export type FlowStepRow = FlowColumns & StepRow;

/** the select list of a FlowStepRow from `flows f JOIN steps s` */
export const FLOW_STEP_COLUMNS = `f.id AS f_id, f.status AS f_status, f.kind AS f_kind, f.callback_strategy AS f_callback_strategy,
       f.code_hash AS f_code_hash, f.code_expires_at AS f_code_expires_at, f.verify_attempts AS f_verify_attempts,
       f.verification_status AS f_verification_status, f.verified_at AS f_verified_at, f.code_ciphertext AS f_code_ciphertext, f.status_code AS f_status_code, f.definition AS f_definition,
       f.failover_on_delivered AS f_failover_on_delivered, f.callback_url AS f_callback_url, f.error AS f_error, f.api_key_id AS f_api_key_id,
       f.next_check_at AS f_next_check_at, f.webhook_state AS f_webhook_state, f.created_at AS f_created_at, f.updated_at AS f_updated_at,
       s.id, s.flow_id, s.step_order, s.role, s.channel, s.phone_number, s.label, s.tracking_id, s.status, s.send_state, s.send_error, s.claimed_until,
       s.detailed_status, s.error_message, s.price, s.latency_ms, s.country, s.operator, s.message_id, s.duration_sec, s.answered_by, s.created_at, s.sent_at, s.delivered_at, s.status_updated_at,
       s.checked_at`;

/** a steps row as selected (snake_case columns) */
export function stepOf(r: StepRow): StepEntity {
  return Object.assign(new StepEntity(), {
    id: r.id,
    flowId: r.flow_id,
    order: r.step_order,
    role: r.role,
    channel: r.channel,
    phoneNumber: r.phone_number,
    label: r.label,
    trackingId: r.tracking_id,
    status: r.status,
    sendState: r.send_state,
    sendError: r.send_error,
    claimedUntil: r.claimed_until,
    detailedStatus: r.detailed_status,
    errorMessage: r.error_message,
    price: r.price,
    latencyMs: r.latency_ms,
    country: r.country,
    operator: r.operator,
    messageId: r.message_id,
    durationSec: r.duration_sec,
    answeredBy: r.answered_by,
    createdAt: r.created_at,
    sentAt: r.sent_at,
    deliveredAt: r.delivered_at,
    statusUpdatedAt: r.status_updated_at,
    checkedAt: r.checked_at,
  });
}
