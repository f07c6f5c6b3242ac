import { type DynamicModule, Module } from '@nestjs/common';
import { GatewayMetrics } from './gateway-metrics';

/** One GatewayMetrics for the app, global: the engine, the Routee client's observer and the gateway count into it. */
@Module({})
export class MetricsModule {
  static forRoot(): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      // a factory: Nest's preview mode (the OpenAPI export) instantiates no provider, so no collector starts there
      providers: [{ provide: GatewayMetrics, useFactory: () => new GatewayMetrics() }],
      exports: [GatewayMetrics],
    };
  }
}
