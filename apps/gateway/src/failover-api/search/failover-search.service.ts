import { Injectable } from '@nestjs/common';
import { toFailoverTracking } from '@app/engine';
import { FailoverSearchStore, type FailoverSearchFilter } from '@app/persistence';
import { PlatformError } from '../platform-error';
import type { FailoverSearchPageDto } from './dto/failover-search-page.dto';
import { parseIsoInstant, type FailoverSearchQueryDto } from './dto/failover-search-query.dto';

/** POST /failover/tracking: the stored flows, never refreshed from Routee (a search may list thousands) */
@Injectable()
export class FailoverSearchService {
  constructor(private readonly store: FailoverSearchStore) {}

  async search(query: FailoverSearchQueryDto, filters: FailoverSearchFilter[]): Promise<FailoverSearchPageDto> {
    // the DTO checked both bounds' format (FailoverSearchQueryDto)
    const createdFrom = query.dateStart === undefined ? undefined : parseIsoInstant(query.dateStart)!;
    const createdBefore = query.dateEnd === undefined ? undefined : parseIsoInstant(query.dateEnd)!;
    if (createdFrom && createdBefore && createdBefore < createdFrom) {
      throw PlatformError.badRequest({ dateEnd: 'must not be before dateStart' });
    }
    const { page, size } = query;
    const found = await this.store.search({ createdFrom, createdBefore, filters }, size, page * size);
    const now = new Date();
    const content = found.flows.map((flow) => toFailoverTracking(flow, now));
    const seen = page * size + content.length;
    return {
      content,
      totalPages: Math.ceil(found.total / size),
      totalElements: found.total,
      number: page,
      size,
      numberOfElements: content.length,
      first: page === 0,
      last: found.totalExact && seen >= found.total,
    };
  }
}
