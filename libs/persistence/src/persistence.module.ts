import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions } from './data-source-options';
import { FlowStore } from './flow.store';
import { ApiKeyStore } from './api-key.store';
import { IdempotencyStore } from './idempotency.store';
import { DeliveryStore } from './delivery.store';
import { WorkQueueStore } from './work-queue.store';

@Module({})
export class PersistenceModule {
  /** Connects to `url`, runs pending migrations, and provides the stores. */
  static forRoot(url: string): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      imports: [
        TypeOrmModule.forRoot({ ...dataSourceOptions(url), migrationsRun: true, retryAttempts: 3, retryDelay: 1000 }),
      ],
      providers: [FlowStore, ApiKeyStore, IdempotencyStore, DeliveryStore, WorkQueueStore],
      exports: [FlowStore, ApiKeyStore, IdempotencyStore, DeliveryStore, WorkQueueStore],
    };
  }
}
