import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { run } from './sql/statement';
import { COMPLETE, EXPIRE_CLAIM, INSERT_CLAIM, PURGE, RECORD, RELEASE, TAKE_OVER } from './sql/idempotency.statements';

export type IdempotencyClaim =
  /** a new record: this request creates the flow `flowId` */
  | { kind: 'claimed'; flowId: string }
  /** the first request died: this one answers for the flow `flowId`, which it may have created already */
  | { kind: 'taken_over'; flowId: string }
  | { kind: 'replay'; status: number; response: unknown }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

/**
 * Idempotency-Key records (README "Sending"). A record names the flow its
 * first request creates, chosen before the claim: a retry that takes over
 * the claim of a request that died finds that flow, or creates it under the
 * same id, and the flow's primary key admits one flow a key whatever races.
 */
@Injectable()
export class IdempotencyStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Claims (apiKeyId, key) for this request body and the flow `flowId`, or
   * tells what the first request did. A claim older than `staleAfterMs` that
   * never got its answer is taken over (its own flowId comes back): one
   * UPDATE, so of two racing retries only one gets it.
   */
  async claim(
    apiKeyId: string,
    key: string,
    requestHash: string,
    flowId: string,
    staleAfterMs: number,
  ): Promise<IdempotencyClaim> {
    const inserted = await run(this.db, INSERT_CLAIM, [apiKeyId, key, requestHash, flowId]);
    if (inserted.length > 0) return { kind: 'claimed', flowId };
    const [existing] = await run(this.db, RECORD, [apiKeyId, key, String(staleAfterMs)]);
    if (!existing) return this.claim(apiKeyId, key, requestHash, flowId, staleAfterMs); // released meanwhile
    if (existing.request_hash !== requestHash) return { kind: 'mismatch' };
    if (existing.response_status !== null)
      return { kind: 'replay', status: existing.response_status, response: existing.response };
    if (!existing.stale) return { kind: 'in_progress' };
    const [taken] = await run(this.db, TAKE_OVER, [apiKeyId, key, requestHash, String(staleAfterMs)]);
    // another retry took it over (or answered it) first: look again
    if (!taken) return this.claim(apiKeyId, key, requestHash, flowId, staleAfterMs);
    return { kind: 'taken_over', flowId: taken.flow_id };
  }

  async complete(apiKeyId: string, key: string, flowId: string, status: number, response: unknown): Promise<void> {
    await run(this.db, COMPLETE, [apiKeyId, key, flowId, status, JSON.stringify(response)]);
  }

  /**
   * The request holding the claim for `flowId` failed. Before its flow
   * existed, nothing was accepted: the key is freed and a retry starts over.
   * Once the flow exists, the key stays with it, and the claim is made stale
   * at once: the next retry takes it over and answers from the flow instead
   * of waiting IDEMPOTENCY_CLAIM_MS.
   */
  async release(apiKeyId: string, key: string, flowId: string): Promise<void> {
    const freed = await run(this.db, RELEASE, [apiKeyId, key, flowId]);
    if (freed.length > 0) return;
    await run(this.db, EXPIRE_CLAIM, [apiKeyId, key, flowId]);
  }

  /**
   * Deletes up to `limit` records created more than `maxAgeMs` ago, oldest
   * first (ix_idempotency_records_created_at); returns how many.
   */
  async purgeOlderThan(maxAgeMs: number, limit: number): Promise<number> {
    const [row] = await run(this.db, PURGE, [String(maxAgeMs), limit]);
    return row.n;
  }
}
