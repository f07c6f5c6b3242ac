import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { run } from './sql/statement';
import {
  ACTIVE_KEY_BY_HASH,
  ALL_KEYS,
  COUNT_ACTIVE_KEYS,
  INSERT_KEY,
  REVOKE_KEY,
  type ApiKeyRow,
} from './sql/api-keys.statements';

export interface ApiKeyRecord {
  id: string;
  name: string;
  keyPrefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

@Injectable()
export class ApiKeyStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insert(name: string, keyHash: string, keyPrefix: string): Promise<ApiKeyRecord> {
    const [row] = await run(this.db, INSERT_KEY, [name, keyHash, keyPrefix]);
    return toRecord(row);
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (await run(this.db, ALL_KEYS, [])).map(toRecord);
  }

  /** Returns false when there is no such active key. */
  async revoke(id: string): Promise<boolean> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return false;
    return (await run(this.db, REVOKE_KEY, [id])).length > 0;
  }

  async findActiveByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const [row] = await run(this.db, ACTIVE_KEY_BY_HASH, [keyHash]);
    return row ? toRecord(row) : null;
  }

  async countActive(): Promise<number> {
    const [row] = await run(this.db, COUNT_ACTIVE_KEYS, []);
    return row.n;
  }
}

function toRecord(r: ApiKeyRow): ApiKeyRecord {
  return { id: r.id, name: r.name, keyPrefix: r.key_prefix, createdAt: r.created_at, revokedAt: r.revoked_at };
}
