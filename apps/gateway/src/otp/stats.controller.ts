import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiDetailBearerErrors, ApiValidationError } from '../common/error-responses';
import { StatsDto, StatsQueryDto } from './dto/stats.dto';
import { StatsService } from './stats.service';

@ApiTags('otp')
@ApiBearerAuth()
@ApiDetailBearerErrors()
@Controller('otp/stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get()
  @ApiOperation({
    operationId: 'getStats',
    summary:
      'Conversion and delivery figures of the Failover OTP flows created in [from, to), per channel, country or day, and in total',
    description:
      'Flows, messages sent per channel, delivered, verified, conversion, failover rate, SMS saved by verification, ' +
      'median time to deliver and to verify, cost and cost per verified flow; computed in one SQL statement from the stored rows',
  })
  @ApiOkResponse({ type: StatsDto })
  @ApiValidationError('A bad or unknown query parameter, or to not after from', {
    loc: ['query', 'group_by'],
    msg: 'group_by must be one of the following values: channel, country, day',
  })
  get(@Query() query: StatsQueryDto): Promise<StatsDto> {
    return this.stats.stats(query);
  }
}
