import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { WebhookEventEntity } from './entities/webhook-event.entity';
import { run } from './sql/statement';
import {
  ADD_EVENTS,
  CLAIM_DUE_EVENTS,
  EVENTS_OF_FLOW,
  MARK_DELIVERED,
  MARK_FAILED,
  RESEND,
  type WebhookEventRow,
} from './sql/webhook-events.statements';

export interface NewWebhookEvent {
  flowId: string;
  type: 'step.status_changed' | 'failover.sent' | 'flow.status_changed';
  url: string;
  payload: unknown;
}

export interface ClaimedWebhookEvent {
  id: string;
  flowId: string;
  type: string;
  url: string;
  payload: unknown;
  /** this delivery attempt's number, from 1 */
  attempt: number;
}

/** The webhook outbox. Claims go through Postgres, so any number of dispatchers can run. */
@Injectable()
export class WebhookEventStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Writes events inside the caller's transaction (the one that made the changes), in one statement, in the order given. */
  async addMany(tx: EntityManager, events: NewWebhookEvent[]): Promise<void> {
    if (events.length === 0) return;
    await run(tx, ADD_EVENTS, [
      events.map((e) => e.flowId),
      events.map((e) => e.type),
      events.map((e) => e.url),
      events.map((e) => JSON.stringify(e.payload)),
    ]);
  }

  /**
   * Claims up to `limit` due events. An event is due when it is pending and
   * its time has come, or its delivery claim ran out (its dispatcher died);
   * and only when no earlier event of its flow is still pending or being
   * delivered: events of a flow go out in order, a later one waits.
   */
  async claimDue(limit: number, claimMs: number): Promise<ClaimedWebhookEvent[]> {
    const rows = await run(this.db, CLAIM_DUE_EVENTS, [limit, String(claimMs)]);
    return rows.map((r) => ({
      id: r.id,
      flowId: r.flow_id,
      type: r.type,
      url: r.url,
      payload: r.payload,
      attempt: r.attempts,
    }));
  }

  async markDelivered(id: string, statusCode: number): Promise<void> {
    await run(this.db, MARK_DELIVERED, [id, statusCode]);
  }

  /** `retryAt` null: out of attempts, the event is dead (visible, re-sendable). */
  async markFailed(id: string, error: string, statusCode: number | undefined, retryAt: Date | null): Promise<void> {
    await run(this.db, MARK_FAILED, [
      id,
      retryAt ? 'pending' : 'dead',
      retryAt,
      error.slice(0, 1000),
      statusCode ?? null,
    ]);
  }

  async listForFlow(flowId: string): Promise<WebhookEventEntity[]> {
    return (await run(this.db, EVENTS_OF_FLOW, [flowId])).map(eventOf);
  }

  /** A dead event goes back to pending with fresh attempts. Returns false when it is not dead. */
  async resend(flowId: string, eventId: string): Promise<boolean> {
    return (await run(this.db, RESEND, [eventId, flowId])).length > 0;
  }
}

function eventOf(r: WebhookEventRow): WebhookEventEntity {
  return Object.assign(new WebhookEventEntity(), {
    id: r.id,
    seq: r.seq,
    flowId: r.flow_id,
    type: r.type,
    url: r.url,
    payload: r.payload,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    claimedUntil: r.claimed_until,
    lastError: r.last_error,
    lastStatusCode: r.last_status_code,
    createdAt: r.created_at,
    deliveredAt: r.delivered_at,
  });
}
