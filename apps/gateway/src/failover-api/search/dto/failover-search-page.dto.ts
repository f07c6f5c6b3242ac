import { ApiProperty } from '@nestjs/swagger';
import { FailoverTrackingDto } from '../../dto/failover-tracking.dto';

/**
 * The answer of POST /failover/tracking: a Spring page, with exactly the keys Routee's reference shows
 * (content, totalPages, totalElements, number, size, numberOfElements, first, last).
 */
export class FailoverSearchPageDto {
  @ApiProperty({
    type: [FailoverTrackingDto],
    description:
      'This page of tracking objects (the same object as GET /failover/tracking/{trackingId}), newest first: ' +
      'createdAt, then trackingId, descending',
  })
  content: FailoverTrackingDto[];

  @ApiProperty({ description: 'ceil(totalElements / size)', example: 1 })
  totalPages: number;

  @ApiProperty({
    description:
      'Flows matching the filters, all pages. Counted up to 1,000 past the end of this page: when more match, ' +
      'this is that bound (at least this many; `last` is still exact, and the bound moves on with the page)',
    example: 1,
  })
  totalElements: number;

  @ApiProperty({ description: 'This page index (0-based), the page parameter', example: 0 })
  number: number;

  @ApiProperty({ description: 'The page size asked for, the size parameter', example: 20 })
  size: number;

  @ApiProperty({ description: 'Tracking objects on this page', example: 1 })
  numberOfElements: number;

  @ApiProperty({ description: 'true on page 0', example: true })
  first: boolean;

  @ApiProperty({ description: 'true when no flow matches beyond this page', example: true })
  last: boolean;
}
