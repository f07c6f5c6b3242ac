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
    example: [
      {
        trackingId: '30830fad-21ed-49b0-89d0-bbada2fd5640',
        messages: [
          {
            type: 'Sms',
            messageId: '82a91dc3-e842-41eb-86e5-07d55eb51234',
            smsId: '82a91dc3-e842-41eb-86e5-07d55eb51234',
            order: 1,
            failoverOnStatuses: ['Undelivered', 'Failed'],
            createdAt: '2025-05-05T15:28:45.227Z',
            to: '+306912345678',
            from: 'Routee',
            country: 'GR',
            status: {
              name: 'Delivered',
              reason: { detailedStatus: 'Delivered', description: 'The SMS was delivered to its recipient.' },
              updatedDate: '2025-05-05T15:28:49.000Z',
            },
            price: 0.036,
            body: 'Your code is 482913',
            operator: 'Vodafone',
            label: 'login',
            ttl: 1200,
            part: 1,
            parts: 1,
            latency: 4000,
          },
        ],
        terminationChannel: 'Sms',
        status: 'Succeeded',
        statusCode: null,
        totalPrice: 0.036,
        originatingService: 'Failover',
        applicationId: 'key_3f2a9c',
        createdAt: '2025-05-05T15:28:45.120Z',
        updatedAt: '2025-05-05T15:28:49.310Z',
      },
    ],
  })
  content: FailoverTrackingDto[];

  @ApiProperty({ description: 'ceil(totalElements / size)', example: 1 })
  totalPages: number;

  @ApiProperty({
    description:
      'Flows matching the filters, all pages. Counted up to 200 past the end of this page: when more match, ' +
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
