import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { GatewayConfig } from '@app/config';
import { RetentionStore } from '@app/persistence';
import { PeriodicJob } from '../common/periodic-job';
import { GATEWAY_CONFIG } from '../gateway-config.provider';

/**
 * Retention (docs/operations.md, "Retention") every RETENTION_INTERVAL_MS in
 * every process that runs the worker (WORKER_ENABLED): the secrets of the
 * flows final for RETENTION_SECRETS_HOURS are erased, then, with
 * RETENTION_DAYS, the older flows are deleted, RETENTION_BATCH_SIZE flows a
 * statement. No lock between replicas: the batches take their rows with
 * SKIP LOCKED, so replicas running at once split the rows, and a second
 * pass over rows already handled finds nothing to do.
 */
@Injectable()
export class RetentionJob extends PeriodicJob {
  constructor(
    private readonly store: RetentionStore,
    scheduler: SchedulerRegistry,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    super('retention', new Logger('Retention'), scheduler, config.workerEnabled, config.retention.intervalMs);
  }

  protected async run(): Promise<void> {
    const { secretsHours, days, batchSize } = this.config.retention;
    const started = Date.now();
    const erased = await this.store.eraseSecrets(secretsHours, batchSize, () => this.stopping);
    if (erased.flows > 0)
      this.log.log(
        `erased the secrets of ${erased.flows} flows (${erased.events} webhook events) in ${erased.batches} batches, ` +
          `${Date.now() - started} ms (longest batch ${Math.round(erased.longestBatchMs)} ms)`,
      );
    if (days === undefined || this.stopping) return;
    const deletedAt = Date.now();
    const deleted = await this.store.deleteFlows(days, batchSize, () => this.stopping);
    if (deleted.flows > 0 || deleted.idempotencyRecords > 0)
      this.log.log(
        `deleted ${deleted.flows} flows older than ${days} days (${deleted.events} webhook events, ` +
          `${deleted.idempotencyRecords} idempotency records) in ${deleted.batches} batches, ` +
          `${Date.now() - deletedAt} ms (longest batch ${Math.round(deleted.longestBatchMs)} ms)`,
      );
  }
}
