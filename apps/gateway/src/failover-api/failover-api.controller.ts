import { Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FailoverTrackingView } from '@app/engine';
import type { AuthedRequest } from '../auth/bearer-auth.guard';
import {
  FailoverRequestDto,
  PlayVerbDto,
  SayVerbDto,
  SmsStepDto,
  ViberStepDto,
  VoiceStepDto,
} from './dto/failover-request.dto';
import { THREE_STEP_EXAMPLE, VIBER_SMS_EXAMPLE } from './dto/failover-examples';
import {
  FailoverTrackingDto,
  SmsMessageViewDto,
  ViberMessageViewDto,
  VoiceMessageViewDto,
} from './dto/failover-tracking.dto';
import { FailoverSendService } from './failover-send.service';
import { FailoverTrackingService } from './failover-tracking.service';

/** Routee's Failover API (CONTRACT section 10): its errors in Routee's platform body (ApiExceptionFilter). */
@ApiTags('failover')
@ApiBearerAuth()
@ApiForbiddenResponse({
  description: 'No bearer credentials: {"code":"403000000","developerMessage":"Missing Bearer credentials"}',
})
@ApiUnauthorizedResponse({
  description: 'Unknown or revoked key: {"code":"401000000","developerMessage":"Invalid or expired Bearer token"}',
})
@ApiExtraModels(
  SmsStepDto,
  ViberStepDto,
  VoiceStepDto,
  PlayVerbDto,
  SayVerbDto,
  SmsMessageViewDto,
  ViberMessageViewDto,
  VoiceMessageViewDto,
)
@Controller('failover')
export class FailoverApiController {
  constructor(
    private readonly sender: FailoverSendService,
    private readonly tracking: FailoverTrackingService,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'sendFailoverApi',
    summary: 'Send a Failover message: step 1 now, each next step when the one before ends in its failoverOnStatuses',
  })
  @ApiBody({
    type: FailoverRequestDto,
    examples: {
      'Sms → Voice → Viber': { value: THREE_STEP_EXAMPLE },
      'Viber → Sms': { value: VIBER_SMS_EXAMPLE },
    },
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'A repeat with the same key and body returns the first response and sends nothing (≤ 255 chars)',
  })
  @ApiOkResponse({ type: FailoverTrackingDto, description: 'The tracking object once step 1 was handed to Routee' })
  @ApiBadRequestResponse({
    description:
      'A bad field, one property each: {"code":"400000000","developerMessage":"Validation failed","properties":{"flow[1].to":"..."}}',
  })
  @ApiConflictResponse({ description: 'Idempotency-Key reused with another body: {"code":"409000000",...}' })
  @ApiTooManyRequestsResponse({ description: 'Too many requests for this key: {"code":"429000000",...}' })
  // the header is read from the request: @Headers() would also declare it, as a required parameter, in the OpenAPI document
  send(@Body() dto: FailoverRequestDto, @Req() req: AuthedRequest): Promise<FailoverTrackingView> {
    return this.sender.send(dto, req.caller!, headerValue(req.headers['idempotency-key']));
  }

  @Get('tracking/:trackingId')
  @ApiOperation({
    operationId: 'getFailoverApiTracking',
    summary: 'One Failover flow; its pending steps are refreshed from Routee first (at most 1 s, else as stored)',
  })
  @ApiParam({
    name: 'trackingId',
    description: "The flow's trackingId, or any of its messages' ids",
    example: '30830fad-21ed-49b0-89d0-bbada2fd5640',
  })
  @ApiOkResponse({ type: FailoverTrackingDto })
  @ApiNotFoundResponse({
    description: 'No Failover flow has this id: {"code":"404000000","developerMessage":"tracking not found"}',
  })
  track(@Param('trackingId') trackingId: string): Promise<FailoverTrackingView> {
    return this.tracking.track(trackingId);
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
