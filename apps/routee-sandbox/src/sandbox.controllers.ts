import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { BearerGuard } from './bearer.guard';
import { MessageService } from './message.service';
import { RouteeApiError } from './routee-api.error';
import { isHttpUrl } from './send-requests';
import { type SandboxFaultSettings } from './sandbox-faults.service';
import { SandboxStateService, type SandboxStats } from './sandbox-state.service';
import { type TokenAnswer, TokenService } from './token.service';
import { VoiceService } from './voice.service';

/** Controllers only translate HTTP; Routee answers 200 (not Nest's 201) to its POSTs. */

@Controller('oauth')
export class AuthController {
  constructor(@Inject(TokenService) private readonly tokens: TokenService) {}

  @Post('token')
  @HttpCode(200)
  token(@Headers('authorization') authorization: string | undefined, @Body() form: unknown): TokenAnswer {
    return this.tokens.issue(authorization, form);
  }
}

@Controller('sms')
@UseGuards(BearerGuard)
export class SmsController {
  constructor(@Inject(MessageService) private readonly messages: MessageService) {}

  @Post()
  @HttpCode(200)
  send(@Body() body: unknown): Record<string, unknown> {
    return this.messages.sendSms(body);
  }

  @Get('tracking/single/:messageId')
  tracking(@Param('messageId') messageId: string): Promise<Array<Record<string, unknown>>> {
    return this.messages.smsTracking(messageId);
  }
}

@Controller('viber')
@UseGuards(BearerGuard)
export class ViberController {
  constructor(@Inject(MessageService) private readonly messages: MessageService) {}

  @Post('otp')
  @HttpCode(200)
  send(@Body() body: unknown): Record<string, unknown> {
    return this.messages.sendViberOtp(body);
  }

  @Post()
  @HttpCode(200)
  sendMessage(@Body() body: unknown): Record<string, unknown> {
    return this.messages.sendViber(body);
  }

  @Get('tracking/:trackingId')
  tracking(@Param('trackingId') trackingId: string): Promise<Record<string, unknown>> {
    return this.messages.viberTracking(trackingId);
  }
}

@Controller('voice')
@UseGuards(BearerGuard)
export class VoiceController {
  constructor(@Inject(VoiceService) private readonly voice: VoiceService) {}

  @Post('conversation')
  @HttpCode(200)
  start(@Body() body: unknown): Record<string, unknown> {
    return this.voice.startConversation(body);
  }

  @Get('tracking/conversation/:conversationTrackingId')
  tracking(@Param('conversationTrackingId') id: string): Promise<Record<string, unknown>> {
    return this.voice.dialTracking(id);
  }
}

/** Not Routee: lets tests in other processes see and steer the sandbox. */
@Controller('_sandbox')
export class AdminController {
  constructor(@Inject(SandboxStateService) private readonly state: SandboxStateService) {}

  @Get('stats')
  stats(): SandboxStats {
    return this.state.stats();
  }

  @Post('reset')
  @HttpCode(204)
  reset(): void {
    this.state.reset();
  }

  @Post('revoke-tokens')
  @HttpCode(204)
  revokeTokens(): void {
    this.state.revokeAllTokens();
  }

  @Post('faults')
  @HttpCode(204)
  faults(@Body() faults: SandboxFaultSettings): void {
    this.state.setFaults(faults ?? {});
  }

  /** what an operator sets in Routee's portal: the application's Viber callback URL (`{"viberCallbackUrl": null}` clears it) */
  @Post('application')
  @HttpCode(204)
  application(@Body() settings: { viberCallbackUrl?: string | null }): void {
    const url = settings?.viberCallbackUrl;
    if (url !== undefined && url !== null && !isHttpUrl(url))
      throw RouteeApiError.validation('generic', 'viberCallbackUrl: must be an http(s) URL');
    this.state.setViberCallbackUrl(url ?? undefined);
  }
}
