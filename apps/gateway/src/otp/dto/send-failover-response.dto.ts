import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class SentStepDto {
  @ApiProperty({ description: 'Step type as normalised', enum: ['ViberOtp', 'Sms'], example: 'ViberOtp' })
  type: string;

  @ApiProperty({ description: 'Recipient, digits without +', example: '306912345671' })
  to: string;

  @ApiProperty({ description: 'Position in the flow', example: 1 })
  order: number;

  @ApiProperty({ description: 'Validity in seconds', example: 60 })
  ttl: number;

  @ApiPropertyOptional({ description: 'Tag of the delivery', example: 'login' })
  label?: string;

  @ApiPropertyOptional({ description: 'ViberOtp: failover on delivered-not-seen', example: false })
  failoverOnDelivered?: boolean;

  @ApiPropertyOptional({ description: 'ViberOtp: Routee sender id', example: '0094d198-4dd2-4fb5-b451-d46aca191b27' })
  senderInfoTrackingId?: string;

  @ApiPropertyOptional({ description: 'ViberOtp: template id', example: '0aac888f-2ee2-4112-9659-1755a951966a' })
  templateId?: string;

  @ApiPropertyOptional({ description: 'ViberOtp: template language', example: 'en' })
  templateLang?: string;

  @ApiPropertyOptional({ description: 'ViberOtp: the code', example: '482913' })
  pin?: string;

  @ApiPropertyOptional({ description: 'Sms: sender id', example: 'Acme' })
  from?: string;

  @ApiPropertyOptional({ description: 'Sms: the message', example: { body: 'Your code is 482913' } })
  message?: { body: string };

  @ApiProperty({
    description: "Routee's trackingId (message token) of this step; null while it has not been sent",
    example: '550e8400-e29b-41d4-a716-446655440000',
    nullable: true,
    type: String,
  })
  trackingId: string | null;
}

export class SendFailoverResponseDto {
  @ApiProperty({
    description: 'The flow id; track it with GET /otp/failover/{flowId}',
    example: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
    format: 'uuid',
  })
  flowId: string;

  @ApiProperty({
    description: 'Flow status, derived like tracking',
    enum: ['InProgress', 'Succeeded', 'Failed'],
    example: 'InProgress',
  })
  status: string;

  @ApiProperty({
    description: 'When Failed: 0 server error, 1 insufficient balance, 2 no next step, 3 not failover triggered',
    example: null,
    nullable: true,
    type: Number,
    enum: [0, 1, 2, 3],
  })
  statusCode: number | null;

  @ApiProperty({
    description: 'Channel of the step that was sent last; null when nothing was sent',
    enum: ['Viber', 'Sms'],
    example: 'Viber',
    nullable: true,
    type: String,
  })
  type: string | null;

  @ApiProperty({
    type: [SentStepDto],
    description: 'The steps as accepted, with their trackingId',
    example: [
      {
        type: 'ViberOtp',
        to: '306912345671',
        order: 1,
        ttl: 60,
        label: 'login',
        pin: '482913',
        templateId: '0aac888f-2ee2-4112-9659-1755a951966a',
        trackingId: '550e8400-e29b-41d4-a716-446655440000',
      },
      {
        type: 'Sms',
        to: '306912345671',
        order: 2,
        ttl: 300,
        label: 'login',
        from: 'Acme',
        message: { body: 'Your code is 482913' },
        trackingId: null,
      },
    ],
  })
  flow: SentStepDto[];

  @ApiProperty({ description: 'When the flow was created', example: '2026-02-16T12:00:00.000Z', format: 'date-time' })
  createdAt: string;

  @ApiPropertyOptional({
    description: 'Why the flow failed (only when status is Failed)',
    example: 'Insufficient balance',
  })
  error?: string;
}
