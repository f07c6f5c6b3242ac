import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ROUTEE_CLIENT } from '@app/engine';
import { GatewayMetrics } from '@app/metrics';
import { MetricsStore } from '@app/persistence';
import type { RouteeClient } from '@app/routee';

/**
 * GET /metrics: the counters as counted, and the state gauges read at the
 * scrape: due flows, the worker's lag and the webhook backlog from one
 * indexed statement (MetricsStore), the circuits from this process's breakers.
 * Also hands the Routee client its request observer.
 */
@Injectable()
export class MetricsScrapeService implements OnModuleInit {
  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly store: MetricsStore,
    @Inject(ROUTEE_CLIENT) private readonly routee: RouteeClient,
  ) {}

  onModuleInit(): void {
    this.routee.observeRequests((endpoint, outcome, seconds) => this.metrics.routeeRequest(endpoint, outcome, seconds));
  }

  get contentType(): string {
    return this.metrics.contentType;
  }

  async scrape(): Promise<string> {
    const stored = await this.store.readGauges(GatewayMetrics.countCap);
    const circuits = Object.fromEntries(
      Object.entries(this.routee.circuitStates()).map(([name, state]) => [name, state === 'closed' ? 0 : 1] as const),
    );
    this.metrics.setGauges({ ...stored, circuits });
    return this.metrics.render();
  }
}
