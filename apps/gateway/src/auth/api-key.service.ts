import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ApiKeyStore, generateKey, hashKey, keyPrefix, type ApiKeyRecord } from '@app/persistence';
import { GATEWAY_CONFIG } from '../gateway-config.provider';
import type { GatewayConfig } from '@app/config';

export interface Caller {
  /** api key id, or `env:<n>` for a GATEWAY_API_KEYS key */
  keyId: string;
  name: string;
}

const CACHE_MS = 5000;

/**
 * Bearer keys: GATEWAY_API_KEYS plus keys created with the CLI, stored as
 * sha256 hashes. Env keys are compared in constant time; database keys are
 * found by their hash (an index lookup reveals nothing about the key itself).
 * A positive answer is cached for 5 s, so a revoked key may work for 5 s more.
 */
@Injectable()
export class ApiKeyService {
  private readonly envKeyHashes: Buffer[];
  private readonly cache = new Map<string, { caller: Caller; until: number }>();

  constructor(
    private readonly store: ApiKeyStore,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.envKeyHashes = config.apiKeys.map((k) => Buffer.from(hashKey(k), 'hex'));
  }

  async verify(presented: string): Promise<Caller | null> {
    const hash = hashKey(presented);
    const digest = Buffer.from(hash, 'hex');
    let envMatch = -1;
    this.envKeyHashes.forEach((known, i) => {
      // every env key is compared, whatever matched, so timing says nothing
      if (timingSafeEqual(known, digest)) envMatch = i;
    });
    if (envMatch >= 0) return { keyId: `env:${envMatch + 1}`, name: `GATEWAY_API_KEYS #${envMatch + 1}` };

    const cached = this.cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.caller;
    const record = await this.store.findActiveByHash(hash);
    if (!record) {
      this.cache.delete(hash);
      return null;
    }
    const caller = { keyId: record.id, name: record.name };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { caller, until: Date.now() + CACHE_MS });
    return caller;
  }

  async create(name: string): Promise<{ key: string; record: ApiKeyRecord }> {
    const key = generateKey();
    const record = await this.store.insert(name, hashKey(key), keyPrefix(key));
    return { key, record };
  }

  /** true when any key exists (env or database) */
  async anyKeyConfigured(): Promise<boolean> {
    return this.envKeyHashes.length > 0 || (await this.store.countActive()) > 0;
  }

  async isActive(key: string): Promise<boolean> {
    return (await this.store.findActiveByHash(hashKey(key))) !== null;
  }
}
