import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { GatewayConfig } from '@app/config';
import { StatsStore } from '@app/persistence';
import { PeriodicJob } from '../common/periodic-job';
import { GATEWAY_CONFIG } from '../gateway-config.provider';

const EVERY_MS = 60_000;

/**
 * Keeps GET /otp/stats's rollup current (StatsStore.rollUp) once a minute in
 * every process that runs the worker (WORKER_ENABLED); replicas take turns
 * through an advisory lock. The first run after an upgrade rolls up every
 * stored hour, a day per transaction.
 */
@Injectable()
export class StatsRollupJob extends PeriodicJob {
  constructor(
    private readonly store: StatsStore,
    scheduler: SchedulerRegistry,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    super('stats rollup', new Logger('StatsRollup'), scheduler, config.workerEnabled, EVERY_MS);
  }

  protected async run(): Promise<void> {
    const started = Date.now();
    const r = await this.store.rollUp();
    // each run writes the open hour again: said only when there was more
    if (r.added > 1 || r.changed > 0)
      this.log.log(`rolled up ${r.added} hours and ${r.changed} changed ones in ${Date.now() - started} ms`);
  }
}
