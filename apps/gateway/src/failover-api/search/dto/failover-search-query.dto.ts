import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min, ValidateBy } from 'class-validator';

export const DEFAULT_SIZE = 20;
export const MAX_SIZE = 200;

/**
 * ISO 8601 as Routee's example writes it (`2025-05-05T15:00Z`): a date, or a date and time (minutes,
 * seconds and a fraction optional) with `Z` or an offset; no offset reads as UTC.
 */
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+\- ]\d{2}(?::?\d{2})?)?)?$/i;

/** the instant an ISO 8601 text names, or null when it names none (a bad format, 2025-02-30, 24:61) */
export function parseIsoInstant(text: string): Date | null {
  const m = ISO_INSTANT.exec(text);
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', zone] = m;
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  // Date.UTC rolls 2025-02-30 over to March: a day that does not exist is refused
  if (day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  const offset = !zone || zone.toUpperCase() === 'Z' ? 'Z' : normalOffset(zone);
  const fraction = /\.\d+/.exec(text.slice(10))?.[0].slice(0, 4) ?? '';
  const at = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${fraction}${offset}`);
  return Number.isNaN(at.getTime()) ? null : at;
}

/** +02, +0200 or +02:00 as +02:00; a space is a + that a query string decoded (`+` unescaped in a URL is a space) */
function normalOffset(zone: string): string {
  const digits = zone.slice(1).replace(':', '');
  return `${zone[0] === '-' ? '-' : '+'}${digits.slice(0, 2)}:${digits.slice(2, 4) || '00'}`;
}

/** an optional ISO 8601 bound on created_at: validated here, read with parseIsoInstant by the service */
export function IsoBound(description: string, example: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ description, example, format: 'date-time' }) as PropertyDecorator,
    IsOptional(),
    IsString(),
    ValidateBy({
      name: 'isIsoInstant',
      validator: {
        validate: (value) => typeof value === 'string' && parseIsoInstant(value) !== null,
        defaultMessage: (args) => `${args?.property} must be an ISO 8601 date-time, such as ${example}`,
      },
    }),
  );
}

/** Query of POST /failover/tracking (Routee: dateStart, dateEnd, page, size). Unknown parameters are refused. */
export class FailoverSearchQueryDto {
  @IsoBound(
    'Flows created at or after this moment (ISO 8601; no offset means UTC). Absent: no lower bound',
    '2025-05-05T15:00Z',
  )
  dateStart?: string;

  @IsoBound(
    'Flows created before this moment (exclusive; ISO 8601, no offset means UTC). Absent: no upper bound',
    '2025-07-25T19:00Z',
  )
  dateEnd?: string;

  @ApiPropertyOptional({ description: 'Page index, from 0', example: 0, default: 0, minimum: 0 })
  @Type(() => Number)
  @Min(0)
  @Max(Math.floor(Number.MAX_SAFE_INTEGER / MAX_SIZE))
  @IsInt() // the rule nearest the field is checked first: "abc" is reported as not an integer
  page: number = 0;

  @ApiPropertyOptional({
    description: `Page size, 1 to ${MAX_SIZE}`,
    example: DEFAULT_SIZE,
    default: DEFAULT_SIZE,
    minimum: 1,
    maximum: MAX_SIZE,
  })
  @Type(() => Number)
  @Min(1)
  @Max(MAX_SIZE)
  @IsInt()
  size: number = DEFAULT_SIZE;
}
