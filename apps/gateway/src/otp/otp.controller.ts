import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiExtraModels,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiDetailBearerErrors, ApiDetailError, ApiValidationError, KEY_RATE_LIMITED } from '../common/error-responses';
import type { AuthedRequest } from '../auth/bearer-auth.guard';
import { FlowStepDto, SendFailoverDto } from './dto/send-failover.dto';
import { SendFailoverResponseDto } from './dto/send-failover-response.dto';
import { TemplateListDto } from './dto/template.dto';
import { SendFailoverService } from './send-failover.service';
import { VerifyCodeDto, VerifyResponseDto } from './dto/verify.dto';
import { VerificationService } from './verification.service';
import { RequestId } from '../logging/request-id';
import { VIBER_TEMPLATES } from '@app/routee';

@ApiTags('otp')
@ApiBearerAuth()
@ApiDetailBearerErrors()
@ApiExtraModels(FlowStepDto)
@Controller('otp')
export class OtpController {
  constructor(
    private readonly sender: SendFailoverService,
    private readonly verification: VerificationService,
  ) {}

  @Post('send-failover')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'sendFailover',
    summary: 'Send a login OTP: the primary step now, the failover step when the primary does not get through',
  })
  @ApiBody({ type: SendFailoverDto })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'A repeat with the same key and body returns the first response and sends nothing (≤ 255 chars)',
  })
  @ApiOkResponse({
    type: SendFailoverResponseDto,
    description: 'The flow, also when it failed at once (see status/statusCode)',
  })
  @ApiValidationError('Validation failed, or a destination outside ALLOWED_COUNTRY_CODES', {
    loc: ['body', 'flow', 0, 'pin'],
    msg: 'pin must be longer than or equal to 4 characters',
    type: 'isLength',
  })
  @ApiDetailError(
    409,
    'Idempotency-Key reused with another body, or its first request is still being processed',
    'Idempotency-Key was already used with a different request body',
    'a request with this Idempotency-Key is still being processed',
  )
  @ApiDetailError(
    429,
    'Too many flows to this number in the window (PHONE_RATE_LIMIT), too many requests for this key ' +
      '(KEY_RATE_LIMIT_PER_MIN), or a destination prefix blocked by the pumping guard; Retry-After says when to retry',
    'too many OTP flows to this number: at most 5 in 3600 s; retry in 1200 s',
    KEY_RATE_LIMITED,
    'destination prefix blocked: low verification rate to +3069 (3 of the last 50 flows verified, 6 %); retry in 3540 s',
  )
  // the header is read from the request: @Headers() would also declare it, as a required parameter, in the OpenAPI document
  send(@Body() dto: SendFailoverDto, @Req() req: AuthedRequest): Promise<SendFailoverResponseDto> {
    return this.sender.send(dto, req.caller!, headerValue(req.headers['idempotency-key']), req.id);
  }

  @Post('verify')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'verifyCode',
    summary: 'Check the code the user typed; an approved code ends the flow, and a failover not yet sent is never sent',
    description:
      'At most VERIFY_MAX_ATTEMPTS checks per flow are counted (exact across replicas); approved is final, and a repeat of the right code answers approved again',
  })
  @ApiBody({ type: VerifyCodeDto })
  @ApiOkResponse({
    type: VerifyResponseDto,
    description: 'What the check found; a wrong code is a 200 with status denied',
  })
  @ApiDetailError(
    404,
    'No flow has this id, or it has no code',
    'tracking not found',
    'flow a1b2c3d4-e5f6-7890-abcd-ef1234567890 has no code to verify',
  )
  @ApiValidationError('id or code missing or malformed', { loc: ['body', 'code'], msg: 'code must be a string' })
  verify(@Body() dto: VerifyCodeDto, @RequestId() requestId: string): Promise<VerifyResponseDto> {
    return this.verification.verify(dto.id, dto.code, requestId);
  }

  @Get('templates')
  @ApiOperation({ operationId: 'listTemplates', summary: 'The Viber OTP templates and the parameters each requires' })
  @ApiOkResponse({ type: TemplateListDto })
  templates(): TemplateListDto {
    return {
      templates: VIBER_TEMPLATES.map((t) => ({ id: t.id, name: t.name, templateType: t.type, params: [...t.params] })),
    };
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
