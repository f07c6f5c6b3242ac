import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { GatewayConfig } from '@app/config';
import { StatsStore } from '@app/persistence';
import { GATEWAY_CONFIG } from '../gateway-config.provider';

const INTERVAL_NAME = 'stats-rollup';
const EVERY_MS = 60_000;

/**
 * Keeps GET /otp/stats's rollup current (StatsStore.rollUp) once a minute in
 * every process that runs the worker (WORKER_ENABLED); replicas take turns
 * through an advisory lock. The first run after an upgrade rolls up every
 * stored hour, a day per transaction.
 */
@Injectable()
export class StatsRollupJob implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('StatsRollup');
  private running?: Promise<void>;

  constructor(
    private readonly store: StatsStore,
    private readonly scheduler: SchedulerRegistry,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.workerEnabled) return;
    this.scheduler.addInterval(
      INTERVAL_NAME,
      setInterval(() => this.kick(), EVERY_MS),
    );
    this.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.scheduler.doesExist('interval', INTERVAL_NAME)) this.scheduler.deleteInterval(INTERVAL_NAME);
    await this.running;
  }

  private kick(): void {
    if (this.running) return;
    const started = Date.now();
    this.running = this.store
      .rollUp()
      .then((r) => {
        // each run writes the open hour again: said only when there was more
        if (r.added > 1 || r.changed > 0)
          this.log.log(`rolled up ${r.added} hours and ${r.changed} changed ones in ${Date.now() - started} ms`);
      })
      .catch((err: unknown) => this.log.warn(`rollup failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => (this.running = undefined));
  }
}
