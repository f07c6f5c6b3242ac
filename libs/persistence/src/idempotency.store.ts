import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { preparedQuery } from './prepared-query';

export type IdempotencyClaim =
  /** a new record: this request creates the flow `flowId` */
  | { kind: 'claimed'; flowId: string }
  /** the first request died: this one answers for the flow `flowId`, which it may have created already */
  | { kind: 'taken_over'; flowId: string }
  | { kind: 'replay'; status: number; response: unknown }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

type RecordRow = { request_hash: string; response: unknown; response_status: number | null; stale: boolean };

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
  async claim(apiKeyId: string, key: string, requestHash: string, flowId: string, staleAfterMs: number): Promise<IdempotencyClaim> {
    const inserted = await preparedQuery(
      this.db,
      'idempotency_insert_claim',
      `INSERT INTO idempotency_records (api_key_id, key, request_hash, flow_id, claimed_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (api_key_id, key) DO NOTHING RETURNING flow_id`,
      [apiKeyId, key, requestHash, flowId],
    );
    if (inserted.length > 0) return { kind: 'claimed', flowId };
    const [existing] = (await preparedQuery(
      this.db,
      'idempotency_record',
      `SELECT request_hash, response, response_status, claimed_at < now() - ($3 || ' milliseconds')::interval AS stale
         FROM idempotency_records WHERE api_key_id = $1 AND key = $2`,
      [apiKeyId, key, String(staleAfterMs)],
    )) as RecordRow[];
    if (!existing) return this.claim(apiKeyId, key, requestHash, flowId, staleAfterMs); // released meanwhile
    if (existing.request_hash !== requestHash) return { kind: 'mismatch' };
    if (existing.response_status !== null) return { kind: 'replay', status: existing.response_status, response: existing.response };
    if (!existing.stale) return { kind: 'in_progress' };
    const [taken] = await preparedQuery(
      this.db,
      'idempotency_take_over',
      `UPDATE idempotency_records SET claimed_at = now()
        WHERE api_key_id = $1 AND key = $2 AND request_hash = $3 AND response_status IS NULL
          AND claimed_at < now() - ($4 || ' milliseconds')::interval
        RETURNING flow_id`,
      [apiKeyId, key, requestHash, String(staleAfterMs)],
    );
    // another retry took it over (or answered it) first: look again
    if (!taken) return this.claim(apiKeyId, key, requestHash, flowId, staleAfterMs);
    return { kind: 'taken_over', flowId: taken.flow_id as string };
  }

  async complete(apiKeyId: string, key: string, flowId: string, status: number, response: unknown): Promise<void> {
    await preparedQuery(
      this.db,
      'idempotency_complete',
      `UPDATE idempotency_records SET response_status = $4, response = $5 WHERE api_key_id = $1 AND key = $2 AND flow_id = $3`,
      [apiKeyId, key, flowId, status, JSON.stringify(response)],
    );
  }

  /**
   * The request holding the claim for `flowId` failed. Before its flow
   * existed, nothing was accepted: the key is freed and a retry starts over.
   * Once the flow exists, the key stays with it, and the claim is made stale
   * at once: the next retry takes it over and answers from the flow instead
   * of waiting IDEMPOTENCY_CLAIM_MS.
   */
  async release(apiKeyId: string, key: string, flowId: string): Promise<void> {
    const freed = await preparedQuery(
      this.db,
      'idempotency_release',
      `DELETE FROM idempotency_records
        WHERE api_key_id = $1 AND key = $2 AND flow_id = $3 AND response_status IS NULL
          AND NOT EXISTS (SELECT 1 FROM flows WHERE id = $3)
        RETURNING key`,
      [apiKeyId, key, flowId],
    );
    if (freed.length > 0) return;
    await preparedQuery(
      this.db,
      'idempotency_expire_claim',
      `UPDATE idempotency_records SET claimed_at = '-infinity' WHERE api_key_id = $1 AND key = $2 AND flow_id = $3 AND response_status IS NULL`,
      [apiKeyId, key, flowId],
    );
  }

  /**
   * Deletes up to `limit` records created more than `maxAgeMs` ago, oldest
   * first (ix_idempotency_records_created_at); returns how many.
   */
  async purgeOlderThan(maxAgeMs: number, limit: number): Promise<number> {
    const [row] = await preparedQuery(
      this.db,
      'idempotency_purge',
      `WITH old AS (
         SELECT api_key_id, key FROM idempotency_records
          WHERE created_at < now() - ($1 || ' milliseconds')::interval
          ORDER BY created_at
          LIMIT $2
       ), gone AS (
         DELETE FROM idempotency_records r USING old WHERE r.api_key_id = old.api_key_id AND r.key = old.key RETURNING 1
       )
       SELECT count(*)::int AS n FROM gone`,
      [String(maxAgeMs), limit],
    );
    return row.n as number;
  }
}
