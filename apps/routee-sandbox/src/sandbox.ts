import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SandboxFaults } from './sandbox-faults.service';
import { type SandboxState, SandboxStateService } from './sandbox-state.service';
import { SandboxTimers } from './sandbox-timers.service';
import { SandboxModule } from './sandbox.module';
import { resolveSandboxOptions, type SandboxOptions } from './sandbox.options';

export interface RunningSandbox {
  /** http://127.0.0.1:PORT, both Routee's auth URL and API URL */
  url: string;
  port: number;
  appId: string;
  appSecret: string;
  state: SandboxState;
  close(): Promise<void>;
}

/** Starts the Routee look-alike in this process (the gateway's dev mode, tests run by plain node). */
export async function startSandbox(options?: SandboxOptions): Promise<RunningSandbox> {
  const resolved = resolveSandboxOptions(options);
  const app = await NestFactory.create<NestFastifyApplication>(
    SandboxModule.forRoot(resolved),
    new FastifyAdapter(),
    { logger: resolved.logger ? ['error', 'warn', 'log'] : false },
  );
  const faults = app.get(SandboxFaults);
  const timers = app.get(SandboxTimers);
  // Latency applies to Routee's routes only: the admin routes must stay usable to lift it.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', async (req) => {
      if (!req.url.startsWith('/_sandbox') && faults.latencyMs > 0) await timers.sleep(faults.latencyMs);
    });
  await app.listen(resolved.port, resolved.host);
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    appId: resolved.appId,
    appSecret: resolved.appSecret,
    state: app.get(SandboxStateService),
    close: () => app.close(),
  };
}

export type { SandboxOptions } from './sandbox.options';
export type { SandboxState, SandboxStats } from './sandbox-state.service';
export type { SandboxAttempt, SandboxSend } from './message.service';
