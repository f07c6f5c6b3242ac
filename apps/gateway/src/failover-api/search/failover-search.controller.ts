import { Body, Controller, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPlatformBearerErrors, ApiPlatformError } from '../../common/error-responses';
import type { FailoverSearchFilter } from '@app/persistence';
import { FailoverSearchFilterDto } from './dto/failover-search-filter.dto';
import { FailoverSearchPageDto } from './dto/failover-search-page.dto';
import { FailoverSearchQueryDto } from './dto/failover-search-query.dto';
import { FailoverSearchFiltersPipe } from './failover-search-filters.pipe';
import { FailoverSearchService } from './failover-search.service';

/** Routee's "track multiple failovers with filters for a specific time range" (CONTRACT section 10) */
@ApiTags('failover')
@ApiBearerAuth()
@ApiPlatformBearerErrors()
@Controller('failover/tracking')
export class FailoverSearchController {
  constructor(private readonly search: FailoverSearchService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'searchFailoverTracking',
    summary:
      'Search Failover flows created in a time range, with filters (all ANDed), newest first; reads stored ' +
      'statuses, does not ask Routee',
  })
  @ApiBody({
    type: [FailoverSearchFilterDto],
    required: false,
    description: 'The filters, all ANDed; [] or no body: every flow in the range',
    examples: {
      "Routee's example: to one number, no Voice message": {
        value: [
          { fieldName: 'to', searchOperator: 'is', searchTerm: '+306912345678' },
          { fieldName: 'type', searchOperator: 'is_not', searchTerm: 'Voice' },
        ],
      },
      'Failed flows that ended on Sms': {
        value: [
          { fieldName: 'status', searchOperator: 'is', searchTerm: 'Failed' },
          { fieldName: 'terminationChannel', searchOperator: 'is', searchTerm: 'Sms' },
        ],
      },
      'A label, in part': { value: [{ fieldName: 'label', searchOperator: 'contains', searchTerm: 'login' }] },
      'No filter': { value: [] },
    },
  })
  @ApiOkResponse({ type: FailoverSearchPageDto })
  @ApiPlatformError(400, 'A bad query parameter or filter, one property each', 'Validation failed', {
    '[0].fieldName': 'must be one of to, from, type, status, label, trackingId, terminationChannel',
  })
  find(
    @Query() query: FailoverSearchQueryDto,
    @Body(FailoverSearchFiltersPipe) filters: FailoverSearchFilter[],
  ): Promise<FailoverSearchPageDto> {
    return this.search.search(query, filters);
  }
}
