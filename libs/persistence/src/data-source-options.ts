import type { DataSourceOptions } from 'typeorm';
import { ApiKeyEntity } from './entities/api-key.entity';
import { FlowEntity } from './entities/flow.entity';
import { StepEntity } from './entities/step.entity';
import { IdempotencyRecordEntity } from './entities/idempotency-record.entity';
import { WebhookEventEntity } from './entities/webhook-event.entity';
import { MIGRATIONS } from './migrations';

export const ENTITIES = [ApiKeyEntity, FlowEntity, StepEntity, IdempotencyRecordEntity, WebhookEventEntity];

/** The one source of connection options: the app, the CLI and the TypeORM CLI (ormconfig.ts) use it. */
export function dataSourceOptions(
  url: string,
  overrides: { poolSize?: number; applicationName?: string } = {},
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    logging: ['error'],
    poolSize: overrides.poolSize ?? 10,
    applicationName: overrides.applicationName ?? 'otp-failover-gateway',
    extra: { connectionTimeoutMillis: 5000 },
  };
}
