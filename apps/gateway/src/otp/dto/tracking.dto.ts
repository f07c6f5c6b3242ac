import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * One delivery of a flow, as GET /otp/failover/{id} and the list show it
 * (https://docs.routee.net/docs/tracking-deliveries). Snake_case as Routee's hosted service; a
 * field that is not known is left out rather than sent as null.
 */
export class TrackingStepDto {
  @ApiProperty({
    description: "Routee's trackingId of this message (the message token); null when Routee never took the send",
    example: '550e8400-e29b-41d4-a716-446655440000',
    nullable: true,
    type: String,
  })
  trackingId: string | null;

  @ApiProperty({
    description: 'The flow this delivery belongs to; GET /otp/failover/{flowId} tells its whole story',
    example: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
    format: 'uuid',
  })
  flowId: string;

  @ApiProperty({
    description: 'primary: the first attempt; failover: the step sent when the primary did not get through',
    enum: ['primary', 'failover'],
    example: 'primary',
  })
  role: string;

  @ApiProperty({
    description: "Routee's status as reported (Viber upper case, SMS capitalised), QUEUED/Queued before any report",
    example: 'EXPIRED',
  })
  status: string;

  @ApiProperty({
    description: 'Channel of this delivery (voice: a Failover API call, in the deliveries list)',
    enum: ['viber', 'sms', 'voice'],
    example: 'viber',
  })
  channel: string;

  @ApiProperty({ description: 'Recipient, digits without +', example: '306912345671' })
  phone_number: string;

  @ApiPropertyOptional({
    description: 'What Routee charged, when Routee reported a price (a multipart SMS: the sum of its parts)',
    example: 0.0093,
  })
  price?: number;

  @ApiPropertyOptional({
    description: 'From send to the final status in milliseconds, when Routee reported it (SMS)',
    example: 3000,
  })
  latency_ms?: number;

  @ApiPropertyOptional({
    description: 'Country of the recipient as Routee reported it (ISO 3166 alpha-2)',
    example: 'GR',
  })
  country?: string;

  @ApiPropertyOptional({ description: 'Mobile operator as Routee reported it', example: 'Cosmote' })
  operator?: string;

  @ApiProperty({
    description: 'When the gateway created this delivery',
    example: '2026-02-16T12:00:00.000Z',
    format: 'date-time',
  })
  created_at: string;

  @ApiPropertyOptional({
    description: 'When Routee accepted the send',
    example: '2026-02-16T12:00:00.412Z',
    format: 'date-time',
  })
  sent_at?: string;

  @ApiPropertyOptional({
    description: 'When the message was delivered (first Delivered/Sent SMS, DELIVERED/SEEN Viber)',
    example: '2026-02-16T12:00:02.000Z',
    format: 'date-time',
  })
  delivered_at?: string;

  @ApiPropertyOptional({ description: "Routee's detailed status (reason) of the last status", example: 'TTL Expired' })
  detailed_status?: string;

  @ApiPropertyOptional({
    description:
      "Why the delivery failed: Routee's description of a failure status, or its answer to a refused send (only on a failed delivery)",
    example: 'The TTL of the message has expired. The message could not be delivered.',
  })
  error_message?: string;

  @ApiPropertyOptional({ description: 'The label (tag) given to the step at send time', example: 'login' })
  label?: string;

  @ApiPropertyOptional({
    description: "Failover step: the primary's trackingId (message token)",
    example: '550e8400-e29b-41d4-a716-446655440000',
  })
  failover_from_message_token?: string;
}

export class FlowVerificationDto {
  @ApiProperty({
    description: 'pending (not checked right yet), approved (final) or canceled',
    enum: ['pending', 'approved', 'canceled'],
    example: 'approved',
  })
  status: string;

  @ApiProperty({
    description: 'When the code was approved',
    example: '2026-12-01T12:00:41.000Z',
    nullable: true,
    type: String,
  })
  verified_at: string | null;

  @ApiProperty({ description: 'Checks made (POST /otp/verify), at most VERIFY_MAX_ATTEMPTS', example: 1 })
  attempts: number;
}

export class FlowTrackingDto {
  @ApiProperty({ description: 'The flow id', example: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890', format: 'uuid' })
  flowId: string;

  @ApiProperty({
    description: "Flow status over all its steps (Routee's flow-level statuses)",
    enum: ['InProgress', 'Succeeded', 'Failed'],
    example: 'InProgress',
  })
  status: string;

  @ApiProperty({
    description:
      'When Failed: 0 server error, 1 insufficient balance, 2 no next step, 3 not failover triggered; else null',
    example: null,
    nullable: true,
    type: Number,
    enum: [0, 1, 2, 3],
  })
  statusCode: number | null;

  @ApiProperty({ description: 'Sum of the known prices of the steps (0 when none is known yet)', example: 0.0468 })
  total_cost: number;

  @ApiPropertyOptional({
    type: FlowVerificationDto,
    description: 'The code check (POST /otp/verify); absent on a flow that has no code',
    example: { status: 'approved', verified_at: '2026-12-01T12:00:41.000Z', attempts: 1 },
  })
  verification?: FlowVerificationDto;

  @ApiProperty({
    type: [TrackingStepDto],
    description: 'steps[0] is the primary attempt, steps[1] the failover step once it exists',
    example: [
      {
        trackingId: '550e8400-e29b-41d4-a716-446655440000',
        flowId: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
        role: 'primary',
        status: 'EXPIRED',
        channel: 'viber',
        phone_number: '306912345671',
        price: 0.0093,
        country: 'GR',
        created_at: '2026-02-16T12:00:00.000Z',
        sent_at: '2026-02-16T12:00:00.412Z',
        detailed_status: 'TTL Expired',
        error_message: 'The TTL of the message has expired. The message could not be delivered.',
        label: 'login',
      },
      {
        trackingId: '660e8400-e29b-41d4-a716-446655440001',
        flowId: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
        role: 'failover',
        status: 'Queued',
        channel: 'sms',
        phone_number: '306912345671',
        price: 0.0375,
        created_at: '2026-02-16T12:01:00.520Z',
        sent_at: '2026-02-16T12:01:00.611Z',
        label: 'login',
        failover_from_message_token: '550e8400-e29b-41d4-a716-446655440000',
      },
    ],
  })
  steps: TrackingStepDto[];
}
