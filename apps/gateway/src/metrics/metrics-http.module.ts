import { type DynamicModule, Module } from '@nestjs/common';
import type { GatewayConfig } from '@app/config';
import { MetricsModule } from '@app/metrics';
import { GATEWAY_CONFIG } from '../gateway-config.provider';
import { MetricsController } from './metrics.controller';
import { MetricsScrapeService } from './metrics-scrape.service';
import { MetricsTokenGuard } from './metrics-token.guard';

/** GET /metrics, and the app's one GatewayMetrics (MetricsModule, global: the engine counts into it too) */
@Module({})
export class MetricsHttpModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: MetricsHttpModule,
      imports: [MetricsModule.forRoot()],
      controllers: [MetricsController],
      providers: [{ provide: GATEWAY_CONFIG, useValue: config }, MetricsScrapeService, MetricsTokenGuard],
    };
  }
}
