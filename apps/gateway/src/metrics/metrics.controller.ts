import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { Public } from '../common/public.decorator';
import { MetricsScrapeService } from './metrics-scrape.service';
import { MetricsTokenGuard } from './metrics-token.guard';

/** Prometheus' scrape target (README, "Metrics"); not in the OpenAPI document: it is no part of the API integrators call */
@ApiExcludeController()
@Public()
@UseGuards(MetricsTokenGuard)
@Controller('metrics')
export class MetricsController {
  constructor(private readonly scrape: MetricsScrapeService) {}

  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  metrics(): Promise<string> {
    return this.scrape.scrape();
  }
}
