import { statement } from './statement';

/** the api_keys table (ApiKeyStore) */

export interface ApiKeyRow {
  id: string;
  name: string;
  key_prefix: string;
  created_at: Date;
  revoked_at: Date | null;
}

const COLUMNS = `id, name, key_prefix, created_at, revoked_at`;

export const INSERT_KEY = statement<[name: string, keyHash: string, keyPrefix: string], ApiKeyRow>(
  'api_keys_insert',
  `INSERT INTO api_keys (name, key_hash, key_prefix) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
);

export const ALL_KEYS = statement<[], ApiKeyRow>('api_keys_all', `SELECT ${COLUMNS} FROM api_keys ORDER BY created_at`);

export const REVOKE_KEY = statement<[id: string], { id: string }>(
  'api_keys_revoke',
  `UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id`,
);

export const ACTIVE_KEY_BY_HASH = statement<[keyHash: string], ApiKeyRow>(
  'api_keys_active_by_hash',
  `SELECT ${COLUMNS} FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL LIMIT 1`,
);

export const COUNT_ACTIVE_KEYS = statement<[], { n: number }>(
  'api_keys_count_active',
  `SELECT count(*)::int AS n FROM api_keys WHERE revoked_at IS NULL`,
);
