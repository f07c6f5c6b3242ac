import { Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiExtraModels,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiPlatformBearerErrors, ApiPlatformError, KEY_RATE_LIMITED } from '../common/error-responses';
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
import { RequestId } from '../logging/request-id';

/** Routee's Failover API (CONTRACT section 10): its errors in Routee's platform body (ApiExceptionFilter). */
@ApiTags('failover')
@ApiBearerAuth()
@ApiPlatformBearerErrors()
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
  @ApiPlatformError(400, 'A bad field, one property each', 'Validation failed', {
    'flow[1].to': 'to must be an E.164 phone number',
  })
  @ApiPlatformError(
    409,
    'Idempotency-Key reused with another body, or its first request is still being processed',
    'Idempotency-Key was already used with a different request body',
  )
  @ApiPlatformError(
    429,
    'Too many requests for this key (KEY_RATE_LIMIT_PER_MIN) or flows to this number (PHONE_RATE_LIMIT); ' +
      'Retry-After says when to retry',
    KEY_RATE_LIMITED,
  )
  // the header is read from the request: @Headers() would also declare it, as a required parameter, in the OpenAPI document
  send(@Body() dto: FailoverRequestDto, @Req() req: AuthedRequest): Promise<FailoverTrackingView> {
    return this.sender.send(dto, req.caller!, headerValue(req.headers['idempotency-key']), req.id);
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
  @ApiPlatformError(404, 'No Failover flow has this id', 'tracking not found')
  track(@Param('trackingId') trackingId: string, @RequestId() requestId: string): Promise<FailoverTrackingView> {
    return this.tracking.track(trackingId, requestId);
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
