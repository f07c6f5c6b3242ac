import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { run } from './sql/statement';
import {
  ACTIVE_BLOCK,
  ACTIVE_BLOCKS,
  BLOCK_IF_LOW,
  FIGURES,
  LIFT_BLOCK,
  LOCK_PREFIX,
  RECENT_BLOCKS,
  type PumpingBlockRow,
} from './sql/pumping.statements';

/** the pumping guard's figures (PUMPING_* settings, docs/operations.md "Pumping guard") */
export interface PumpingRule {
  /** PUMPING_MIN_FLOWS: the sample's size, and the fewest flows that may block */
  minFlows: number;
  /** PUMPING_MIN_CONVERSION: approved / flows under which the prefix is blocked */
  minConversion: number;
  /** PUMPING_BLOCK_SEC */
  blockSec: number;
  /** PUMPING_SETTLE_SEC: flows younger than this are not counted yet */
  settleSec: number;
}

export interface PumpingBlock {
  id: string;
  /** E.164 calling code and the next 2 digits, digits only */
  prefix: string;
  blockedAt: Date;
  until: Date;
  flows: number;
  approved: number;
  conversion: number;
  liftedAt: Date | null;
}

/** what a send's check found: a block in force, or the prefix's current figures */
export type PumpingFigures =
  | { prefix: string; block: Omit<PumpingBlock, 'prefix' | 'liftedAt'> }
  | { prefix: string; block: null; flows: number; approved: number };

/**
 * The pumping guard's state in Postgres, so that every replica honours a
 * block: one row a block (pumping_blocks), the figures read from flows and
 * steps (sql/pumping.statements.ts).
 */
@Injectable()
export class PumpingStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** one round trip: the prefix of `phone`, and its block in force or its figures */
  async figures(phone: string, rule: PumpingRule): Promise<PumpingFigures> {
    const [row] = await run(this.db, FIGURES, [phone, rule.minFlows, rule.settleSec]);
    if (row.block_id === null) return { prefix: row.prefix, block: null, flows: row.flows, approved: row.approved };
    return {
      prefix: row.prefix,
      block: {
        id: row.block_id,
        blockedAt: row.block_blocked_at,
        until: row.block_until,
        flows: row.block_flows,
        approved: row.block_approved,
        conversion: row.block_conversion,
      },
    };
  }

  /**
   * Blocks the prefix if its figures, read again under the prefix's lock, are
   * still low: `created` is true for the one caller that recorded the block.
   * Null when they are no longer low (a lift committed meanwhile).
   */
  async block(prefix: string, rule: PumpingRule): Promise<{ block: PumpingBlock; created: boolean } | null> {
    return this.db.transaction(async (tx) => {
      await run(tx, LOCK_PREFIX, [prefix]);
      const [created] = await run(tx, BLOCK_IF_LOW, [
        prefix,
        rule.minFlows,
        rule.settleSec,
        rule.minConversion,
        rule.blockSec,
      ]);
      if (created) return { block: toBlock(created), created: true };
      const [active] = await run(tx, ACTIVE_BLOCK, [prefix]);
      return active ? { block: toBlock(active), created: false } : null;
    });
  }

  /** the blocks in force; with `all`, the latest 100 blocks, ended ones too */
  async list(all = false): Promise<PumpingBlock[]> {
    return (all ? await run(this.db, RECENT_BLOCKS, [100]) : await run(this.db, ACTIVE_BLOCKS, [])).map(toBlock);
  }

  /** the block lifted, or null when none was in force on the prefix */
  async lift(prefix: string): Promise<PumpingBlock | null> {
    const [row] = await run(this.db, LIFT_BLOCK, [prefix]);
    return row ? toBlock(row) : null;
  }
}

function toBlock(row: PumpingBlockRow): PumpingBlock {
  return {
    id: row.id,
    prefix: row.prefix,
    blockedAt: row.blocked_at,
    until: row.until,
    flows: row.flows,
    approved: row.approved,
    conversion: row.conversion,
    liftedAt: row.lifted_at,
  };
}
