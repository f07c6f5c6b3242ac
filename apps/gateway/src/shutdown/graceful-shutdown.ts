import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import type { GatewayConfig } from '@app/config';
import type { Drain } from './drain';

/**
 * The first steps of a shutdown, before the app closes (gateway.ts): readiness
 * turns 503, SHUTDOWN_GRACE_MS later new requests are refused, and the
 * requests in flight are waited for (SHUTDOWN_TIMEOUT_MS at most). Only then
 * do the webhook dispatcher, the failover worker and the stats rollup stop
 * (their shutdown hooks wait for the work they hold) and the pool close: a
 * request in flight never meets a closed pool.
 */
export async function drainRequests(drain: Drain, { graceMs, timeoutMs }: GatewayConfig['shutdown']): Promise<void> {
  if (drain.draining) return;
  const log = new Logger('Shutdown');
  drain.draining = true;
  if (graceMs > 0) {
    log.log(`readiness answers 503; new requests are refused in ${graceMs} ms (SHUTDOWN_GRACE_MS)`);
    await sleep(graceMs);
  }
  drain.refusing = true;
  if (drain.inFlight === 0) return;
  log.log(`waiting for ${drain.inFlight} requests in flight`);
  if (!(await drain.idle(timeoutMs))) {
    log.warn(`${drain.inFlight} requests still in flight after SHUTDOWN_TIMEOUT_MS (${timeoutMs} ms): closing anyway`);
  }
}
