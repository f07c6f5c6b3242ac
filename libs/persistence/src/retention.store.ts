import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { run, type Statement } from './sql/statement';
import {
  DELETE_CUTOFFS,
  DELETE_FAILOVER_FLOWS,
  DELETE_IDEMPOTENCY,
  DELETE_OTP_FLOWS,
  ERASE_SECRETS,
} from './sql/retention.statements';

export interface RetentionBatches {
  /** statements run */
  batches: number;
  /** the longest one, in ms: about how long its rows stayed locked */
  longestBatchMs: number;
}

export interface ErasedSecrets extends RetentionBatches {
  flows: number;
  events: number;
}

export interface DeletedFlows extends RetentionBatches {
  flows: number;
  events: number;
  idempotencyRecords: number;
}

/**
 * Retention's writes (sql/retention.statements.ts): each batch a statement of
 * its own, outside any transaction, so its locks last that one statement; the
 * batches repeat until one comes back short (nothing left, or only rows other
 * transactions hold, which the next run takes), or `stop` says so (the
 * process is shutting down: the rest waits for the next run).
 */
const never = () => false;

@Injectable()
export class RetentionStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** erases the secrets of the final flows whose last change is more than `afterHours` old */
  async eraseSecrets(afterHours: number, batchSize: number, stop: () => boolean = never): Promise<ErasedSecrets> {
    const result: ErasedSecrets = { flows: 0, events: 0, batches: 0, longestBatchMs: 0 };
    await this.batches(result, batchSize, stop, async () => {
      const [row] = await run(this.db, ERASE_SECRETS, [afterHours, batchSize]);
      result.flows += row.flows;
      result.events += row.events;
      return row.flows;
    });
    return result;
  }

  /** deletes the flows created more than `days` ago (DELETE_CUTOFFS), with all their rows */
  async deleteFlows(days: number, batchSize: number, stop: () => boolean = never): Promise<DeletedFlows> {
    const result: DeletedFlows = { flows: 0, events: 0, idempotencyRecords: 0, batches: 0, longestBatchMs: 0 };
    const [cutoffs] = await run(this.db, DELETE_CUTOFFS, [days]);
    const flowsOf = (sql: Statement<[Date, number], { flows: number; events: number }>, before: Date) =>
      this.batches(result, batchSize, stop, async () => {
        const [row] = await run(this.db, sql, [before, batchSize]);
        result.flows += row.flows;
        result.events += row.events;
        return row.flows;
      });
    await flowsOf(DELETE_OTP_FLOWS, cutoffs.otp_before);
    await flowsOf(DELETE_FAILOVER_FLOWS, cutoffs.failover_before);
    // every record of a deleted flow is older than it (the key is claimed first)
    await this.batches(result, batchSize, stop, async () => {
      const [row] = await run(this.db, DELETE_IDEMPOTENCY, [cutoffs.failover_before, batchSize]);
      result.idempotencyRecords += row.n;
      return row.n;
    });
    return result;
  }

  private async batches(
    into: RetentionBatches,
    batchSize: number,
    stop: () => boolean,
    batch: () => Promise<number>,
  ): Promise<void> {
    while (!stop()) {
      const started = performance.now();
      const n = await batch();
      into.batches++;
      into.longestBatchMs = Math.max(into.longestBatchMs, performance.now() - started);
      if (n < batchSize) return;
    }
  }
}
