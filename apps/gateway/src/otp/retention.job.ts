import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { GatewayConfig } from '@app/config';
import { RetentionStore } from '@app/persistence';
import { GATEWAY_CONFIG } from '../gateway-config.provider';

const INTERVAL_NAME = 'retention';

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
export class RetentionJob implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('Retention');
  private running?: Promise<void>;
  private stopping = false;

  constructor(
    private readonly store: RetentionStore,
    private readonly scheduler: SchedulerRegistry,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.workerEnabled) return;
    this.scheduler.addInterval(
      INTERVAL_NAME,
      setInterval(() => this.kick(), this.config.retention.intervalMs),
    );
    this.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.scheduler.doesExist('interval', INTERVAL_NAME)) this.scheduler.deleteInterval(INTERVAL_NAME);
    await this.running;
  }

  /** one run: erasure, then deletion (exposed for tests; a run already going is joined) */
  runOnce(): Promise<void> {
    this.kick();
    return this.running ?? Promise.resolve();
  }

  private kick(): void {
    if (this.running || this.stopping) return;
    this.running = this.run()
      .catch((err: unknown) => this.log.warn(`retention failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => (this.running = undefined));
  }

  private async run(): Promise<void> {
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
