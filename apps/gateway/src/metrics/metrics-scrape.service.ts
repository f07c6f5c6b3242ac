import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ROUTEE_CLIENT } from '@app/engine';
import { GatewayMetrics, type GaugeReadings } from '@app/metrics';
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
  private readonly log = new Logger('Metrics');

  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly store: MetricsStore,
    @Inject(ROUTEE_CLIENT) private readonly routee: RouteeClient,
  ) {}

  onModuleInit(): void {
    this.routee.observeRequests((endpoint, outcome, seconds) => this.metrics.routeeRequest(endpoint, outcome, seconds));
    this.metrics.readStateWith(() => this.readState());
  }

  get contentType(): string {
    return this.metrics.contentType;
  }

  scrape(): Promise<string> {
    return this.metrics.render();
  }

  private async readState(): Promise<GaugeReadings> {
    const circuits = Object.fromEntries(
      Object.entries(this.routee.circuitStates()).map(([name, state]) => [name, state === 'closed' ? 0 : 1] as const),
    );
    try {
      return { ...(await this.store.readGauges(GatewayMetrics.countCap)), circuits };
    } catch (err) {
      // Postgres away: the counters and the circuits are still answered, the gauges it gives read NaN
      this.log.warn(`could not read the state gauges: ${err instanceof Error ? err.message : String(err)}`);
      return { dueFlows: NaN, oldestDueSeconds: NaN, webhookBacklog: NaN, circuits };
    }
  }
}
