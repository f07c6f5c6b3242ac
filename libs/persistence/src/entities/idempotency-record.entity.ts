import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** One Idempotency-Key per API key; the first response is replayed for repeats. */
@Entity({ name: 'idempotency_records' })
export class IdempotencyRecordEntity {
  @PrimaryColumn({ name: 'api_key_id', type: 'text' })
  apiKeyId: string;

  @PrimaryColumn({ type: 'text' })
  key: string;

  /** sha256 of the canonical request body */
  @Column({ name: 'request_hash', type: 'text' })
  requestHash: string;

  /** null while the first request is still being handled */
  @Column({ type: 'jsonb', nullable: true })
  response: unknown;

  @Column({ name: 'response_status', type: 'smallint', nullable: true })
  responseStatus: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
