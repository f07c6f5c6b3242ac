import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { run } from './sql/statement';
import { STATS_BY, type StatsGroupBy, type StatsRow } from './sql/stats.statements';

export type { StatsGroupBy } from './sql/stats.statements';

/** The counted figures of a set of flows (a group, or the whole window); ratios are the caller's. */
export interface StatsFigures {
  flows: number;
  messages: { viber: number; sms: number };
  delivered: number;
  verified: number;
  /** flows whose failover step was sent */
  failovers: number;
  smsSaved: number;
  /** seconds; null when no flow has the figure */
  medianTimeToDeliverSec: number | null;
  medianTimeToVerifySec: number | null;
  cost: number;
}

export interface StatsGroup extends StatsFigures {
  key: string;
}

export interface StatsResult {
  groups: StatsGroup[];
  total: StatsFigures;
}

const NO_FLOWS: StatsFigures = {
  flows: 0,
  messages: { viber: 0, sms: 0 },
  delivered: 0,
  verified: 0,
  failovers: 0,
  smsSaved: 0,
  medianTimeToDeliverSec: null,
  medianTimeToVerifySec: null,
  cost: 0,
};

/** GET /otp/stats: the figures of the Failover OTP flows created in [from, to), in one statement. */
@Injectable()
export class StatsStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async stats(from: Date, to: Date, groupBy: StatsGroupBy): Promise<StatsResult> {
    const rows = await run(this.db, STATS_BY[groupBy], [from, to]);
    const total = rows.find((r) => r.is_total);
    return {
      groups: rows.filter((r) => !r.is_total).map((r) => ({ key: r.key ?? 'unknown', ...figuresOf(r) })),
      // the grand total's grouping set answers a row even over no flows; kept for safety
      total: total ? figuresOf(total) : NO_FLOWS,
    };
  }
}

function figuresOf(r: StatsRow): StatsFigures {
  return {
    flows: r.flows,
    messages: { viber: r.viber_messages, sms: r.sms_messages },
    delivered: r.delivered,
    verified: r.verified,
    failovers: r.failovers,
    smsSaved: r.sms_saved,
    medianTimeToDeliverSec: r.median_time_to_deliver,
    medianTimeToVerifySec: r.median_time_to_verify,
    cost: r.cost,
  };
}
