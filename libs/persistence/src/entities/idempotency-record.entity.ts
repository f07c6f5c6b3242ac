import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** One Idempotency-Key per API key; the first response is replayed for repeats. Purged after a day (by created_at). */
@Entity({ name: 'idempotency_records' })
@Index('ix_idempotency_records_created_at', ['createdAt'])
export class IdempotencyRecordEntity {
  @PrimaryColumn({ name: 'api_key_id', type: 'text' })
  apiKeyId: string;

  @PrimaryColumn({ type: 'text' })
  key: string;

  /** sha256 of the canonical request body */
  @Column({ name: 'request_hash', type: 'text' })
  requestHash: string;

  /**
   * the flow the first request creates: chosen before the claim, so that a
   * retry taking over a dead claim finds (or creates) that one flow. The
   * default only serves replicas of the previous version (migration IdempotencyClaims).
   */
  @Column({ name: 'flow_id', type: 'uuid', default: () => 'gen_random_uuid()' })
  flowId: string;

  /** when the key was claimed, by the first request or a retry that took it over (IDEMPOTENCY_CLAIM_MS) */
  @Column({ name: 'claimed_at', type: 'timestamptz', default: () => 'now()' })
  claimedAt: Date;

  /** null while the first request is still being handled */
  @Column({ type: 'jsonb', nullable: true })
  response: unknown;

  @Column({ name: 'response_status', type: 'smallint', nullable: true })
  responseStatus: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
