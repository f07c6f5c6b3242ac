import { Body, Controller, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FailoverSearchFilter } from '@app/persistence';
import { FailoverSearchFilterDto } from './dto/failover-search-filter.dto';
import { FailoverSearchPageDto } from './dto/failover-search-page.dto';
import { FailoverSearchQueryDto } from './dto/failover-search-query.dto';
import { FailoverSearchFiltersPipe } from './failover-search-filters.pipe';
import { FailoverSearchService } from './failover-search.service';

/** Routee's "track multiple failovers with filters for a specific time range" (CONTRACT section 10) */
@ApiTags('failover')
@ApiBearerAuth()
@ApiForbiddenResponse({
  description: 'No bearer credentials: {"code":"403000000","developerMessage":"Missing Bearer credentials"}',
})
@ApiUnauthorizedResponse({
  description: 'Unknown or revoked key: {"code":"401000000","developerMessage":"Invalid or expired Bearer token"}',
})
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
  @ApiBadRequestResponse({
    description:
      'A bad query parameter or filter, one property each: {"code":"400000000","developerMessage":"Validation failed",' +
      '"properties":{"[0].fieldName":"must be one of to, from, type, status, label, trackingId, terminationChannel"}}',
  })
  find(
    @Query() query: FailoverSearchQueryDto,
    @Body(FailoverSearchFiltersPipe) filters: FailoverSearchFilter[],
  ): Promise<FailoverSearchPageDto> {
    return this.search.search(query, filters);
  }
}
