import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { StepEntity } from './entities/step.entity';
import type { SendState } from './entities/step-state';
import { stepOf } from './sql/rows';
import { run } from './sql/statement';
import { CLAIM_DUE_FLOWS, CLAIM_DUE_SENDS, RENEW_SEND_CLAIM } from './sql/work-queue.statements';

/** a send the worker claimed, and the state it was claimed from: `sending` (stranded mid-send) or `queued` */
export interface ClaimedSend {
  step: StepEntity;
  claimedFrom: SendState;
}

/**
 * The failover worker's queues, both in Postgres so that any number of
 * replicas can share them: flows due for a look (`flows.next_check_at`) and
 * sends due (`steps.claimed_until`: queued ones, and stranded ones whose
 * sender stopped renewing its claim). Each claim is one statement that leases
 * the rows it returns (sql/work-queue.statements.ts), so the rows are
 * invisible to the other replicas' next claims while this one works on them.
 * No lock is held afterwards.
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
    const rows = await run(this.db, CLAIM_DUE_FLOWS, [limit, String(leaseMs)]);
    return rows.map((r) => r.id);
  }

  /**
   * Up to `limit` sends whose time has come, claimed as `sending` for
   * `claimMs` in the same statement (exactly one replica gets each): steps
   * stuck in `sending` whose claim ran out (the replica that claimed them
   * died or froze mid-send), and steps `queued` while Routee's circuit was
   * open whose retry time has come.
   */
  async claimDueSends(limit: number, claimMs: number): Promise<ClaimedSend[]> {
    const rows = await run(this.db, CLAIM_DUE_SENDS, [limit, String(claimMs)]);
    return rows.map((row) => ({ step: stepOf(row), claimedFrom: row.claimed_from }));
  }

  /** The sender's heartbeat: keeps its claim alive while its Routee call runs. False once the send was recorded. */
  async renewSendClaim(stepId: string, claimMs: number): Promise<boolean> {
    return (await run(this.db, RENEW_SEND_CLAIM, [stepId, String(claimMs)])).length > 0;
  }
}
