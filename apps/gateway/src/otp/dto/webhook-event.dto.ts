import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class WebhookEventDto {
  @ApiProperty({
    description: 'Event id, sent as X-Webhook-Id (stable across retries)',
    example: '9b2f6a1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
    format: 'uuid',
  })
  id: string;

  @ApiProperty({
    description: 'What happened',
    enum: ['step.status_changed', 'failover.sent', 'flow.status_changed'],
    example: 'failover.sent',
  })
  type: string;

  @ApiProperty({
    description: 'pending (waiting for its turn or a retry), delivering, delivered, dead (out of attempts)',
    enum: ['pending', 'delivering', 'delivered', 'dead'],
    example: 'delivered',
  })
  state: string;

  @ApiProperty({ description: 'Delivery attempts made so far', example: 1 })
  attempts: number;

  @ApiProperty({
    description: 'Where it is POSTed (callback.url of the flow)',
    example: 'https://app.example.com/otp-events',
  })
  url: string;

  @ApiPropertyOptional({ description: 'Why the last attempt failed', example: 'HTTP 500' })
  last_error?: string;

  @ApiPropertyOptional({ description: 'HTTP status of the last attempt', example: 200 })
  last_status_code?: number;

  @ApiProperty({ description: 'When the event was written', example: '2026-02-16T12:00:01.000Z', format: 'date-time' })
  created_at: string;

  @ApiPropertyOptional({
    description: 'When the next attempt is due (pending events)',
    example: '2026-02-16T12:00:03.000Z',
    format: 'date-time',
  })
  next_attempt_at?: string;

  @ApiPropertyOptional({
    description: 'When a 2xx came back',
    example: '2026-02-16T12:00:01.120Z',
    format: 'date-time',
  })
  delivered_at?: string;

  @ApiProperty({
    description: 'The tracking body that is POSTed',
    example: {
      flowId: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
      status: 'InProgress',
      statusCode: null,
      total_cost: 0,
      steps: [],
    },
  })
  payload: unknown;
}

export class WebhookEventListDto {
  @ApiProperty({ description: 'The flow', example: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890', format: 'uuid' })
  flowId: string;

  @ApiProperty({ type: [WebhookEventDto], description: 'Its webhook events, oldest first', example: [] })
  events: WebhookEventDto[];
}

export class WebhookResendDto {
  @ApiProperty({
    description: 'The event, back to pending with fresh attempts',
    example: '9b2f6a1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
    format: 'uuid',
  })
  id: string;

  @ApiProperty({ description: 'Its state now', example: 'pending' })
  state: string;
}
