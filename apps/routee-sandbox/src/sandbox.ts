import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { RouteeApiError } from './routee-api.error';
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
  const app = await NestFactory.create<NestFastifyApplication>(SandboxModule.forRoot(resolved), new FastifyAdapter(), {
    logger: resolved.logger ? ['error', 'warn', 'log'] : false,
  });
  const faults = app.get(SandboxFaults);
  const timers = app.get(SandboxTimers);
  // Faults apply to Routee's routes only: the admin routes must stay usable to lift them.
  const fastify = app.getHttpAdapter().getInstance();
  const resetAfter = new WeakSet<object>();
  fastify.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/_sandbox')) return;
    const fault = faults.take(req.method, req.url);
    if (faults.latencyMs > 0) await timers.sleep(faults.latencyMs);
    if (fault === 'unavailable') {
      const error = RouteeApiError.serviceUnavailable();
      return reply
        .code(503)
        .header('content-type', 'application/json')
        .send({ code: error.code, developerMessage: error.developerMessage });
    }
    if (fault === 'hang' || fault === 'reset_before') {
      // nothing is handled: the connection gets no answer (until let go), or drops at once
      reply.hijack();
      if (fault === 'hang') await faults.hold();
      req.raw.socket?.destroy();
      return;
    }
    if (fault === 'reset_after') resetAfter.add(req);
  });
  // the request was handled (a send is taken); its answer never leaves
  fastify.addHook('onSend', async (req, _reply, payload) => {
    if (resetAfter.has(req)) req.raw.socket?.destroy();
    return payload;
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
export type { FaultScope, SandboxFaultSettings } from './sandbox-faults.service';
