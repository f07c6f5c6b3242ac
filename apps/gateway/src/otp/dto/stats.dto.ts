import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, ValidateBy } from 'class-validator';
import type { StatsGroupBy } from '@app/persistence';
import { IsoBound, parseIsoInstant } from '../../failover-api/search/dto/failover-search-query.dto';

export const STATS_GROUP_BY: readonly StatsGroupBy[] = ['channel', 'country', 'day'];
/** the window when `from` is absent: this long before `to` */
export const DEFAULT_WINDOW_DAYS = 7;

/** `?from=` (what a form sends for an unset field) means "the default", like leaving the parameter out */
const emptyIsAbsent = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/** Query of GET /otp/stats. Unknown parameters are refused (422), like unknown body fields. */
export class StatsQueryDto {
  @Transform(emptyIsAbsent)
  @IsoBound(
    `Flows created at or after this moment (ISO 8601; no offset means UTC). Absent: ${DEFAULT_WINDOW_DAYS} days before to`,
    '2026-02-09T00:00Z',
  )
  // with to given, the order is checked on to; without it, to is now
  @ValidateBy({
    name: 'isBeforeNow',
    validator: {
      validate: (value, args) => {
        const at = typeof value === 'string' ? parseIsoInstant(value) : null;
        return (args?.object as StatsQueryDto).to !== undefined || !at || at.getTime() < Date.now();
      },
      defaultMessage: () => 'from must be in the past when to is absent (to is then now)',
    },
  })
  from?: string;

  @Transform(emptyIsAbsent)
  @IsoBound(
    'Flows created before this moment (exclusive; ISO 8601, no offset means UTC); after from. Absent: now',
    '2026-02-16T00:00Z',
  )
  @ValidateBy({
    name: 'isAfterFrom',
    validator: {
      validate: (value, args) => {
        const from = (args?.object as StatsQueryDto).from;
        const fromAt = typeof from === 'string' ? parseIsoInstant(from) : null;
        const toAt = typeof value === 'string' ? parseIsoInstant(value) : null;
        return !fromAt || !toAt || toAt.getTime() > fromAt.getTime();
      },
      defaultMessage: () => 'to must be after from',
    },
  })
  to?: string;

  @ApiPropertyOptional({
    description:
      "What a group is: the primary step's channel, the primary step's country (ISO alpha-2 as Routee reported it; unknown when it did not), or the UTC day the flow was created",
    enum: STATS_GROUP_BY,
    example: 'channel',
    default: 'channel',
  })
  // an empty value is the default, as when the parameter is left out (emptyIsAbsent would leave undefined over the default)
  @Transform(({ value }: { value: unknown }) => (value === '' ? 'channel' : value))
  @IsOptional()
  @IsIn(STATS_GROUP_BY, { message: `group_by must be one of ${STATS_GROUP_BY.join(', ')}` })
  group_by: StatsGroupBy = 'channel';
}

export class StatsMessagesDto {
  @ApiProperty({ description: 'Viber messages handed to Routee (steps sent), primary and failover', example: 10 })
  viber: number;

  @ApiProperty({ description: 'SMS handed to Routee (steps sent), primary and failover', example: 4 })
  sms: number;
}

/** The figures of one group, or of every flow in the window. */
export class StatsFiguresDto {
  @ApiProperty({ description: 'Failover OTP flows created in the window', example: 10 })
  flows: number;

  @ApiProperty({ type: StatsMessagesDto, description: 'Messages sent, per channel', example: { viber: 10, sms: 4 } })
  messages: StatsMessagesDto;

  @ApiProperty({
    description:
      'Flows with a step in a success status (Viber DELIVERED or SEEN, SMS Delivered or Sent, case-insensitive)',
    example: 8,
  })
  delivered: number;

  @ApiProperty({ description: 'Flows whose code was verified (POST /otp/verify answered approved)', example: 5 })
  verified: number;

  @ApiProperty({ description: 'verified / flows, rounded to 4 decimals', example: 0.5 })
  conversion: number;

  @ApiProperty({ description: 'Flows whose failover step was sent, over flows, rounded to 4 decimals', example: 0.4 })
  failover_rate: number;

  @ApiProperty({
    description:
      'Approved flows with an SMS failover defined that was never sent, whose Viber primary did not end the flow on its own ' +
      '(not SEEN, and not DELIVERED unless failoverOnDelivered): the SMS the approval saved',
    example: 2,
  })
  sms_saved: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'Median over delivered flows of delivered_at − sent_at of the step delivered first, seconds; null when none has a delivery time',
    example: 2.5,
  })
  median_time_to_deliver_sec: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'Median over verified flows of verified_at − the flow’s created_at, seconds; null when none was verified',
    example: 14,
  })
  median_time_to_verify_sec: number | null;

  @ApiProperty({
    description: 'Sum of the known prices of every step (Routee’s price, in the account’s currency)',
    example: 0.2115,
  })
  cost: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'cost / verified, rounded to 6 decimals; null when no flow was verified',
    example: 0.0423,
  })
  cost_per_verified: number | null;
}

export class StatsGroupDto extends StatsFiguresDto {
  @ApiProperty({
    description: 'The group: viber or sms; a country code or unknown; a UTC day as YYYY-MM-DD',
    example: 'viber',
  })
  key: string;
}

export class StatsDto {
  @ApiProperty({
    description: 'Start of the window (inclusive)',
    example: '2026-02-09T00:00:00.000Z',
    format: 'date-time',
  })
  from: string;

  @ApiProperty({
    description: 'End of the window (exclusive)',
    example: '2026-02-16T00:00:00.000Z',
    format: 'date-time',
  })
  to: string;

  @ApiProperty({ description: 'How the flows are grouped', enum: STATS_GROUP_BY, example: 'channel' })
  group_by: StatsGroupBy;

  @ApiProperty({
    type: [StatsGroupDto],
    description:
      'One entry per group that has flows in the window, by key (days in order); a group without flows is absent',
    example: [
      {
        key: 'viber',
        flows: 10,
        messages: { viber: 10, sms: 4 },
        delivered: 8,
        verified: 5,
        conversion: 0.5,
        failover_rate: 0.4,
        sms_saved: 2,
        median_time_to_deliver_sec: 2.5,
        median_time_to_verify_sec: 14,
        cost: 0.2115,
        cost_per_verified: 0.0423,
      },
    ],
  })
  groups: StatsGroupDto[];

  @ApiProperty({
    type: StatsFiguresDto,
    description: 'The same figures over every flow of the window (medians of all, not of the groups)',
    example: {
      flows: 10,
      messages: { viber: 10, sms: 4 },
      delivered: 8,
      verified: 5,
      conversion: 0.5,
      failover_rate: 0.4,
      sms_saved: 2,
      median_time_to_deliver_sec: 2.5,
      median_time_to_verify_sec: 14,
      cost: 0.2115,
      cost_per_verified: 0.0423,
    },
  })
  total: StatsFiguresDto;
}
