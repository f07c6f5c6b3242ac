import { Column, CreateDateColumn, Entity, Generated, Index, PrimaryColumn } from 'typeorm';

/**
 * The webhook outbox: one row per event, written in the same transaction as
 * the change it reports, delivered by the dispatcher until a 2xx or dead.
 */
@Entity({ name: 'webhook_events' })
@Index('ix_webhook_events_flow_seq', ['flowId', 'seq'])
@Index('ix_webhook_events_due', ['nextAttemptAt'], { where: `state = 'pending'` })
@Index('ix_webhook_events_delivering', ['claimedUntil'], { where: `state = 'delivering'` })
export class WebhookEventEntity {
  /** sent as X-Webhook-Id: stable across retries */
  @PrimaryColumn({ type: 'uuid', default: () => 'gen_random_uuid()' })
  id: string;

  /** global order of creation; events of one flow are delivered in this order */
  @Column({ type: 'bigint' })
  @Generated('increment')
  seq: string;

  @Column({ name: 'flow_id', type: 'uuid' })
  flowId: string;

  /** step.status_changed | failover.sent */
  @Column({ type: 'text' })
  type: string;

  @Column({ type: 'text' })
  url: string;

  /** the tracking body at the time of the event */
  @Column({ type: 'jsonb' })
  payload: unknown;

  /** pending | delivering | delivered | dead */
  @Column({ type: 'text', default: 'pending' })
  state: string;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt: Date;

  /** while delivering: after this another dispatcher may take the event over */
  @Column({ name: 'claimed_until', type: 'timestamptz', nullable: true })
  claimedUntil: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'last_status_code', type: 'integer', nullable: true })
  lastStatusCode: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;
}
