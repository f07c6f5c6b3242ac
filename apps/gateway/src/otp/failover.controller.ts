import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiDetailBearerErrors, ApiDetailError, ApiValidationError } from '../common/error-responses';
import { DeliveryListDto, ListDeliveriesQueryDto } from './dto/list-deliveries.dto';
import { FlowTrackingDto } from './dto/tracking.dto';
import { TrackingService } from './tracking.service';
import { WebhookEventListDto, WebhookResendDto } from './dto/webhook-event.dto';
import { WebhookEventsService } from './webhook-events.service';
import { VerificationService } from './verification.service';
import { RequestId } from '../logging/request-id';

@ApiTags('otp')
@ApiBearerAuth()
@ApiDetailBearerErrors()
@Controller('otp/failover')
export class FailoverController {
  constructor(
    private readonly tracking: TrackingService,
    private readonly webhookEvents: WebhookEventsService,
    private readonly verification: VerificationService,
  ) {}

  @Get()
  @ApiOperation({
    operationId: 'listDeliveries',
    summary: 'List and filter deliveries (steps), newest first; reads stored statuses, does not ask Routee',
  })
  @ApiOkResponse({ type: DeliveryListDto })
  @ApiValidationError('A bad or unknown query parameter', {
    loc: ['query', 'limit'],
    msg: 'limit must not be greater than 200',
  })
  list(@Query() query: ListDeliveriesQueryDto): Promise<DeliveryListDto> {
    return this.tracking.list(query);
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getFailoverTracking',
    summary:
      "One flow's whole story; pending steps are refreshed from Routee first (at most 1 s, else the stored story)",
  })
  @ApiParam({
    name: 'id',
    description: 'The flowId, or the trackingId (message token) of either step',
    example: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
  })
  @ApiOkResponse({ type: FlowTrackingDto })
  @ApiDetailError(404, 'No flow has this id', 'tracking not found')
  track(@Param('id') id: string, @RequestId() requestId: string): Promise<FlowTrackingDto> {
    return this.tracking.track(id, requestId);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'cancelFailover',
    summary:
      'Send no further step: the flow ends as its steps stand (Succeeded if one did, else Failed 2), its verification canceled',
  })
  @ApiParam({
    name: 'id',
    description: 'The flowId, or the trackingId of either step',
    example: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
  })
  @ApiOkResponse({
    type: FlowTrackingDto,
    description: 'The flow as it now stands (a flow already final is answered as it is)',
  })
  @ApiDetailError(404, 'No flow has this id', 'tracking not found')
  async cancel(@Param('id') id: string, @RequestId() requestId: string): Promise<FlowTrackingDto> {
    await this.verification.cancel(id, requestId);
    return this.tracking.track(id, requestId);
  }

  @Get(':id/webhooks')
  @ApiOperation({ operationId: 'listWebhookEvents', summary: "The flow's webhook events: state, attempts, last error" })
  @ApiParam({
    name: 'id',
    description: 'The flowId, or the trackingId of either step',
    example: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
  })
  @ApiOkResponse({ type: WebhookEventListDto })
  @ApiDetailError(404, 'No flow has this id', 'tracking not found')
  webhooks(@Param('id') id: string): Promise<WebhookEventListDto> {
    return this.webhookEvents.list(id);
  }

  @Post(':id/webhooks/:eventId/resend')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'resendWebhookEvent',
    summary: "Send a dead webhook event again (fresh attempts, in its place in the flow's order)",
  })
  @ApiParam({
    name: 'id',
    description: 'The flowId, or the trackingId of either step',
    example: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
  })
  @ApiParam({
    name: 'eventId',
    description: 'The event id (X-Webhook-Id)',
    example: '9b2f6a1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
  })
  @ApiAcceptedResponse({ type: WebhookResendDto })
  @ApiDetailError(404, 'No such dead event in this flow', 'no dead webhook event with this id in this flow')
  resend(@Param('id') id: string, @Param('eventId') eventId: string): Promise<WebhookResendDto> {
    return this.webhookEvents.resend(id, eventId);
  }
}
