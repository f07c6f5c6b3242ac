import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { WebhookEventStore, type FlowWithSteps, type NewWebhookEvent } from '@app/persistence';
import { GatewayMetrics } from '@app/metrics';
import { ENGINE_OPTIONS, type EngineOptions } from '../engine.options';
import { toFailoverTracking } from '../failover-tracking-view';
import { isFinal } from '../flow-rules';
import { toTrackingView } from '../tracking-view';
import type { AddressVerdict } from './address-policy';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookPoster } from './webhook-poster';

export type WebhookEventType = 'step.status_changed' | 'failover.sent' | 'flow.status_changed';

/** the part of the tracking body an event is about: statuses and trackingIds */
interface Digest {
  status: string;
  statusCode: number | null;
  steps: [role: string, status: string, trackingId: string | null][];
  /** the code check's status, on flows that have a code (absent otherwise, as in digests stored before it existed) */
  verification?: string;
}

/**
 * Webhooks to the integrator (README, "Webhooks"): decides, inside the engine's
 * transaction, whether a flow's state moved past what the integrator was last
 * told, writes the event to the outbox in that transaction, and runs the
 * dispatcher that delivers it.
 */
@Injectable()
export class WebhookService implements OnModuleInit, OnModuleDestroy {
  private readonly poster: WebhookPoster;
  private readonly dispatcher: WebhookDispatcher;

  constructor(
    private readonly events: WebhookEventStore,
    metrics: GatewayMetrics,
    @Inject(ENGINE_OPTIONS) options: EngineOptions,
  ) {
    this.poster = new WebhookPoster({
      timeoutMs: options.webhooks.timeoutMs,
      allowPrivate: options.webhooks.allowPrivate,
    });
    this.dispatcher = new WebhookDispatcher(events, this.poster, options.webhooks, (outcome) =>
      metrics.webhookDelivery(outcome),
    );
  }

  onModuleInit(): void {
    this.dispatcher.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.dispatcher.stop();
    await this.poster.close();
  }

  /** send time: a callback URL whose host is (or resolves to) a refused address */
  checkUrl(url: string): Promise<AddressVerdict> {
    return this.poster.checkUrl(url);
  }

  /**
   * What to store of the flow's new state `after` for its webhooks, decided
   * with the flow's row locked, in the transaction that stores that state:
   * `webhookState`, the digest of what the integrator has been told, and the
   * event to write to the outbox in that transaction, if any. The first
   * state (`initial`: the one the send response reported) is only recorded;
   * later states give an event when the statuses or trackingIds moved, none
   * when they did not. No callback URL: nothing to record.
   */
  stateOf(after: FlowWithSteps, initial: boolean): { webhookState: string | null; event: NewWebhookEvent | null } {
    const { flow } = after;
    const url = flow.callbackUrl;
    if (!url) return { webhookState: flow.webhookState, event: null };
    const digest = digestOf(after);
    const serialized = JSON.stringify(digest);
    const previous = flow.webhookState === null ? null : (JSON.parse(flow.webhookState) as Digest);
    const event = (): NewWebhookEvent => ({
      flowId: flow.id,
      type: eventType(previous, digest),
      url,
      // the Failover API posts its tracking object (https://docs.routee.net/docs/failover-callbacks)
      payload: flow.kind === 'failover' ? toFailoverTracking(after) : toTrackingView(after),
    });
    if (flow.callbackStrategy === 'OnCompletion') {
      // once, when the flow ends, even when the send's answer already said so: the integrator waits for this one
      const ends = isFinal(digest.status) && !(previous && isFinal(previous.status));
      return { webhookState: serialized, event: ends ? event() : null };
    }
    // before the send response's state is recorded, a change is part of that response
    if (serialized === flow.webhookState || initial || previous === null)
      return { webhookState: serialized, event: null };
    return { webhookState: serialized, event: event() };
  }

  /** Writes events to the outbox inside the caller's transaction (the one storing the states they report). */
  async addEvents(tx: EntityManager, events: NewWebhookEvent[]): Promise<void> {
    await this.events.addMany(tx, events);
  }

  /** events were committed: deliver now rather than at the next poll */
  wake(): void {
    this.dispatcher.wake();
  }
}

/** what the integrator is told about: the flow's status and each step's status and trackingId, in order */
function digestOf({ flow, steps }: FlowWithSteps): Digest {
  return {
    status: flow.status,
    statusCode: flow.statusCode,
    steps: steps.map((s) => [s.role, s.status, s.trackingId]),
    ...(flow.verificationStatus !== null && { verification: flow.verificationStatus }),
  };
}

/** a next step handed to Routee (one more trackingId), a step's status, or the flow's alone */
function eventType(previous: Digest | null, next: Digest): WebhookEventType {
  const sent = (d: Digest | null) => d?.steps.filter(([, , trackingId]) => trackingId).length ?? 0;
  if (sent(next) > sent(previous)) return 'failover.sent';
  const stepsMoved = JSON.stringify(previous?.steps) !== JSON.stringify(next.steps);
  return stepsMoved ? 'step.status_changed' : 'flow.status_changed';
}
