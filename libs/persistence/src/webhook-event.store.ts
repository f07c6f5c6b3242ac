import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { WebhookEventEntity } from './entities/webhook-event.entity';

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
    await tx.insert(
      WebhookEventEntity,
      events.map((event) => ({ flowId: event.flowId, type: event.type, url: event.url, payload: event.payload as object })),
    );
  }

  /**
   * Claims up to `limit` due events. An event is due when it is pending and
   * its time has come, or its delivery claim ran out (its dispatcher died);
   * and only when no earlier event of its flow is still pending or being
   * delivered: events of a flow go out in order, a later one waits.
   */
  async claimDue(limit: number, claimMs: number): Promise<ClaimedWebhookEvent[]> {
    // TypeORM answers an UPDATE with [rows, rowCount]
    const [rows]: [{ id: string; flow_id: string; type: string; url: string; payload: unknown; attempts: number }[], number] = await this.db.query(
      `WITH due AS (
         SELECT e.id FROM webhook_events e
         WHERE ((e.state = 'pending' AND e.next_attempt_at <= now())
             OR (e.state = 'delivering' AND e.claimed_until < now()))
           AND NOT EXISTS (
             SELECT 1 FROM webhook_events p
             WHERE p.flow_id = e.flow_id AND p.seq < e.seq AND p.state IN ('pending', 'delivering'))
         ORDER BY e.seq
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       )
       UPDATE webhook_events w
       SET state = 'delivering', attempts = w.attempts + 1, claimed_until = now() + ($2 || ' milliseconds')::interval
       FROM due WHERE w.id = due.id
       RETURNING w.id, w.flow_id, w.type, w.url, w.payload, w.attempts`,
      [limit, String(claimMs)],
    );
    return rows.map((r) => ({ id: r.id, flowId: r.flow_id, type: r.type, url: r.url, payload: r.payload, attempt: r.attempts }));
  }

  async markDelivered(id: string, statusCode: number): Promise<void> {
    await this.db.query(
      `UPDATE webhook_events SET state = 'delivered', delivered_at = now(), claimed_until = NULL, last_status_code = $2, last_error = NULL WHERE id = $1`,
      [id, statusCode],
    );
  }

  /** `retryAt` null: out of attempts, the event is dead (visible, re-sendable). */
  async markFailed(id: string, error: string, statusCode: number | undefined, retryAt: Date | null): Promise<void> {
    await this.db.query(
      `UPDATE webhook_events
       SET state = $2, next_attempt_at = COALESCE($3, next_attempt_at), claimed_until = NULL, last_error = $4, last_status_code = $5
       WHERE id = $1`,
      [id, retryAt ? 'pending' : 'dead', retryAt, error.slice(0, 1000), statusCode ?? null],
    );
  }

  async listForFlow(flowId: string): Promise<WebhookEventEntity[]> {
    return this.db.getRepository(WebhookEventEntity).find({ where: { flowId }, order: { seq: 'ASC' } });
  }

  /** A dead event goes back to pending with fresh attempts. Returns false when it is not dead. */
  async resend(flowId: string, eventId: string): Promise<boolean> {
    const [, count]: [unknown[], number] = await this.db.query(
      `UPDATE webhook_events SET state = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL
       WHERE id = $1 AND flow_id = $2 AND state = 'dead'`,
      [eventId, flowId],
    );
    return count > 0;
  }
}
