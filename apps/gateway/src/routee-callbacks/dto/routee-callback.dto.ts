import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * Routee's delivery reports, as Routee posts them (docs: SMS callbacks, Viber
 * callbacks: https://docs.routee.net/docs/callbacks, https://docs.routee.net/docs/viber-callback). These classes document the payload; the service reads
 * it leniently (`@app/routee` readers) instead of validating it field by
 * field: Routee adds fields over time, and refusing a report it sends would
 * only make it retry that report.
 */
export class CallbackReasonDto {
  @ApiPropertyOptional({ description: 'Operator/Routee detail', example: 'Undelivered on Handset' })
  detailedStatus?: string;

  @ApiPropertyOptional({
    description: 'Human description',
    example: 'The message could not be delivered to the handset',
  })
  description?: string;
}

export class CallbackStatusDto {
  @ApiProperty({ description: 'Status name (SMS capitalised, Viber upper case)', example: 'Delivered' })
  name: string;

  @ApiPropertyOptional({
    type: CallbackReasonDto,
    description: 'Why, when Routee says',
    example: {
      detailedStatus: 'Undelivered on Handset',
      description: 'The message could not be delivered to the handset',
    },
  })
  reason?: CallbackReasonDto;

  @ApiPropertyOptional({
    description: 'When Routee reached the status',
    example: '2026-02-16T12:00:03.000Z',
    format: 'date-time',
  })
  updatedDate?: string;
}

/** One report per SMS part. */
export class SmsCallbackDto {
  @ApiProperty({
    description: "The message's trackingId (the gateway step's trackingId)",
    example: '1ab9a8c4-0f53-4a55-9a4b-8d5f2b1c1e0a',
  })
  messageId: string;

  @ApiPropertyOptional({ description: 'Id of this part', example: '6b1a4a4c-9c55-4a9e-8c6a-3c6b0f1e2d3c' })
  smsId?: string;

  @ApiPropertyOptional({ description: 'This part (1-based)', example: 1 })
  part?: number;

  @ApiPropertyOptional({ description: 'Number of parts of the message', example: 1 })
  parts?: number;

  @ApiProperty({
    type: CallbackStatusDto,
    description: "This part's status",
    example: {
      name: 'Delivered',
      reason: { detailedStatus: 'Delivered', description: 'Delivered to handset' },
      updatedDate: '2026-02-16T12:00:03.000Z',
    },
  })
  status: CallbackStatusDto;

  @ApiPropertyOptional({ description: 'Price of this part', example: 0.0375 })
  price?: number;

  @ApiPropertyOptional({ description: 'Seconds from send to the final status', example: 2.1 })
  latency?: number;

  @ApiPropertyOptional({ description: 'Recipient', example: '+306912345671' })
  to?: string;

  @ApiPropertyOptional({ description: "Recipient's country (ISO 3166-1 alpha-2)", example: 'GR' })
  country?: string;

  @ApiPropertyOptional({ description: "Recipient's operator", example: 'Cosmote' })
  operator?: string;
}

export class ViberCallbackDto {
  @ApiProperty({
    description: "The message's trackingId (the gateway step's trackingId)",
    example: '550e8400-e29b-41d4-a716-446655440000',
  })
  trackingId: string;

  @ApiProperty({
    type: CallbackStatusDto,
    description: "The message's status",
    example: {
      name: 'UNDELIVERED',
      reason: { detailedStatus: 'Not Viber User', description: 'The recipient is not a Viber user' },
      updatedDate: '2026-02-16T12:00:03.000Z',
    },
  })
  status: CallbackStatusDto;

  @ApiPropertyOptional({ description: 'Price of the message', example: 0.0093 })
  price?: number;

  @ApiPropertyOptional({ description: 'Recipient', example: '+306912345671' })
  to?: string;

  @ApiPropertyOptional({ description: "Recipient's country (ISO 3166-1 alpha-2)", example: 'GR' })
  country?: string;
}

/** Routee's Voice conversation callback (https://docs.routee.net/docs/voice-conversation-callbacks) */
export class VoiceCallbackDto {
  @ApiProperty({
    description: "The conversation's id: the trackingId Routee answered the call with",
    example: '6cc3485a-2340-430d-b073-e50fc94b0269',
  })
  conversationTrackingId: string;

  @ApiPropertyOptional({ description: "The dialled call's id", example: '506cef16-d7e4-4a60-9c71-2c42e1a6739b' })
  messageId?: string;

  @ApiProperty({
    type: CallbackStatusDto,
    description: 'The call state: Completed, Busy, NoAnswer, Failed, …',
    example: { name: 'Completed', updatedDate: '2021-06-09T13:22:13.038Z' },
  })
  status: CallbackStatusDto;

  @ApiPropertyOptional({ description: 'Seconds the call lasted', example: 4 })
  duration?: number;

  @ApiPropertyOptional({ description: 'Price of the call', example: 0.0039 })
  price?: number;

  @ApiPropertyOptional({ description: 'Recipient', example: '+306912345678' })
  to?: string;
}

export class CallbackResultDto {
  @ApiProperty({
    description:
      'applied: the report moved the step (and any due failover was sent); unchanged: nothing new; ' +
      'refreshed: a multipart SMS was re-read from Routee tracking; ignored: no step has this trackingId',
    enum: ['applied', 'unchanged', 'refreshed', 'ignored'],
    example: 'applied',
  })
  result: 'applied' | 'unchanged' | 'refreshed' | 'ignored';
}
