import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { RouteeClient } from '@app/routee';
import { ENGINE_OPTIONS, ROUTEE_CLIENT, type EngineOptions } from './engine.options';
import { FlowEngine } from './flow-engine';

@Module({})
export class EngineModule {
  static forRoot(options: EngineOptions, routee: RouteeClient): DynamicModule {
    const providers: Provider[] = [
      { provide: ENGINE_OPTIONS, useValue: options },
      { provide: ROUTEE_CLIENT, useValue: routee },
      FlowEngine,
    ];
    return { module: EngineModule, global: true, providers, exports: [FlowEngine, ROUTEE_CLIENT, ENGINE_OPTIONS] };
  }
}
