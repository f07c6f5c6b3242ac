import { ApiProperty, getSchemaPath } from '@nestjs/swagger';
import type {
  FailoverStatusView,
  FailoverTrackingView,
  SmsMessageView,
  ViberBodyView,
  ViberMessageView,
  VoiceMessageView,
} from '@app/engine';

/**
 * The Failover API's tracking object (seed 001; https://docs.routee.net/docs/failover-callbacks), as documented:
 * the answer of POST /failover and GET /failover/tracking/{trackingId}, and the body of the callbacks. Built by
 * toFailoverTracking (@app/engine); unknown values are null, never left out.
 */
export class FailoverStatusReasonDto {
  @ApiProperty({ description: "Routee's detailed status", example: 'Delivered', nullable: true, type: String })
  detailedStatus: string | null;

  @ApiProperty({
    description: "Routee's description of the status",
    example: 'The message was delivered to its recipient.',
    nullable: true,
    type: String,
  })
  description: string | null;
}

export class FailoverStatusDto implements FailoverStatusView {
  @ApiProperty({ description: "The channel's status as Routee reports it (Viber upper case)", example: 'DELIVERED' })
  name: string;

  @ApiProperty({
    description: 'Why: the detailed status and its description',
    type: FailoverStatusReasonDto,
    example: { detailedStatus: 'Delivered', description: 'The message was delivered to its recipient.' },
  })
  reason: FailoverStatusReasonDto;

  @ApiProperty({
    description: 'When Routee reported it (ISO 8601)',
    example: '2019-07-05T10:28:44.996Z',
    nullable: true,
    type: String,
  })
  updatedDate: string | null;
}

class FailoverMessageBaseDto {
  @ApiProperty({ description: 'Position in the flow, as sent', example: 1 })
  order: number;

  @ApiProperty({ description: 'The statuses that send the next step', example: ['Undelivered', 'Failed'] })
  failoverOnStatuses: string[];

  @ApiProperty({ description: 'When this message was created (ISO 8601)', example: '2019-07-05T10:28:44.566Z' })
  createdAt: string;

  @ApiProperty({ description: 'Recipient, E.164', example: '+306912345678' })
  to: string;

  @ApiProperty({ description: 'Sender (Viber: the senderInfoTrackingId)', example: 'Routee' })
  from: string;

  @ApiProperty({ description: 'ISO 3166-1 alpha-2', example: 'GR', nullable: true, type: String })
  country: string | null;

  @ApiProperty({
    description: "The message's status",
    type: FailoverStatusDto,
    example: {
      name: 'Delivered',
      reason: { detailedStatus: 'Delivered', description: 'The SMS was sent and it was delivered to its recipient.' },
      updatedDate: '2019-07-05T10:28:49.000Z',
    },
  })
  status: FailoverStatusDto;

  @ApiProperty({ description: 'What Routee charged', example: 0.036, nullable: true, type: Number })
  price: number | null;

  @ApiProperty({ description: 'The label given', example: 'labelName', nullable: true, type: String })
  label: string | null;

  @ApiProperty({ description: 'Minutes', example: 15 })
  ttl: number;
}

export class SmsMessageViewDto extends FailoverMessageBaseDto implements SmsMessageView {
  @ApiProperty({ description: 'The channel', enum: ['Sms'], example: 'Sms' })
  type: 'Sms';

  @ApiProperty({
    description: "Routee's SMS id; null until Routee took the send",
    example: '82a91dc3-e842-41eb-86e5-07d55eb51234',
    nullable: true,
    type: String,
  })
  messageId: string | null;

  @ApiProperty({
    description: 'The id of this part (the messageId: the message is tracked as one)',
    example: '82a91dc3-e842-41eb-86e5-07d55eb51234',
    nullable: true,
    type: String,
  })
  smsId: string | null;

  @ApiProperty({ description: 'The SMS text', example: 'Hello from failover' })
  body: string;

  @ApiProperty({ description: "The recipient's operator", example: 'Vodafone', nullable: true, type: String })
  operator: string | null;

  @ApiProperty({ description: 'This part (always 1: the message is tracked as one)', example: 1 })
  part: number;

  @ApiProperty({ description: 'Parts the text takes (GSM-7 160/153, UCS-2 70/67)', example: 1 })
  parts: number;

  @ApiProperty({ description: 'ms', example: 4, nullable: true, type: Number })
  latency: number | null;
}

export class ViberBodyDto implements ViberBodyView {
  @ApiProperty({ required: false, description: 'The text', example: 'This is a test, please ignore!' })
  text?: string;

  @ApiProperty({ required: false, description: 'The image', example: 'https://example.com/image.png' })
  imageUrl?: string;

  @ApiProperty({
    required: false,
    description: 'The button',
    example: { caption: 'Go', targetUrl: 'https://www.routee.net/' },
  })
  action?: { caption: string; targetUrl: string };

  @ApiProperty({
    required: false,
    description: 'The file',
    example: { fileName: 'invoice.pdf', fileType: 'pdf', fileUrl: 'https://example.com/invoice.pdf' },
  })
  viberFile?: { fileName: string; fileType: string; fileUrl: string };
}

