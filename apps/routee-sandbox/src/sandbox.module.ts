import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { BearerGuard } from './bearer.guard';
import { CallbackSender } from './callback-sender.service';
import { MessageService } from './message.service';
import { RouteeErrorFilter } from './routee-api.error';
import {
  AdminController,
  AuthController,
  SmsController,
  ViberController,
  VoiceController,
} from './sandbox.controllers';
import { SandboxFaults } from './sandbox-faults.service';
import { SandboxStateService } from './sandbox-state.service';
import { SandboxTimers } from './sandbox-timers.service';
import { type ResolvedSandboxOptions, SANDBOX_OPTIONS } from './sandbox.options';
import { TokenService } from './token.service';
import { VoiceService } from './voice.service';

@Module({})
export class SandboxModule {
  static forRoot(options: ResolvedSandboxOptions): DynamicModule {
    return {
      module: SandboxModule,
      controllers: [AuthController, SmsController, ViberController, VoiceController, AdminController],
      providers: [
        { provide: SANDBOX_OPTIONS, useValue: options },
        { provide: APP_FILTER, useClass: RouteeErrorFilter },
        SandboxTimers,
        SandboxFaults,
        TokenService,
        CallbackSender,
        MessageService,
        VoiceService,
        SandboxStateService,
        BearerGuard,
      ],
      exports: [SandboxStateService],
    };
  }
}
