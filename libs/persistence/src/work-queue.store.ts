import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { StepEntity } from './entities/step.entity';
import { preparedQuery } from './prepared-query';

/**
 * The failover worker's queues, both in Postgres so that any number of
 * replicas can share them: flows due for a look (`flows.next_check_at`) and
 * sends whose sender stopped renewing its claim (`steps.claimed_until`).
 * Each claim is one statement: `FOR UPDATE SKIP LOCKED` picks rows no other
 * replica is claiming at that moment (the CTE is MATERIALIZED so that the
 * pick runs once), and the same statement pushes their time forward (a
 * lease), so the rows are invisible to the other replicas' next claims while
 * this one works on them. No lock is held afterwards.
 */
@Injectable()
export class WorkQueueStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Up to `limit` flows whose `next_check_at` has come, oldest first, leased
   * for `leaseMs`: should this replica die, they come due again then. Final
   * flows have `next_check_at` NULL and never appear (partial index
   * ix_flows_next_check_at holds only the working set).
   */
  async claimDueFlows(limit: number, leaseMs: number): Promise<string[]> {
    const rows = await preparedQuery(
      this.db,
      'claim_due_flows',
      `WITH due AS MATERIALIZED (
         SELECT id FROM flows
         WHERE next_check_at <= now()
         ORDER BY next_check_at
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       )
       UPDATE flows f SET next_check_at = now() + ($2 || ' milliseconds')::interval
       FROM due WHERE f.id = due.id
       RETURNING f.id`,
      [limit, String(leaseMs)],
    );
    return rows.map((r) => r.id as string);
  }

  /**
   * Up to `limit` steps stuck in `sending` whose claim ran out (the replica
   * that claimed them died or froze mid-send), re-claimed for `claimMs` in
   * the same statement: exactly one replica gets each.
   */
  async reclaimStrandedSends(limit: number, claimMs: number): Promise<StepEntity[]> {
    const rows = await this.update(
      `WITH stranded AS MATERIALIZED (
         SELECT id FROM steps
         WHERE send_state = 'sending' AND claimed_until < now()
         ORDER BY claimed_until
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       )
       UPDATE steps s SET claimed_until = now() + ($2 || ' milliseconds')::interval
       FROM stranded WHERE s.id = stranded.id
       RETURNING s.id`,
      [limit, String(claimMs)],
    );
    if (rows.length === 0) return [];
    return this.db.getRepository(StepEntity).find({ where: rows.map((r) => ({ id: r.id })) });
  }

  /** The sender's heartbeat: keeps its claim alive while its Routee call runs. False once the send was recorded. */
  async renewSendClaim(stepId: string, claimMs: number): Promise<boolean> {
    const rows = await this.update(
      `UPDATE steps SET claimed_until = now() + ($2 || ' milliseconds')::interval
       WHERE id = $1 AND send_state = 'sending'
       RETURNING id`,
      [stepId, String(claimMs)],
    );
    return rows.length > 0;
  }

  /** TypeORM answers an UPDATE … RETURNING as [rows, rowCount] */
  private async update(sql: string, params: unknown[]): Promise<{ id: string }[]> {
    const result: unknown = await this.db.query(sql, params);
    const rows = Array.isArray(result) && Array.isArray(result[0]) && typeof result[1] === 'number' ? result[0] : result;
    return rows as { id: string }[];
  }
}
