import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';
import { FlowStore } from './flow.store';
import { ApiKeyStore } from './api-key.store';
import { IdempotencyStore } from './idempotency.store';
import { DeliveryStore } from './delivery.store';
import { FailoverSearchStore } from './failover-search.store';
import { WebhookEventStore } from './webhook-event.store';
import { WorkQueueStore } from './work-queue.store';
import { PHONE_RATE_LIMIT, type PhoneRateLimit } from './phone-rate-limit';
import { VerificationStore } from './verification.store';
import { StatsStore } from './stats.store';
import { RetentionStore } from './retention.store';
import { PumpingStore } from './pumping.store';
import { MetricsStore } from './metrics.store';
import { usePgFastPaths } from './pg';

export interface PersistenceOptions {
  /** the per-phone limit on new flows (off when absent or limit 0) */
  phoneRateLimit?: PhoneRateLimit;
}

@Module({})
export class PersistenceModule {
  /** Connects to `url`, runs pending migrations, and provides the stores. */
  static forRoot(url: string, options: PersistenceOptions = {}): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...dataSourceOptions(url), retryAttempts: 3, retryDelay: 1000 }),
          dataSourceFactory: async (options) => {
            usePgFastPaths();
            const db = await new DataSource(options!).initialize();
            try {
              await runMigrationsExclusively(db);
            } catch (err) {
              await db.destroy(); // a retry starts from a fresh pool
              throw err;
            }
            return db;
          },
        }),
      ],
      providers: [
        { provide: PHONE_RATE_LIMIT, useValue: options.phoneRateLimit ?? { limit: 0, windowSec: 1 } },
        FlowStore,
        ApiKeyStore,
        IdempotencyStore,
        DeliveryStore,
        FailoverSearchStore,
        WorkQueueStore,
        WebhookEventStore,
        VerificationStore,
        StatsStore,
        RetentionStore,
        PumpingStore,
        MetricsStore,
      ],
      exports: [
        FlowStore,
        ApiKeyStore,
        IdempotencyStore,
        DeliveryStore,
        FailoverSearchStore,
        WorkQueueStore,
        WebhookEventStore,
        VerificationStore,
        StatsStore,
        RetentionStore,
        PumpingStore,
        MetricsStore,
      ],
    };
  }
}

/** any constant of our own: the advisory lock that serialises migrations across replicas */
const MIGRATION_LOCK = 7_283_461_001;

/**
 * Replicas starting together on a fresh database would otherwise race to
 * create the same tables: each holds a Postgres advisory lock while it
 * migrates, so the first migrates and the others find nothing left to do.
 */
async function runMigrationsExclusively(db: DataSource): Promise<void> {
  const lock = db.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await db.runMigrations();
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await lock.release();
  }
}
