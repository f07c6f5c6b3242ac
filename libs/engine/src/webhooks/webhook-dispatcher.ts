import { Logger } from '@nestjs/common';
import type { ClaimedWebhookEvent, WebhookEventStore } from '@app/persistence';
import type { WebhookOutcome } from '@app/metrics';
import { backoffMs, type WebhookPoster } from './webhook-poster';
import { signWebhook, standardWebhookHeaders } from './webhook-signature';

export interface WebhookDispatchOptions {
  /**
   * WEBHOOK_SECRET's secrets (several while one is rotated; none: unsigned): each signs webhook-signature
   * and the legacy X-Webhook-Signature (one entry per secret in each, in this order)
   */
  secrets: readonly string[];
  maxAttempts: number;
  timeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** how often the outbox is polled (new events also wake the loop at once) */
  pollMs: number;
  batchSize: number;
}

/**
 * Delivers the outbox. Each round claims due events in Postgres (so replicas
 * split the work and one flow's events go out in order), POSTs them, and
 * records the outcome: delivered on a 2xx, otherwise retried with backoff
 * until maxAttempts, then dead. A receiver that times out may still get a
 * repeat; X-Webhook-Id lets it drop the duplicate.
 */
export class WebhookDispatcher {
  private readonly log = new Logger('Webhooks');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private wakeRequested = false;

  constructor(
    private readonly store: WebhookEventStore,
    private readonly poster: WebhookPoster,
    private readonly options: WebhookDispatchOptions,
    /** each attempt's outcome, once recorded (the metrics) */
    private readonly onOutcome: (outcome: WebhookOutcome) => void = () => undefined,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** new events were committed: look now rather than at the next poll */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  /** One round; returns how many events it handled. Exposed for tests. */
  async runOnce(): Promise<number> {
    const events = await this.store.claimDue(this.options.batchSize, this.options.timeoutMs + 5000);
    await Promise.all(events.map((event) => this.deliver(event)));
    return events.length;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), delayMs);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    if (this.stopped || this.running) return;
    let handled = 0;
    this.running = (async () => {
      try {
        handled = await this.runOnce();
      } catch (err) {
        this.log.warn(`outbox round failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    })();
    await this.running;
    this.running = undefined;
    if (this.stopped) return;
    // a full batch or a wake-up during the round: there may be more right now
    const again = handled === this.options.batchSize || this.wakeRequested;
    this.wakeRequested = false;
    this.schedule(again ? 0 : this.options.pollMs);
  }

  private async deliver(event: ClaimedWebhookEvent): Promise<void> {
    const body = JSON.stringify(event.payload);
    const now = Math.floor(Date.now() / 1000);
    const { secrets } = this.options;
    // Standard Webhooks (webhook-*) beside the gateway's own X-Webhook-* headers, which receivers already check
    const headers: Record<string, string> = {
      'x-webhook-id': event.id,
      'x-webhook-event': event.type,
      'x-webhook-attempt': String(event.attempt),
      ...(secrets.length > 0 && { 'x-webhook-signature': signWebhook(secrets, body, now) }),
      ...standardWebhookHeaders(secrets, event.id, now, body),
    };
    const result = await this.poster.post(event.url, body, headers);
    if (result.ok) {
      await this.store.markDelivered(event.id, result.statusCode!);
      this.onOutcome('delivered');
      return;
    }
    const dead = event.attempt >= this.options.maxAttempts;
    const retryAt = dead
      ? null
      : new Date(Date.now() + backoffMs(event.attempt, this.options.backoffBaseMs, this.options.backoffMaxMs));
    await this.store.markFailed(event.id, result.error ?? 'failed', result.statusCode, retryAt);
    this.onOutcome(dead ? 'dead' : 'failed');
    if (dead)
      this.log.warn(
        `webhook ${event.id} of flow ${event.flowId} is dead after ${event.attempt} attempts: ${result.error}`,
      );
  }
}
