import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, Matches } from 'class-validator';

/** a prefix as pumping_prefix() writes it: the calling code (1 to 3 digits) and the next 2 digits */
export const PREFIX = /^[1-9]\d{2,4}$/;

/** Query of GET /otp/pumping/blocks. Unknown parameters are refused (422), like unknown body fields. */
export class ListPumpingBlocksQueryDto {
  @ApiPropertyOptional({
    description: 'false (default): the blocks in force; true: the latest 100 blocks, lifted and expired ones too',
    example: false,
    default: false,
    type: Boolean,
  })
  // a query string is text: "true"/"false" (and an empty value, the default) become the boolean, anything else is refused
  @Transform(({ value }: { value: unknown }) =>
    value === '' || value === 'false' ? false : value === 'true' ? true : value,
  )
  @IsOptional()
  @IsBoolean({ message: 'all must be true or false' })
  all: boolean = false;
}

/** Path of DELETE /otp/pumping/blocks/{prefix}. */
export class PumpingPrefixParamDto {
  @ApiProperty({
    description: 'The blocked prefix: the calling code and the next 2 digits, digits only (3 to 5)',
    example: '4479',
    pattern: PREFIX.source,
  })
  @Matches(PREFIX, { message: 'prefix must be 3 to 5 digits, the calling code and the next 2 (e.g. 4479)' })
  prefix: string;
}

export class PumpingBlockDto {
  @ApiProperty({ description: "The block's id (a serial number, as a string)", example: '17' })
  id: string;

  @ApiProperty({ description: 'The blocked destination prefix, digits only (+44 79…)', example: '4479' })
  prefix: string;

  @ApiProperty({ description: 'When the block was recorded', example: '2026-02-16T12:00:00.000Z', format: 'date-time' })
  blocked_at: string;

  @ApiProperty({
    description: 'When it ends on its own (PUMPING_BLOCK_SEC after blocked_at)',
    example: '2026-02-16T13:00:00.000Z',
    format: 'date-time',
  })
  until: string;

  @ApiProperty({ description: 'The flows of the sample that called for it', example: 50 })
  flows: number;

  @ApiProperty({ description: 'How many of them were verified', example: 1 })
  approved: number;

  @ApiProperty({ description: 'approved / flows (under PUMPING_MIN_CONVERSION)', example: 0.02 })
  conversion: number;

  @ApiProperty({
    description: 'in_force (new flows to the prefix are refused with 429), lifted by an operator, or expired',
    enum: ['in_force', 'lifted', 'expired'],
    example: 'in_force',
  })
  state: 'in_force' | 'lifted' | 'expired';

  @ApiPropertyOptional({
    description: 'When an operator lifted it (lifted blocks)',
    example: '2026-02-16T12:20:00.000Z',
    format: 'date-time',
  })
  lifted_at?: string;
}

export class PumpingBlockListDto {
  @ApiProperty({
    type: [PumpingBlockDto],
    description: 'In force: the latest to end first; with all=true: the newest first',
    example: [
      {
        id: '17',
        prefix: '4479',
        blocked_at: '2026-02-16T12:00:00.000Z',
        until: '2026-02-16T13:00:00.000Z',
        flows: 50,
        approved: 1,
        conversion: 0.02,
        state: 'in_force',
      },
    ],
  })
  blocks: PumpingBlockDto[];
}
