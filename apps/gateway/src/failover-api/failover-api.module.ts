import { type DynamicModule, Module } from '@nestjs/common';
import type { GatewayConfig } from '@app/config';
import { GATEWAY_CONFIG } from '../gateway-config.provider';
import { FailoverApiController } from './failover-api.controller';
import { FailoverSendService } from './failover-send.service';
import { FailoverTrackingService } from './failover-tracking.service';

/**
 * Routee's Failover API (CONTRACT section 10): POST /failover and GET /failover/tracking/{trackingId}, on the
 * engine and stores of the global EngineModule and PersistenceModule. The app's guard and filter apply here too.
 */
@Module({})
export class FailoverApiModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: FailoverApiModule,
      controllers: [FailoverApiController],
      providers: [{ provide: GATEWAY_CONFIG, useValue: config }, FailoverSendService, FailoverTrackingService],
    };
  }
}
