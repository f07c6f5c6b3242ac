import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { RouteeClient } from '@app/routee';
import { ENGINE_OPTIONS, ROUTEE_CLIENT, type EngineOptions } from './engine.options';
import { FailoverWorker } from './failover-worker';
import { FlowEngine } from './flow-engine';
import { FlowEvaluator } from './flow-evaluator';
import { FlowStarter } from './flow-starter';
import { ReadRefresher } from './read-refresher';
import { StepCaller } from './step-caller';
import { StepSender } from './step-sender';
import { TrackingRefresher } from './tracking-refresher';
import { WebhookService } from './webhooks/webhook.service';

@Module({})
export class EngineModule {
  static forRoot(options: EngineOptions, routee: RouteeClient): DynamicModule {
    const providers: Provider[] = [
      { provide: ENGINE_OPTIONS, useValue: options },
      { provide: ROUTEE_CLIENT, useValue: routee },
      StepCaller,
      StepSender,
      FlowEvaluator,
      TrackingRefresher,
      FlowStarter,
      FlowEngine,
      FailoverWorker,
      ReadRefresher,
      WebhookService,
    ];
    return {
      module: EngineModule,
      global: true,
      // the worker's timer lives in the SchedulerRegistry, which clears it on app.close()
      imports: [ScheduleModule.forRoot()],
      providers,
      exports: [FlowEngine, FailoverWorker, ReadRefresher, WebhookService, ROUTEE_CLIENT, ENGINE_OPTIONS],
    };
  }
}
