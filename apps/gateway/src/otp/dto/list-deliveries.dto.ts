import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { TrackingStepDto } from './tracking.dto';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

/** `?status=` (what a form sends for an unset field) means "no filter", like leaving the parameter out */
const emptyIsAbsent = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/** An optional free-text filter: a string, at most `max` characters, no control characters (Postgres refuses NUL). */
function TextFilter(max: number, description: string, example: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ description, example, maxLength: max }) as PropertyDecorator,
    Transform(emptyIsAbsent),
    IsOptional(),
    IsString(),
    MaxLength(max),
    Matches(/^\P{Cc}*$/u, { message: '$property must not contain control characters' }),
  );
}

/** Query of GET /otp/failover. Unknown parameters are refused (422), like unknown body fields. */
export class ListDeliveriesQueryDto {
  @TextFilter(50, 'Routee status, exact and case-insensitive (Delivered, EXPIRED, queued, ...)', 'Delivered')
  status?: string;

  @TextFilter(350, 'Part of the label (tag) given at send time, case-insensitive', 'login')
  tag?: string;

  @ApiPropertyOptional({
    description: 'Part of the recipient number, digits (a leading + is ignored)',
    example: '3069123',
    maxLength: 15,
  })
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? emptyIsAbsent({ value: value.trim().replace(/^\+/, '') }) : value,
  )
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,15}$/, { message: '$property must be 1 to 15 digits (a leading + is ignored)' })
  phone_number?: string;

  @ApiPropertyOptional({
    description: 'A flowId: all deliveries of that flow',
    example: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
    format: 'uuid',
  })
  @Transform(emptyIsAbsent)
  @IsOptional()
  @IsUUID('loose')
  flow_id?: string;

  @ApiPropertyOptional({
    description: `Page size, 1 to ${MAX_LIMIT}`,
    example: DEFAULT_LIMIT,
    default: DEFAULT_LIMIT,
    minimum: 1,
    maximum: MAX_LIMIT,
  })
  @Type(() => Number)
  @Min(1)
  @Max(MAX_LIMIT)
  @IsInt() // the rule nearest the field is checked first: "abc" is reported as not an integer
  limit: number = DEFAULT_LIMIT;

  @ApiPropertyOptional({ description: 'Matches to skip (newest first)', example: 0, default: 0, minimum: 0 })
  @Type(() => Number)
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  @IsInt()
  offset: number = 0;
}

/** One delivery in the list: a step of a flow, as the flow's tracking shows it (flowId included). */
export class DeliveryDto extends TrackingStepDto {}

export class DeliveryListDto {
  @ApiProperty({
    description:
      'Number of deliveries matching the filters (all pages). Counted up to offset + limit + 1,000: when more match, ' +
      'this is that bound and total_exact is false (at least this many)',
    example: 1,
  })
  total: number;

  @ApiProperty({
    description: 'true: total is the exact number of matches; false: more than total match (the count stopped there)',
    example: true,
  })
  total_exact: boolean;

  @ApiProperty({ description: 'Page size used', example: DEFAULT_LIMIT })
  limit: number;

  @ApiProperty({ description: 'Matches skipped before this page', example: 0 })
  offset: number;

  @ApiProperty({
    type: [DeliveryDto],
    description: 'This page of deliveries, newest first (created_at, then id, descending)',
    example: [
      {
        trackingId: '660e8400-e29b-41d4-a716-446655440001',
        flowId: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
        role: 'failover',
        status: 'Delivered',
        channel: 'sms',
        phone_number: '306912345671',
        price: 0.0375,
        latency_ms: 3000,
        country: 'GR',
        operator: 'Cosmote',
        created_at: '2026-02-16T12:01:00.520Z',
        sent_at: '2026-02-16T12:01:00.611Z',
        delivered_at: '2026-02-16T12:01:03.611Z',
        detailed_status: 'Delivered',
        label: 'login',
        failover_from_message_token: '550e8400-e29b-41d4-a716-446655440000',
      },
    ],
  })
  results: DeliveryDto[];
}
