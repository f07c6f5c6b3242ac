import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiDetailError, ApiValidationError } from '../common/error-responses';
import { Public } from '../common/public.decorator';
import { CallbackTokenGuard } from './callback-token.guard';
import { CallbackResultDto, SmsCallbackDto, ViberCallbackDto, VoiceCallbackDto } from './dto/routee-callback.dto';
import { RouteeCallbacksService } from './routee-callbacks.service';
import { RequestId } from '../logging/request-id';

/** `body` is typed loosely on purpose (no per-field validation): see dto/routee-callback.dto.ts. */
@ApiTags('routee-callbacks')
@Public()
@UseGuards(CallbackTokenGuard)
@ApiQuery({
  name: 'token',
  required: true,
  description: 'ROUTEE_CALLBACK_TOKEN, as carried by the callback URL the gateway gave Routee',
})
@ApiDetailError(401, 'Wrong or missing token', 'invalid callback token')
@ApiValidationError('Not a delivery report (no trackingId/messageId or status)', {
  loc: ['body', 'messageId'],
  msg: 'an SMS delivery report needs messageId and status.name',
  type: 'missing',
})
@Controller('routee/callbacks')
export class RouteeCallbacksController {
  constructor(private readonly callbacks: RouteeCallbacksService) {}

  @Post('sms')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'receiveSmsReport',
    security: [],
    summary: "Routee's SMS delivery report (one per part); a failover that became due is sent within the request",
  })
  @ApiBody({ type: SmsCallbackDto })
  @ApiOkResponse({ type: CallbackResultDto })
  sms(@Body() body: Record<string, unknown>, @RequestId() requestId: string): Promise<CallbackResultDto> {
    return this.callbacks.sms(body, requestId);
  }

  @Post('viber')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'receiveViberReport',
    security: [],
    summary: "Routee's Viber delivery report; a failover that became due is sent within the request",
    description:
      "Routee's /viber/otp takes no callback per message: set this URL (with ?token=ROUTEE_CALLBACK_TOKEN) as the Routee application's Viber callback URL",
  })
  @ApiBody({ type: ViberCallbackDto })
  @ApiOkResponse({ type: CallbackResultDto })
  viber(@Body() body: Record<string, unknown>, @RequestId() requestId: string): Promise<CallbackResultDto> {
    return this.callbacks.viber(body, requestId);
  }

  @Post('voice')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'receiveVoiceReport',
    security: [],
    summary:
      "Routee's Voice call report (a Failover API Voice step); a next step that became due is sent within the request",
  })
  @ApiBody({ type: VoiceCallbackDto })
  @ApiOkResponse({ type: CallbackResultDto })
  voice(@Body() body: Record<string, unknown>, @RequestId() requestId: string): Promise<CallbackResultDto> {
    return this.callbacks.voice(body, requestId);
  }
}
