import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { ApiKeyEntity } from './entities/api-key.entity';

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
    const repo = this.db.getRepository(ApiKeyEntity);
    const saved = await repo.save(repo.create({ name, keyHash, keyPrefix }));
    return toRecord(saved);
  }

  async list(): Promise<ApiKeyRecord[]> {
    const rows = await this.db.getRepository(ApiKeyEntity).find({ order: { createdAt: 'ASC' } });
    return rows.map(toRecord);
  }

  /** Returns false when there is no such active key. */
  async revoke(id: string): Promise<boolean> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return false;
    const result = await this.db.getRepository(ApiKeyEntity).update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
    return (result.affected ?? 0) > 0;
  }

  async findActiveByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const row = await this.db.getRepository(ApiKeyEntity).findOneBy({ keyHash, revokedAt: IsNull() });
    return row ? toRecord(row) : null;
  }

  async countActive(): Promise<number> {
    return this.db.getRepository(ApiKeyEntity).countBy({ revokedAt: IsNull() });
  }
}

function toRecord(e: ApiKeyEntity): ApiKeyRecord {
  return { id: e.id, name: e.name, keyPrefix: e.keyPrefix, createdAt: e.createdAt, revokedAt: e.revokedAt };
}
