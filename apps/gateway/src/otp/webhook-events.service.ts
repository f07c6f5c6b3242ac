import { Injectable } from '@nestjs/common';
import { WebhookService } from '@app/engine';
import { FlowStore, WebhookEventStore, type WebhookEventEntity } from '@app/persistence';
import { GatewayError } from '../common/gateway-error';
import type { WebhookEventDto, WebhookEventListDto, WebhookResendDto } from './dto/webhook-event.dto';
import { findFlowOrFail } from './tracking.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** GET /otp/failover/{id}/webhooks and the re-send of a dead event. */
@Injectable()
export class WebhookEventsService {
  constructor(
    private readonly flows: FlowStore,
    private readonly events: WebhookEventStore,
    private readonly webhooks: WebhookService,
  ) {}

  async list(id: string): Promise<WebhookEventListDto> {
    const flowId = await findFlowOrFail(this.flows, id);
    return { flowId, events: (await this.events.listForFlow(flowId)).map(toDto) };
  }

  async resend(id: string, eventId: string): Promise<WebhookResendDto> {
    const flowId = await findFlowOrFail(this.flows, id);
    if (!UUID.test(eventId) || !(await this.events.resend(flowId, eventId))) {
      throw new GatewayError('not_found', 'no dead webhook event with this id in this flow');
    }
    this.webhooks.wake();
    return { id: eventId, state: 'pending' };
  }
}

function toDto(e: WebhookEventEntity): WebhookEventDto {
  const optional = {
    last_error: e.lastError,
    last_status_code: e.lastStatusCode,
    next_attempt_at: e.state === 'pending' ? e.nextAttemptAt.toISOString() : null,
    delivered_at: e.deliveredAt?.toISOString(),
  };
  return {
    id: e.id,
    type: e.type,
    state: e.state,
    attempts: e.attempts,
    url: e.url,
    ...(Object.fromEntries(
      Object.entries(optional).filter(([, v]) => v !== null && v !== undefined),
    ) as Partial<WebhookEventDto>),
    created_at: e.createdAt.toISOString(),
    payload: e.payload,
  } as WebhookEventDto;
}
