import { Column, CreateDateColumn, Entity, Index, OneToMany, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { StepEntity } from './step.entity';

/**
 * One step of a flow as the integrator defined it (normalised), kept to send
 * it later: a union on `type`, so that each channel's fields are known to
 * exist where the step is read. Stored as is in `flows.definition` (jsonb).
 */
export type StepDefinition = ViberOtpStepDefinition | SmsStepDefinition;

interface StepDefinitionBase {
  to: string;
  order: number;
  ttl: number;
  label?: string;
}

export interface ViberOtpStepDefinition extends StepDefinitionBase {
  type: 'ViberOtp';
  failoverOnDelivered?: boolean;
  senderInfoTrackingId: string;
  templateId: string;
  templateLang?: string;
  templateType?: string;
  /** pin and the template parameters, as sent to Routee */
  templateParams?: Record<string, string | number>;
}

export interface SmsStepDefinition extends StepDefinitionBase {
  type: 'Sms';
  from: string;
  message: { body: string };
}

@Entity({ name: 'flows' })
export class FlowEntity {
  @PrimaryColumn('uuid')
  id: string;

  /** InProgress | Succeeded | Failed */
  @Column({ type: 'text' })
  status: string;

  @Column({ name: 'status_code', type: 'smallint', nullable: true })
  statusCode: number | null;

  /** the steps in `order`: [primary, failover?] */
  @Column({ type: 'jsonb' })
  definition: StepDefinition[];

  @Column({ name: 'failover_on_delivered', type: 'boolean', default: false })
  failoverOnDelivered: boolean;

  @Column({ name: 'callback_url', type: 'text', nullable: true })
  callbackUrl: string | null;

  /** why the flow failed, when it did */
  @Column({ type: 'text', nullable: true })
  error: string | null;

  /** the API key that created it */
  @Column({ name: 'api_key_id', type: 'text', nullable: true })
  apiKeyId: string | null;

  /** when the engine must look at this flow again; null once final */
  @Index('ix_flows_next_check_at', { where: 'next_check_at IS NOT NULL' })
  @Column({ name: 'next_check_at', type: 'timestamptz', nullable: true })
  nextCheckAt: Date | null;

  /**
   * What the integrator was last told about (a digest of statuses and
   * trackingIds): a webhook event is written when the state moves past it.
   * Null until the send response, which is the initial state, was recorded.
   */
  @Column({ name: 'webhook_state', type: 'text', nullable: true })
  webhookState: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @OneToMany('StepEntity', 'flow')
  steps?: StepEntity[];
}
