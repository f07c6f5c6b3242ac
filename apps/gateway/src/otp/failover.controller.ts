import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags, ApiUnauthorizedResponse, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { DeliveryListDto, ListDeliveriesQueryDto } from './dto/list-deliveries.dto';
import { FlowTrackingDto } from './dto/tracking.dto';
import { TrackingService } from './tracking.service';

@ApiTags('otp')
@ApiBearerAuth()
@ApiForbiddenResponse({ description: 'No bearer credentials: {"detail":"Missing Bearer credentials"}' })
@ApiUnauthorizedResponse({ description: 'Unknown or revoked key: {"detail":"Invalid or expired Bearer token"}' })
@Controller('otp/failover')
export class FailoverController {
  constructor(private readonly tracking: TrackingService) {}

  @Get()
  @ApiOperation({ summary: 'List and filter deliveries (steps), newest first; reads stored statuses, does not ask Routee' })
  @ApiOkResponse({ type: DeliveryListDto })
  @ApiUnprocessableEntityResponse({ description: 'A bad or unknown query parameter: {"detail":[{"loc":["query","limit"],"msg":"...","type":"..."}]}' })
  list(@Query() query: ListDeliveriesQueryDto): Promise<DeliveryListDto> {
    return this.tracking.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: "One flow's whole story; pending steps are refreshed from Routee first (at most 1 s, else the stored story)" })
  @ApiParam({ name: 'id', description: "The flowId, or the trackingId (message token) of either step", example: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890' })
  @ApiOkResponse({ type: FlowTrackingDto })
  @ApiNotFoundResponse({ description: 'No flow has this id: {"detail":"tracking not found"}' })
  track(@Param('id') id: string): Promise<FlowTrackingDto> {
    return this.tracking.track(id);
  }
}
