import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { GatewayConfig } from '@app/config';
import { FlowEngine, toFailoverTracking, WebhookService, type FailoverTrackingView } from '@app/engine';
import { FlowStore, IdempotencyStore, type StepDefinition } from '@app/persistence';
import type { Caller } from '../auth/api-key.service';
import { checkIdempotencyKey, requestHashOf, sendOnce } from '../common/idempotent-send';
import { GATEWAY_CONFIG } from '../gateway-config.provider';
import type { FailoverCallbackDto, FailoverRequestDto } from './dto/failover-request.dto';
import { recipientOf, toFailoverDefinition } from './failover-definition';
import { PlatformError } from './platform-error';

/** POST /failover: the request checked, the flow started (step 1 handed to Routee within the call), its tracking object. */
@Injectable()
export class FailoverSendService {
  constructor(
    private readonly engine: FlowEngine,
    private readonly idempotency: IdempotencyStore,
    private readonly flows: FlowStore,
    private readonly webhooks: WebhookService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async send(
    dto: FailoverRequestDto,
    caller: Caller,
    idempotencyKey: string | undefined,
    requestId?: string,
  ): Promise<FailoverTrackingView> {
    const definition = toFailoverDefinition(dto);
    this.checkDestinations(dto);
    const callback = dto.callback ?? null;
    if (callback) await this.checkCallbackUrl(callback.url);
    const start = (id: string) => this.start(id, definition, callback, caller, requestId);
    if (idempotencyKey === undefined) return start(randomUUID());
    checkIdempotencyKey(idempotencyKey);
    const { claimMs, waitMs } = this.config.idempotency;
    return sendOnce(
      { idempotency: this.idempotency, flows: this.flows, claimMs, waitMs },
      caller.keyId,
      idempotencyKey,
      // the surface is in the hash: one key on both surfaces is a mismatch, never the other surface's answer
      requestHashOf({ kind: 'failover', definition, callback }),
      { start, answer: (created) => toFailoverTracking(created) },
    );
  }

  /** ALLOWED_COUNTRY_CODES: every step's recipient must start with one of the calling codes (none configured: any) */
  private checkDestinations(dto: FailoverRequestDto): void {
    const allowed = this.config.limits.allowedCountryCodes;
    if (allowed.length === 0) return;
    const properties: Record<string, string> = {};
    dto.flow.forEach((step, i) => {
      if (allowed.some((code) => recipientOf(step).startsWith(code))) return;
      properties[step.type === 'Voice' ? `flow[${i}].to.phone` : `flow[${i}].to`] =
        `destination country not allowed: the number must start with one of the calling codes ${allowed.map((c) => `+${c}`).join(', ')}`;
    });
    if (Object.keys(properties).length > 0) throw PlatformError.badRequest(properties);
  }

  /** the otp send's check: no private, loopback or metadata address (WEBHOOK_ALLOW_PRIVATE) */
  private async checkCallbackUrl(url: string): Promise<void> {
    const verdict = await this.webhooks.checkUrl(url);
    if (!verdict.ok) throw PlatformError.badRequest({ 'callback.url': `callback.url is refused: ${verdict.reason}` });
  }

  private async start(
    id: string,
    definition: StepDefinition[],
    callback: FailoverCallbackDto | null,
    caller: Caller,
    requestId: string | undefined,
  ): Promise<FailoverTrackingView> {
    const started = await this.engine.startFlow({
      id,
      kind: 'failover',
      definition,
      callbackUrl: callback?.url ?? null,
      callbackStrategy: callback?.strategy ?? null,
      apiKeyId: caller.keyId,
      requestId,
    });
    return toFailoverTracking(started);
  }
}
