import { ApiProperty } from '@nestjs/swagger';
import { FAILOVER_SEARCH_FIELDS, FAILOVER_SEARCH_OPERATORS } from '@app/persistence';

export const MAX_SEARCH_TERM = 350;

/**
 * One filter of the body (Routee's `{fieldName, searchOperator, searchTerm}`); the body is an array of
 * them, all ANDed. Validated by FailoverSearchFiltersPipe (the global pipe does not look into a bare array).
 */
export class FailoverSearchFilterDto {
  @ApiProperty({
    description:
      "What to compare (case-insensitive). to, from, type and label are the messages' (a flow matches when one " +
      "of the messages its definition holds does; a Viber message's from is its senderInfoTrackingId); status, " +
      "trackingId and terminationChannel are the flow's",
    enum: FAILOVER_SEARCH_FIELDS,
    example: 'to',
  })
  fieldName: string;

  @ApiProperty({
    description:
      'How (case-insensitive): is / contains, and their negations is_not / not_contains, which keep exactly the ' +
      'flows the positive form leaves out (type is_not Voice: no message of the flow is Voice)',
    enum: FAILOVER_SEARCH_OPERATORS,
    example: 'is',
  })
  searchOperator: string;

  @ApiProperty({
    description: `The value, compared case-insensitively; 1 to ${MAX_SEARCH_TERM} characters, no control characters. A leading + of a to is ignored`,
    example: '+306912345678',
    minLength: 1,
    maxLength: MAX_SEARCH_TERM,
  })
  searchTerm: string;
}
