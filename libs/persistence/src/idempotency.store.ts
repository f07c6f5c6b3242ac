import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { IdempotencyRecordEntity } from './entities/idempotency-record.entity';

export type IdempotencyClaim =
  | { kind: 'claimed' }
  | { kind: 'replay'; status: number; response: unknown }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

@Injectable()
export class IdempotencyStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Claims (apiKeyId, key) for this request body, or tells what the first request did. */
  async claim(apiKeyId: string, key: string, requestHash: string): Promise<IdempotencyClaim> {
    const inserted: unknown[] = await this.db.query(
      `INSERT INTO idempotency_records (api_key_id, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT (api_key_id, key) DO NOTHING RETURNING key`,
      [apiKeyId, key, requestHash],
    );
    if (inserted.length > 0) return { kind: 'claimed' };
    const existing = await this.db.getRepository(IdempotencyRecordEntity).findOneBy({ apiKeyId, key });
    if (!existing) return this.claim(apiKeyId, key, requestHash); // released meanwhile
    if (existing.requestHash !== requestHash) return { kind: 'mismatch' };
    if (existing.responseStatus === null) return { kind: 'in_progress' };
    return { kind: 'replay', status: existing.responseStatus, response: existing.response };
  }

  async complete(apiKeyId: string, key: string, status: number, response: unknown): Promise<void> {
    await this.db.getRepository(IdempotencyRecordEntity).update({ apiKeyId, key }, { responseStatus: status, response: response as object });
  }

  /** The first request failed before anything was accepted: let a retry start over. */
  async release(apiKeyId: string, key: string): Promise<void> {
    // IsNull(): a plain `null` here matched nothing (`= NULL`), so a failed first request left its key "in progress" for good
    await this.db.getRepository(IdempotencyRecordEntity).delete({ apiKeyId, key, responseStatus: IsNull() });
  }
}
