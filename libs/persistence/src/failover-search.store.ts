import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { FlowStore, type FlowWithSteps } from './flow.store';
import { failoverSearchMatches, failoverSearchWhere, type FailoverSearchWhere } from './sql/failover-search.statements';
import { run } from './sql/statement';

export {
  FAILOVER_SEARCH_FIELDS,
  FAILOVER_SEARCH_OPERATORS,
  type FailoverSearchField,
  type FailoverSearchFilter,
  type FailoverSearchOperator,
  type FailoverSearchWhere,
} from './sql/failover-search.statements';

export interface FailoverSearchResult {
  /** the page's flows with their steps, newest first */
  flows: FlowWithSteps[];
  /** every match, not only this page, when `totalExact`; otherwise a lower bound (FAILOVER_SEARCH_COUNT_AHEAD) */
  total: number;
  totalExact: boolean;
}

/**
 * How far past the end of the page matches are counted, as for the deliveries
 * list (DeliveryStore, TOTAL_COUNT_AHEAD): an exact count of a broad filter
 * reads every match, which no index makes fast at 1M flows. Counting stops at
 * offset + limit + this: the total is exact up to there, a lower bound beyond,
 * and whether a next page exists is always known. 200 rather than the list's
 * 1,000: a flow costs more to test than a step (its definition's values are
 * read from jsonb, ~2 µs), and at 1,000 a label a tenth of the flows carry
 * took 16 ms to count (docs/failover-search.md).
 */
export const FAILOVER_SEARCH_COUNT_AHEAD = 200;

/**
 * Searches Failover API flows for POST /failover/tracking. Reads what is
 * stored: the search never asks Routee. The page's ids and the bounded count
 * come from one query, one walk over the matches (its indexes: migration
 * FailoverSearchIndexes), the flows with their steps from FlowStore.
 */
@Injectable()
export class FailoverSearchStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly flowStore: FlowStore,
  ) {}

  async search(where: FailoverSearchWhere, limit: number, offset: number): Promise<FailoverSearchResult> {
    const sql = failoverSearchWhere(where);
    const bound = offset + limit + FAILOVER_SEARCH_COUNT_AHEAD;
    const [{ total: counted, ids }] = await run(this.db, failoverSearchMatches(sql), [
      ...sql.params,
      bound + 1,
      limit,
      offset,
    ]);
    const loaded = new Map((await this.flowStore.loadMany(ids)).map((f) => [f.flow.id, f]));
    // a flow deleted between the two reads is left out
    const flows = ids.flatMap((id) => loaded.get(id) ?? []);
    const total = Number(counted);
    return { flows, total: Math.min(total, bound), totalExact: total <= bound };
  }
}