export class ViberMessageViewDto extends FailoverMessageBaseDto implements ViberMessageView {
  @ApiProperty({ description: 'The channel', enum: ['Viber'], example: 'Viber' })
  type: 'Viber';

  @ApiProperty({
    description: "Routee's Viber message id; null until Routee took the send",
    example: '0a047b46-a4dd-4ca8-b817-a6a134dd1234',
    nullable: true,
    type: String,
  })
  trackingId: string | null;

  @ApiProperty({
    description: 'The content as given (absent parts left out)',
    type: ViberBodyDto,
    example: {
      text: 'This is a test, please ignore!',
      action: { caption: 'Go', targetUrl: 'https://www.routee.net/' },
    },
  })
  body: ViberBodyDto;

  @ApiProperty({
    description: 'Where inbound messages go',
    example: 'https://your-server.com/inbound',
    nullable: true,
    type: String,
  })
  inboundUrl: string | null;

  @ApiProperty({ description: 'Expire a delivery not seen within ttl', example: false })
  expireOnDelivery: boolean;

  @ApiProperty({
    description: 'When a delivery not seen within ttl expired (deliveredAt + ttl), else null',
    example: null,
    nullable: true,
    type: String,
  })
  expiredOnDeliveryAt: string | null;
}

export class VoiceMessageViewDto extends FailoverMessageBaseDto implements VoiceMessageView {
  @ApiProperty({ description: 'The channel', enum: ['Voice'], example: 'Voice' })
  type: 'Voice';

  @ApiProperty({
    description: "The dialled call's id",
    example: '506cef16-d7e4-4a60-9c71-2c42e1a6739b',
    nullable: true,
    type: String,
  })
  messageId: string | null;

  @ApiProperty({
    description: "The conversation's trackingId (GET /failover/tracking/{id} takes it)",
    example: '6cc3485a-2340-430d-b073-e50fc94b0269',
    nullable: true,
    type: String,
  })
  conversationTrackingId: string | null;

  @ApiProperty({ description: 'Seconds', example: 4, nullable: true, type: Number })
  duration: number | null;

  @ApiProperty({ description: 'HUMAN, MACHINE or UNKNOWN', example: 'HUMAN', nullable: true, type: String })
  answeredBy: string | null;
}

export class FailoverTrackingDto implements FailoverTrackingView {
  @ApiProperty({ description: "The flow's trackingId", example: '30830fad-21ed-49b0-89d0-bbada2fd5640' })
  trackingId: string;

  @ApiProperty({
    description: 'One per step sent or tried, in order',
    example: [
      {
        type: 'Sms',
        messageId: '82a91dc3-e842-41eb-86e5-07d55eb51234',
        smsId: '82a91dc3-e842-41eb-86e5-07d55eb51234',
        order: 1,
        failoverOnStatuses: ['Undelivered', 'Failed'],
        createdAt: '2019-07-05T10:28:45.227Z',
        to: '+306912345678',
        from: 'Routee',
        country: 'GR',
        status: {
          name: 'Delivered',
          reason: {
            detailedStatus: 'Delivered',
            description: 'The SMS was sent and it was delivered to its recipient.',
          },
          updatedDate: '2019-07-05T10:28:49.000Z',
        },
        price: 0.036,
        body: 'Hello from failover',
        operator: 'Vodafone',
        label: 'labelName',
        ttl: 15,
        part: 1,
        parts: 1,
        latency: 4,
      },
    ],
    type: 'array',
    items: {
      oneOf: [
        { $ref: getSchemaPath(SmsMessageViewDto) },
        { $ref: getSchemaPath(ViberMessageViewDto) },
        { $ref: getSchemaPath(VoiceMessageViewDto) },
      ],
    },
  })
  messages: (SmsMessageViewDto | ViberMessageViewDto | VoiceMessageViewDto)[];

  @ApiProperty({
    description: 'The type of the last step, once the flow is final',
    enum: ['Sms', 'Viber', 'Voice'],
    example: 'Sms',
    nullable: true,
  })
  terminationChannel: 'Sms' | 'Viber' | 'Voice' | null;

  @ApiProperty({
    description: "The flow's status",
    enum: ['Queued', 'InProgress', 'Succeeded', 'Failed'],
    example: 'Succeeded',
  })
  status: string;

  @ApiProperty({
    description:
      'When Failed: "0" server error, "1" insufficient balance, "2" no next step, "3" not failover triggered',
    enum: ['0', '1', '2', '3', null],
    example: null,
    nullable: true,
  })
  statusCode: string | null;

  @ApiProperty({ description: 'The sum of the prices', example: 0.036 })
  totalPrice: number;

  @ApiProperty({ description: 'Always Failover', enum: ['Failover'], example: 'Failover' })
  originatingService: 'Failover';

  @ApiProperty({
    description: 'The API key that created the flow',
    example: '5b223c27e4b04b9cdaa71234',
    nullable: true,
    type: String,
  })
  applicationId: string | null;

  @ApiProperty({ description: 'When the flow was created (ISO 8601)', example: '2019-07-05T10:28:44.440Z' })
  createdAt: string;

  @ApiProperty({ description: 'When the flow last changed (ISO 8601)', example: '2019-07-05T10:28:49.634Z' })
  updatedAt: string;
}
