import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Agent, request } from 'undici';

/** Routee drops a callback connection that has not answered within 2 s (docs: pools-callback-url-webhook). */
const CALLBACK_TIMEOUT_MS = 2000;

/**
 * Posts delivery reports, fire-and-forget: one attempt, short timeout, the
 * answer is ignored. (Routee retries non-200 answers; the sandbox does not.)
 */
@Injectable()
export class CallbackSender implements OnModuleDestroy {
  private readonly logger = new Logger('RouteeSandboxCallbacks');
  private readonly agent = new Agent({ keepAliveTimeout: 1000, connect: { timeout: CALLBACK_TIMEOUT_MS } });
  private readonly inFlight = new Set<AbortController>();
  private posted = 0;

  get callbacksPosted(): number {
    return this.posted;
  }

  post(url: string, payload: unknown): void {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), CALLBACK_TIMEOUT_MS);
    timer.unref();
    this.inFlight.add(abort);
    this.posted++;
    request(url, {
      dispatcher: this.agent,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: abort.signal,
    })
      .then((res) => res.body.dump())
      .catch((err: unknown) => this.logger.debug(`callback to ${url} failed: ${String(err)}`))
      .finally(() => {
        clearTimeout(timer);
        this.inFlight.delete(abort);
      });
  }

  async onModuleDestroy(): Promise<void> {
    for (const abort of this.inFlight) abort.abort();
    await this.agent.destroy();
  }
}
