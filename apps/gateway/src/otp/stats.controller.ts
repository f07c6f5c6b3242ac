import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { StatsDto, StatsQueryDto } from './dto/stats.dto';
import { StatsService } from './stats.service';

@ApiTags('otp')
@ApiBearerAuth()
@ApiForbiddenResponse({ description: 'No bearer credentials: {"detail":"Missing Bearer credentials"}' })
@ApiUnauthorizedResponse({ description: 'Unknown or revoked key: {"detail":"Invalid or expired Bearer token"}' })
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
  @ApiUnprocessableEntityResponse({
    description:
      'A bad or unknown query parameter, or to not after from: {"detail":[{"loc":["query","group_by"],"msg":"...","type":"..."}]}',
  })
  get(@Query() query: StatsQueryDto): Promise<StatsDto> {
    return this.stats.stats(query);
  }
}
