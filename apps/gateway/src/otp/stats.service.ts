import { Injectable } from '@nestjs/common';
import { StatsStore, type StatsFigures } from '@app/persistence';
import { parseIsoInstant } from '../failover-api/search/dto/failover-search-query.dto';
import { DEFAULT_WINDOW_DAYS, type StatsDto, type StatsFiguresDto, type StatsQueryDto } from './dto/stats.dto';

const DAY_MS = 86_400_000;

/** GET /otp/stats: the window from the query (defaults: the last DEFAULT_WINDOW_DAYS days), the store's figures, the ratios. */
@Injectable()
export class StatsService {
  constructor(private readonly store: StatsStore) {}

  async stats(query: StatsQueryDto, now = new Date()): Promise<StatsDto> {
    // the DTO has checked both bounds and their order
    const to = query.to ? parseIsoInstant(query.to)! : now;
    const from = query.from ? parseIsoInstant(query.from)! : new Date(to.getTime() - DEFAULT_WINDOW_DAYS * DAY_MS);
    const { groups, total } = await this.store.stats(from, to, query.group_by);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      group_by: query.group_by,
      groups: groups.map(({ key, ...figures }) => ({ key, ...figuresDto(figures) })),
      total: figuresDto(total),
    };
  }
}

const round = (n: number, digits: number) => Number(n.toFixed(digits));

function figuresDto(f: StatsFigures): StatsFiguresDto {
  // the cost is a sum of doubles: 6 decimals drop the last bits' noise and keep every price Routee gives
  const cost = round(f.cost, 6);
  return {
    flows: f.flows,
    messages: f.messages,
    delivered: f.delivered,
    verified: f.verified,
    conversion: f.flows ? round(f.verified / f.flows, 4) : 0,
    failover_rate: f.flows ? round(f.failovers / f.flows, 4) : 0,
    sms_saved: f.smsSaved,
    median_time_to_deliver_sec: f.medianTimeToDeliverSec === null ? null : round(f.medianTimeToDeliverSec, 3),
    median_time_to_verify_sec: f.medianTimeToVerifySec === null ? null : round(f.medianTimeToVerifySec, 3),
    cost,
    cost_per_verified: f.verified ? round(cost / f.verified, 6) : null,
  };
}
