import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { GatewayConfig } from '@app/config';
import { EngineModule } from '@app/engine';
import { PersistenceModule } from '@app/persistence';
import type { RouteeClient } from '@app/routee';
import { ApiKeyService } from './auth/api-key.service';
import { BearerAuthGuard } from './auth/bearer-auth.guard';
import { KeyRateLimiter } from './auth/key-rate-limiter';
import { ApiExceptionFilter } from './common/api-exception.filter';
import { FailoverSearchModule } from './failover-api/search/failover-search.module';
import { FailoverApiModule } from './failover-api/failover-api.module';
import { GATEWAY_CONFIG } from './gateway-config.provider';
import { HealthController } from './health/health.controller';
import { FailoverController } from './otp/failover.controller';
import { OtpController } from './otp/otp.controller';
import { SendFailoverService } from './otp/send-failover.service';
import { WebhookEventsService } from './otp/webhook-events.service';
import { TrackingService } from './otp/tracking.service';
import { RootController } from './root/root.controller';
import { CallbackTokenGuard } from './routee-callbacks/callback-token.guard';
import { RouteeCallbacksController } from './routee-callbacks/routee-callbacks.controller';
import { RouteeCallbacksService } from './routee-callbacks/routee-callbacks.service';
import { VerificationService } from './otp/verification.service';
import { StatsController } from './otp/stats.controller';
import { StatsService } from './otp/stats.service';
import { StatsRollupJob } from './otp/stats-rollup.job';
import { RetentionJob } from './otp/retention.job';
import { PumpingGuard } from './otp/pumping-guard';
import { Drain } from './shutdown/drain';
import { PumpingBlocksModule } from './pumping/pumping-blocks.module';
import { ConsoleModule } from './console/console.module';
import { MetricsHttpModule } from './metrics/metrics-http.module';

export interface AppModuleOptions {
  config: GatewayConfig;
  databaseUrl: string;
  routee: RouteeClient;
  /** the shutdown's state, which readiness reports (a new one when the app is not served: the OpenAPI export) */
  drain?: Drain;
}

@Module({})
export class AppModule {
  static forRoot({ config, databaseUrl, routee, drain = new Drain() }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PersistenceModule.forRoot(databaseUrl, {
          phoneRateLimit: { limit: config.limits.phoneRateLimit, windowSec: config.limits.phoneRateWindowSec },
        }),
        EngineModule.forRoot(
          {
            publicUrl: config.publicUrl,
            callbackToken: config.callbackToken,
            codeSecret: config.verification.codeSecret ?? '',
            refreshIntervalMs: config.refreshIntervalMs,
            sendClaimMs: config.sendClaimMs,
            outageQueueMs: config.routee.outageQueueMs,
            workerEnabled: config.workerEnabled,
            webhooks: { ...config.webhooks, batchSize: 50 },
          },
          routee,
        ),
        FailoverSearchModule,
        FailoverApiModule.forRoot(config),
        MetricsHttpModule.forRoot(config),
        PumpingBlocksModule,
        ConsoleModule,
      ],
      controllers: [
        RootController,
        HealthController,
        OtpController,
        FailoverController,
        RouteeCallbacksController,
        StatsController,
      ],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: Drain, useValue: drain },
        ApiKeyService,
        KeyRateLimiter,
        SendFailoverService,
        WebhookEventsService,
        TrackingService,
        VerificationService,
        StatsService,
        StatsRollupJob,
        RetentionJob,
        PumpingGuard,
        RouteeCallbacksService,
        CallbackTokenGuard,
        { provide: APP_GUARD, useClass: BearerAuthGuard },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
      ],
    };
  }
}
