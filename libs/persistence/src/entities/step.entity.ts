import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import type { Channel, SendError, StepRole } from '@app/flow';
import type { FlowEntity } from './flow.entity';
import type { SendState } from './step-state';

/**
 * A delivery: one message sent (or being sent) to Routee for a flow.
 * The row is written before the Routee call; (flow_id, step_order) is
 * unique, which is what makes each next step exactly-once.
 */
@Entity({ name: 'steps' })
@Unique('uq_steps_flow_step_order', ['flowId', 'order'])
// the state columns' values (entities/step-state.ts; migration StepStateChecks)
@Check('ck_steps_channel', `channel IN ('viber', 'sms', 'voice')`)
@Check('ck_steps_role', `role IN ('primary', 'failover')`)
@Check('ck_steps_send_state', `send_state IN ('sending', 'queued', 'sent', 'failed')`)
@Check('ck_steps_send_error', `send_error IN ('insufficient_balance', 'rejected', 'unavailable')`)
@Check('ck_steps_step_order', `step_order >= 1`)
@Index('ix_steps_queued_claimed_until', ['claimedUntil'], {
  where: "send_state = 'queued' AND claimed_until IS NOT NULL",
})
// The deliveries list's indexes (migration DeliveryListIndexes): DESC columns, an expression and
// pg_trgm GIN are beyond what TypeORM can declare, so they are named here only to keep
// `migration:generate` from dropping them.
@Index('ix_steps_created_at_id', { synchronize: false })
@Index('ix_steps_status_lower_created_at', { synchronize: false })
@Index('ix_steps_phone_number_trgm', { synchronize: false })
@Index('ix_steps_label_trgm', { synchronize: false })
// the per-phone rate limit's (phone_number, created_at DESC) WHERE role = 'primary' (migration PhoneRateLimitIndex)
@Index('ix_steps_primary_phone_created_at', { synchronize: false })
export class StepEntity {
  @PrimaryColumn({ type: 'uuid', default: () => 'gen_random_uuid()' })
  id: string;

  @Column({ name: 'flow_id', type: 'uuid' })
  flowId: string;

  @ManyToOne('FlowEntity', 'steps', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'flow_id' })
  flow?: FlowEntity;

  /** the step's position in the flow's definition, from 1 (migration StepOrder) */
  @Column({ name: 'step_order', type: 'integer' })
  order: number;

  @Column({ type: 'text' })
  role: StepRole;

  @Column({ type: 'text' })
  channel: Channel;

  @Column({ name: 'phone_number', type: 'text' })
  phoneNumber: string;

  @Column({ type: 'text', nullable: true })
  label: string | null;

  /** Routee's trackingId (the "message token"); null until Routee accepted the send */
  @Index('uq_steps_tracking_id', { unique: true, where: 'tracking_id IS NOT NULL' })
  @Column({ name: 'tracking_id', type: 'text', nullable: true })
  trackingId: string | null;

  /** Routee's status name as reported (QUEUED/Queued before any report) */
  @Column({ type: 'text' })
  status: string;

  @Column({ name: 'send_state', type: 'text' })
  sendState: SendState;

  /** when sendState = failed */
  @Column({ name: 'send_error', type: 'text', nullable: true })
  sendError: SendError | null;

  /**
   * while sendState = sending: the claim runs out at this time (the sender
   * renews it while its Routee call runs) and another replica may finish the send;
   * while queued: when the worker claims it and sends it.
   * The partial indexes keep the sweep for these sends cheap at millions of rows (their predicates: migration
   * PartialIndexesOffTheKeyPath).
   */
  @Index('ix_steps_sending_claimed_until', { where: "send_state = 'sending' AND claimed_until IS NOT NULL" })
  @Column({ name: 'claimed_until', type: 'timestamptz', nullable: true })
  claimedUntil: Date | null;

  @Column({ name: 'detailed_status', type: 'text', nullable: true })
  detailedStatus: string | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage: string | null;

  @Column({ type: 'double precision', nullable: true })
  price: number | null;

  @Column({ name: 'latency_ms', type: 'integer', nullable: true })
  latencyMs: number | null;

  @Column({ type: 'text', nullable: true })
  country: string | null;

  @Column({ type: 'text', nullable: true })
  operator: string | null;

  /** Voice: the dialled call's message id (the step's trackingId is the conversation's) */
  @Index('ix_steps_message_id', { where: 'message_id IS NOT NULL' })
  @Column({ name: 'message_id', type: 'text', nullable: true })
  messageId: string | null;

  /** Voice: the call's duration in seconds */
  @Column({ name: 'duration_sec', type: 'integer', nullable: true })
  durationSec: number | null;

  /** Voice: HUMAN, MACHINE or UNKNOWN, as Routee's machine detection says */
  @Column({ name: 'answered_by', type: 'text', nullable: true })
  answeredBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt: Date | null;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;

  @Column({ name: 'status_updated_at', type: 'timestamptz', nullable: true })
  statusUpdatedAt: Date | null;

  /**
   * when Routee last told us about the step (a tracking answer or a delivery
   * report; a read's check counts from when it asked): a read asks again
   * only once REFRESH_INTERVAL_MS has passed. Only ever moves forward.
   */
  @Column({ name: 'checked_at', type: 'timestamptz', nullable: true })
  checkedAt: Date | null;
}
