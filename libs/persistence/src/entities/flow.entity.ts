import { Check, Column, CreateDateColumn, Entity, Index, OneToMany, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Channel } from '@app/flow';
import type { StepEntity } from './step.entity';

/**
 * One step of a flow as the integrator defined it (normalised), kept to send
 * it later: a union on `type`, so that each channel's fields are known to
 * exist where the step is read. Stored as is in `flows.definition` (jsonb).
 */
export type StepDefinition = ViberOtpStepDefinition | SmsStepDefinition | ViberStepDefinition | VoiceStepDefinition;

/** which surface made the flow: Failover OTP (`/otp/*`) or Routee's Failover API (`/failover*`) */
export type FlowKind = 'otp' | 'failover';

/** the Failover API's callback strategies (https://docs.routee.net/reference/send-a-failover-message) */
export type CallbackStrategy = 'OnStep' | 'OnCompletion';

/** where a flow's code check stands (migration Verification); expired and too many attempts are read from the time and the count */
export type VerificationStatus = 'pending' | 'approved' | 'canceled';

interface StepDefinitionBase {
  /** the number dialled or messaged, digits only */
  to: string;
  order: number;
  /** seconds (the Failover API's minutes are converted on the way in) */
  ttl: number;
  label?: string;
  /**
   * the Failover API's trigger statuses as the integrator wrote them (or the
   * channel's defaults); absent on Failover OTP steps, whose triggers are fixed
   */
  failoverOnStatuses?: string[];
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
  /** flash and transcode: the Failover API's, kept for the tracking object */
  message: { body: string; flash?: boolean; transcode?: boolean };
}

/** the Failover API's Viber message (Routee's POST /viber) */
export interface ViberStepDefinition extends StepDefinitionBase {
  type: 'Viber';
  senderInfoTrackingId: string;
  expireOnDelivery: boolean;
  inboundUrl?: string;
  message: {
    text?: string;
    imageUrl?: string;
    action?: { caption: string; targetUrl: string };
    viberFile?: { fileName: string; fileType: string; fileUrl: string };
  };
}

export type VoiceVerbDefinition =
  | { type: 'PLAY'; fileURL: string; repeat?: number; bargeIn?: boolean }
  | { type: 'SAY'; message: { language: string; gender: string; text: string }; repeat?: number; bargeIn?: boolean };

/** the Failover API's Voice call (Routee's Voice conversation API); `to` is `address.phone`'s digits */
export interface VoiceStepDefinition extends StepDefinitionBase {
  type: 'Voice';
  from: string;
  /** as the integrator gave it: only `phone` is dialled, viber and sip are stored */
  address: { phone: string; viber?: string; sip?: string };
  dialPlan: { verbs: VoiceVerbDefinition[] };
  machineDetection?: { strategy: 'Hangup' | 'Continue'; eventUrl?: string };
}

@Entity({ name: 'flows' })
@Check('ck_flows_kind', `kind IN ('otp', 'failover')`)
@Check('ck_flows_callback_strategy', `callback_strategy IN ('OnStep', 'OnCompletion')`)
@Check('ck_flows_verification_status', `verification_status IN ('pending', 'approved', 'canceled')`)
// The Failover API search's indexes on flows (migration FailoverSearchIndexes; those on the messages' values are on
// failover_search, migration FailoverSearchTable): partial, beyond what TypeORM can declare; named here only to keep
// `migration:generate` from dropping them.
@Index('ix_flows_failover_created_at_id', { synchronize: false })
@Index('ix_flows_failover_status_created_at', { synchronize: false })
@Index('ix_flows_failover_termination_created_at', { synchronize: false })
// the Failover OTP flows by created_at, read by the stats rollup (migration StatsRollup)
@Index('ix_flows_otp_created_at', { synchronize: false })
// the final flows whose secrets are still kept, by updated_at, read by retention (migration Retention)
@Index('ix_flows_secrets_due', { synchronize: false })
@Check('ck_flows_termination_channel', `termination_channel IN ('viber', 'sms', 'voice')`)
export class FlowEntity {
  @PrimaryColumn('uuid')
  id: string;

  /** Queued (Failover API only) | InProgress | Succeeded | Failed */
  @Column({ type: 'text' })
  status: string;

  @Column({ type: 'text', default: 'otp' })
  kind: FlowKind;

  /** the Failover API's callback.strategy; null on Failover OTP flows (their webhooks report every change) */
  @Column({ name: 'callback_strategy', type: 'text', nullable: true })
  callbackStrategy: CallbackStrategy | null;

  @Column({ name: 'status_code', type: 'smallint', nullable: true })
  statusCode: number | null;

  /** the steps in `order`: Failover OTP's [primary, failover?], the Failover API's 1 to N */
  @Column({ type: 'jsonb' })
  definition: StepDefinition[];

  @Column({ name: 'failover_on_delivered', type: 'boolean', default: false })
  failoverOnDelivered: boolean;

  @Column({ name: 'callback_url', type: 'text', nullable: true })
  callbackUrl: string | null;

  /** why the flow failed, when it did */
  @Column({ type: 'text', nullable: true })
  error: string | null;

  /** HMAC-SHA256 (hex) of the flow's code under CODE_SECRET, bound to the flow's id; never the code */
  @Column({ name: 'code_hash', type: 'text', nullable: true })
  codeHash: string | null;

  /** after this, a check answers expired */
  @Column({ name: 'code_expires_at', type: 'timestamptz', nullable: true })
  codeExpiresAt: Date | null;

  /** checks made, counted in Postgres: at most VERIFY_MAX_ATTEMPTS */
  @Column({ name: 'verify_attempts', type: 'integer', default: 0 })
  verifyAttempts: number;

  /** null when the flow has no code (a Failover API flow) */
  @Column({ name: 'verification_status', type: 'text', nullable: true })
  verificationStatus: VerificationStatus | null;

  @Column({ name: 'verified_at', type: 'timestamptz', nullable: true })
  verifiedAt: Date | null;

  /** the channel of the last step once the flow is final (the Failover API's terminationChannel); null before */
  @Column({ name: 'termination_channel', type: 'text', nullable: true })
  terminationChannel: Channel | null;

  /** the code, sealed (AES-256-GCM, @app/engine sealCode) for the steps still to send; erased once the flow is final */
  @Column({ name: 'code_ciphertext', type: 'text', nullable: true })
  codeCiphertext: string | null;

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

  /** when retention erased the pin, the code hash and the message bodies (RETENTION_SECRETS_HOURS); null before */
  @Column({ name: 'secrets_erased_at', type: 'timestamptz', nullable: true })
  secretsErasedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @OneToMany('StepEntity', 'flow')
  steps?: StepEntity[];
}
