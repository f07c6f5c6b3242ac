import { statement } from './statement';

/** the idempotency_records table (IdempotencyStore) */

export const INSERT_CLAIM = statement<
  [apiKeyId: string, key: string, requestHash: string, flowId: string],
  { flow_id: string }
>(
  'idempotency_insert_claim',
  `INSERT INTO idempotency_records (api_key_id, key, request_hash, flow_id, claimed_at) VALUES ($1, $2, $3, $4, now())
   ON CONFLICT (api_key_id, key) DO NOTHING RETURNING flow_id`,
);

export const RECORD = statement<
  [apiKeyId: string, key: string, staleAfterMs: string],
  { request_hash: string; response: unknown; response_status: number | null; stale: boolean }
>(
  'idempotency_record',
  `SELECT request_hash, response, response_status, claimed_at < now() - ($3 || ' milliseconds')::interval AS stale
     FROM idempotency_records WHERE api_key_id = $1 AND key = $2`,
);

export const TAKE_OVER = statement<
  [apiKeyId: string, key: string, requestHash: string, staleAfterMs: string],
  { flow_id: string }
>(
  'idempotency_take_over',
  `UPDATE idempotency_records SET claimed_at = now()
    WHERE api_key_id = $1 AND key = $2 AND request_hash = $3 AND response_status IS NULL
      AND claimed_at < now() - ($4 || ' milliseconds')::interval
    RETURNING flow_id`,
);

export const COMPLETE = statement<[apiKeyId: string, key: string, flowId: string, status: number, response: string]>(
  'idempotency_complete',
  `UPDATE idempotency_records SET response_status = $4, response = $5 WHERE api_key_id = $1 AND key = $2 AND flow_id = $3`,
);

/** frees the key of a request that failed before its flow existed */
export const RELEASE = statement<[apiKeyId: string, key: string, flowId: string], { key: string }>(
  'idempotency_release',
  `DELETE FROM idempotency_records
    WHERE api_key_id = $1 AND key = $2 AND flow_id = $3 AND response_status IS NULL
      AND NOT EXISTS (SELECT 1 FROM flows WHERE id = $3)
    RETURNING key`,
);

export const EXPIRE_CLAIM = statement<[apiKeyId: string, key: string, flowId: string]>(
  'idempotency_expire_claim',
  `UPDATE idempotency_records SET claimed_at = '-infinity' WHERE api_key_id = $1 AND key = $2 AND flow_id = $3 AND response_status IS NULL`,
);

export const PURGE = statement<[maxAgeMs: string, limit: number], { n: number }>(
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
);
