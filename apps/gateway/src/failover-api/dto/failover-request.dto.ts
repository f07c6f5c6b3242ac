import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, getSchemaPath, type ApiPropertyOptions } from '@nestjs/swagger';
import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  registerDecorator,
  ValidateIf,
  ValidateNested,
  type ValidationArguments,
} from 'class-validator';
import { WhenPresent } from '../../common/validation';
import {
  FAILOVER_ON_STATUSES,
  FAILOVER_STEP_TYPES,
  refusedStatuses,
  type FailoverStepType,
} from '../failover-on-statuses';
import { DIAL_PLAN_EXAMPLE, THREE_STEP_EXAMPLE } from './failover-examples';

/**
 * POST /failover's body (CONTRACT section 10; https://docs.routee.net/reference/send-a-failover-message and the
 * examples of https://docs.routee.net/docs/how-to-send-a-failover-message). Each step is validated by the class
 * of its `type` (case-insensitive), so a field of another channel is refused as unknown.
 */

/** E.164: "+" (optional here) and 8 to 15 digits, no leading 0 */
export const E164 = /^\+?[1-9]\d{7,14}$/;
const HTTP_URL = /^https?:\/\/[^\s/$.?#][^\s]*$/i;
const HTTPS_URL = /^https:\/\/[^\s/$.?#][^\s]*$/i;

/** "X is required" for a missing field (null or undefined); first in a stack, so that it is the finding reported */
function Required(where = ''): PropertyDecorator {
  return IsDefined({
    message: ({ property }: ValidationArguments) => `${property} is required${where ? ` ${where}` : ''}`,
  });
}

/** Swagger and validation of one field in one place; `required: false` makes it optional */
function Field(
  options: ApiPropertyOptions & { required?: boolean },
  ...checks: PropertyDecorator[]
): PropertyDecorator {
  const required = options.required !== false;
  return applyDecorators(
    (required ? ApiProperty(options) : ApiPropertyOptional(options)) as PropertyDecorator,
    // an optional field may be absent, not null: null is checked (and refused by its type's check)
    required ? Required() : WhenPresent(),
    ...checks,
  );
}

/** a string among `values`, matched case-insensitively and kept in its canonical spelling */
function CanonicalIn(values: readonly string[], what: string): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }) => canonical(values, value)),
    IsIn(values as string[], { message: `${what} must be one of ${values.join(', ')}` }),
  );
}

function canonical(values: readonly string[], value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return values.find((v) => v.toLowerCase() === value.trim().toLowerCase()) ?? value;
}

function Url(what: string, { https = false, maxLength = 1000 } = {}): PropertyDecorator {
  return applyDecorators(
    IsString(),
    MaxLength(maxLength),
    Matches(https ? HTTPS_URL : HTTP_URL, { message: `${what} must be an ${https ? 'https' : 'http(s)'} URL` }),
  );
}

function Phone(): PropertyDecorator {
  return applyDecorators(
    IsString({ message: ({ property }: ValidationArguments) => `${property} must be an E.164 phone number` }),
    Matches(E164, {
      message: ({ property }: ValidationArguments) =>
        `${property} must be an E.164 phone number: "+" and 8 to 15 digits, e.g. +306912345678`,
    }),
  );
}

/** a number with at most one decimal (Viber's ttl, https://docs.routee.net/reference/send-a-failover-message) */
function OneDecimal(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'oneDecimal',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: ({ property }: ValidationArguments) => `${property} must have at most one decimal` },
      validator: {
        validate: (value: unknown) => typeof value === 'number' && Math.abs(value * 10 - Math.round(value * 10)) < 1e-9,
      },
    });
}

/** failoverOnStatuses of a channel: optional, case-insensitive, each among the channel's (the refused ones named) */
function FailoverOn(type: FailoverStepType): PropertyDecorator {
  const { allowed, defaults } = FAILOVER_ON_STATUSES[type];
  return applyDecorators(
    Field(
      {
        required: false,
        description: `The statuses of this step that send the next one, case-insensitive: any of ${allowed.join(', ')}. Default ${defaults.join(', ')}`,
        type: [String],
        example: [...defaults],
      },
      IsArray(),
      ArrayMaxSize(allowed.length * 2),
      (target, propertyName) =>
        registerDecorator({
          name: 'failoverOnStatuses',
          target: target.constructor,
          propertyName: propertyName as string,
          options: {
            message: ({ value }: ValidationArguments) =>
              `${refusedStatuses(type, value as unknown[])
                .map((s) => JSON.stringify(s))
                .join(', ')} cannot trigger a failover on a ${type} step: use any of ${allowed.join(', ')}`,
          },
          validator: {
            validate: (value: unknown) => Array.isArray(value) && refusedStatuses(type, value).length === 0,
          },
        }),
    ),
  );
}

/** a step's type: one channel's name, any case on input */
function StepType(type: FailoverStepType): PropertyDecorator {
  return Field(
    { description: 'The channel (case-insensitive)', enum: [type], example: type },
    CanonicalIn([type], 'type'),
  );
}

abstract class FailoverStepBaseDto {
  @Field(
    { description: 'Position in the flow: the steps are sent in order, lowest first (unique)', example: 1, minimum: 1 },
    IsInt(),
    Min(1),
    Max(1000),
  )
  order: number;
}

export class SmsMessageDto {
  @Field(
    { description: 'The SMS text', example: 'The sms message to be sent', maxLength: 1600 },
    IsString(),
    IsNotEmpty(),
    MaxLength(1600),
  )
  body: string;

  @Field(
    { required: false, description: 'A flash SMS (shown, not stored, by the handset)', example: false },
    IsBoolean(),
  )
  flash?: boolean;

  @Field(
    { required: false, description: 'A label for this message', example: 'login', maxLength: 350 },
    IsString(),
    MaxLength(350),
  )
  label?: string;

  @Field(
    { required: false, description: "Transcode the body (omitted: the application's setting)", example: true },
    IsBoolean(),
  )
  transcode?: boolean;
}

export class SmsStepDto extends FailoverStepBaseDto {
  @StepType('Sms')
  type: 'Sms';

  @Field(
    { description: 'Sender id: up to 11 letters/digits, or up to 16 digits', example: 'senderId' },
    IsString(),
    Matches(/^(?:[A-Za-z0-9 ]{1,11}|\+?\d{1,16})$/, {
      message: 'from must be up to 11 letters/digits or up to 16 digits',
    }),
  )
  from: string;

  @Field({ description: 'Recipient, E.164', example: '+306912345678' }, Phone())
  to: string;

  @Field(
    {
      required: false,
      description: 'Minutes until the SMS expires: an integer, 1 to 1440',
      example: 30,
      default: 1200,
      minimum: 1,
      maximum: 1440,
    },
    IsInt({ message: 'ttl must be a whole number of minutes' }),
    Min(1),
    Max(1440),
  )
  ttl?: number;

  @Field(
    {
      description: 'The SMS',
      type: SmsMessageDto,
      example: { body: 'The sms message to be sent', flash: false, label: 'login', transcode: true },
    },
    IsObject(),
    ValidateNested(),
    Type(() => SmsMessageDto),
  )
  message: SmsMessageDto;

  @FailoverOn('Sms')
  failoverOnStatuses?: string[];
}

export class ViberActionDto {
  @Field({ description: 'Button text, 1 to 30 characters', example: 'Go' }, IsString(), Length(1, 30))
  caption: string;

  @Field(
    { description: "The button's URL (at most 1000 characters)", example: 'https://www.routee.net/' },
    Url('targetUrl'),
  )
  targetUrl: string;
}

export class ViberFileDto {
  @Field(
    { description: 'File name, at most 25 characters', example: 'invoice.pdf', maxLength: 25 },
    IsString(),
    IsNotEmpty(),
    MaxLength(25),
  )
  fileName: string;

  @Field(
    { description: 'File type: doc, docx, rtf, pdf, txt, xls, xlsx, csv, odt, ods, …', example: 'pdf' },
    IsString(),
    Matches(/^[A-Za-z0-9]{1,10}$/, { message: 'fileType must be a file extension such as pdf' }),
  )
  fileType: string;

  @Field(
    { description: 'https URL of the file (at most 1000 characters)', example: 'https://example.com/invoice.pdf' },
    Url('fileUrl', { https: true }),
  )
  fileUrl: string;
}

export class ViberMessageDto {
  @ApiPropertyOptional({
    description: 'The text, at most 1000 characters; required unless imageUrl or viberFile is given',
    example: 'string',
    maxLength: 1000,
  })
  @MaxLength(1000)
  @IsNotEmpty()
  @IsString()
  @IsDefined({ message: 'text is required unless imageUrl or viberFile is given' })
  @ValidateIf((m: ViberMessageDto) => m.text !== undefined || (m.imageUrl === undefined && m.viberFile === undefined))
  text?: string;

  @Field(
    { required: false, description: 'https URL of an image (at most 1000 characters)', example: 'https://image.url' },
    Url('imageUrl', { https: true }),
  )
  imageUrl?: string;

  @Field(
    {
      required: false,
      description: 'A button',
      type: ViberActionDto,
      example: { caption: 'Go', targetUrl: 'https://www.routee.net/' },
    },
    IsObject(),
    ValidateNested(),
    Type(() => ViberActionDto),
  )
  action?: ViberActionDto;

  @Field(
    {
      required: false,
      description: 'A file attachment',
      type: ViberFileDto,
      example: { fileName: 'invoice.pdf', fileType: 'pdf', fileUrl: 'https://example.com/invoice.pdf' },
    },
    IsObject(),
    ValidateNested(),
    Type(() => ViberFileDto),
  )
  viberFile?: ViberFileDto;
}

export class ViberStepDto extends FailoverStepBaseDto {
  @StepType('Viber')
  type: 'Viber';

  @Field(
    { description: 'The sender (Routee Platform → Applications)', example: '0094d198-4dd2-4fb5-b451-d46aca191b27' },
    IsString(),
    IsNotEmpty(),
    MaxLength(100),
  )
  senderInfoTrackingId: string;

  @Field({ description: 'Recipient, E.164', example: '+306912345678' }, Phone())
  to: string;

  @Field(
    {
      required: false,
      description: 'Minutes until the message expires: 0.5 to 1440, one decimal',
      example: 30,
      default: 10,
      minimum: 0.5,
      maximum: 1440,
    },
    IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'ttl must be a number of minutes' }),
    Min(0.5),
    Max(1440),
    OneDecimal(),
  )
  ttl?: number;

  @Field(
    {
      required: false,
      description: 'Expire a message delivered and not seen within ttl',
      example: false,
      default: false,
    },
    IsBoolean(),
  )
  expireOnDelivery?: boolean;

  @Field(
    { required: false, description: 'Where Routee posts inbound messages', example: 'https://inbound.url' },
    Url('inboundUrl'),
  )
  inboundUrl?: string;

  @Field(
    { required: false, description: 'A label, at most 350 characters', example: 'promo', maxLength: 350 },
    IsString(),
    MaxLength(350),
  )
  label?: string;

  @Field(
    {
      description: 'The message',
      type: ViberMessageDto,
      example: {
        text: 'string',
        imageUrl: 'https://image.url',
        action: { caption: 'Go', targetUrl: 'https://www.routee.net/' },
      },
    },
    IsObject(),
    ValidateNested(),
    Type(() => ViberMessageDto),
  )
  message: ViberMessageDto;

  @FailoverOn('Viber')
  failoverOnStatuses?: string[];
}

export class VoiceAddressDto {
  @Field({ description: 'The number dialled, E.164', example: '+306981234567' }, Phone())
  phone: string;

  @Field({ required: false, description: 'Stored, not dialled', example: '' }, IsString(), MaxLength(100))
  viber?: string;

  @Field({ required: false, description: 'Stored, not dialled', example: '' }, IsString(), MaxLength(256))
  sip?: string;
}

export class SayMessageDto {
  @Field(
    { description: 'Language of the text, e.g. en-US', example: 'en-US' },
    IsString(),
    Matches(/^[a-z]{2,3}(?:-[A-Za-z]{2,4})?$/, { message: 'language must be a language tag such as en-US' }),
  )
  language: string;

  @Field(
    { description: 'Voice', enum: ['male', 'female'], example: 'female' },
    CanonicalIn(['male', 'female'], 'gender'),
  )
  gender: string;

  @Field(
    { description: 'What is said', example: 'Failover Voice Dialplan', maxLength: 4000 },
    IsString(),
    IsNotEmpty(),
    MaxLength(4000),
  )
  text: string;
}

const VERB_TYPES = ['PLAY', 'SAY'] as const;

abstract class VerbBaseDto {
  @Field(
    { required: false, description: 'Times to repeat, 1 to 10', example: 2, minimum: 1, maximum: 10 },
    IsInt(),
    Min(1),
    Max(10),
  )
  repeat?: number;

  @Field({ required: false, description: 'A key press interrupts the verb', example: false }, IsBoolean())
  bargeIn?: boolean;
}

export class PlayVerbDto extends VerbBaseDto {
  @Field({ description: 'The verb', enum: ['PLAY'], example: 'PLAY' }, CanonicalIn(['PLAY'], 'type'))
  type: 'PLAY';

  @Field(
    { description: 'URL of the audio file', example: 'http://www.externalharddrive.com/waves/animal/monkey.wav' },
    Url('fileURL'),
  )
  fileURL: string;
}

export class SayVerbDto extends VerbBaseDto {
  @Field({ description: 'The verb', enum: ['SAY'], example: 'SAY' }, CanonicalIn(['SAY'], 'type'))
  type: 'SAY';

  @Field(
    {
      description: 'What to say',
      type: SayMessageDto,
      example: { language: 'en-US', gender: 'female', text: 'Failover Voice Dialplan' },
    },
    IsObject(),
    ValidateNested(),
    Type(() => SayMessageDto),
  )
  message: SayMessageDto;
}

/** an element whose type is none of the known ones: only its type is checked (and refused) */
class UnknownVerbDto {
  @Required()
  @CanonicalIn(VERB_TYPES, 'type')
  type: unknown;
}

export class DialPlanDto {
  @ApiProperty({
    description:
      'The verbs, 1 to 10: PLAY {fileURL, repeat, bargeIn} or SAY {message {language, gender, text}, repeat, bargeIn}',
    type: 'array',
    items: { oneOf: [{ $ref: getSchemaPath(PlayVerbDto) }, { $ref: getSchemaPath(SayVerbDto) }] },
    minItems: 1,
    maxItems: 10,
    example: DIAL_PLAN_EXAMPLE.verbs,
  })
  @Transform(({ obj }) =>
    byType((obj as { verbs?: unknown }).verbs, { PLAY: PlayVerbDto, SAY: SayVerbDto }, VERB_TYPES, UnknownVerbDto),
  )
  @ValidateNested({ each: true })
  @IsObject({ each: true, message: 'each verb must be an object' })
  @ArrayMaxSize(10)
  @ArrayMinSize(1)
  @IsArray()
  @Required()
  verbs: (PlayVerbDto | SayVerbDto)[];
}

export class MachineDetectionDto {
  @Field(
    {
      description: 'On a machine: Hangup, or Continue (with eventUrl)',
      enum: ['Hangup', 'Continue'],
      example: 'Hangup',
    },
    IsIn(['Hangup', 'Continue'], { message: 'strategy must be one of Hangup, Continue' }),
  )
  strategy: 'Hangup' | 'Continue';

  @Field(
    {
      required: false,
      description: 'Where Routee posts when a machine answers (Continue)',
      example: 'https://example.com/machine',
    },
    Url('eventUrl'),
  )
  eventUrl?: string;
}

export class VoiceStepDto extends FailoverStepBaseDto {
  @StepType('Voice')
  type: 'Voice';

  @Field({ description: 'Caller id', example: 'ASenderId' }, IsString(), IsNotEmpty(), MaxLength(16))
  from: string;

  @Field(
    {
      description: 'Whom to call: phone is dialled, viber and sip are stored',
      type: VoiceAddressDto,
      example: { phone: '+306981234567', viber: '', sip: '' },
    },
    IsObject(),
    ValidateNested(),
    Type(() => VoiceAddressDto),
  )
  to: VoiceAddressDto;

  @Field(
    {
      description: 'What the call plays and says',
      type: DialPlanDto,
      example: DIAL_PLAN_EXAMPLE,
    },
    IsObject(),
    ValidateNested(),
    Type(() => DialPlanDto),
  )
  dialPlan: DialPlanDto;

  @Field(
    {
      required: false,
      description: 'Human or machine',
      type: MachineDetectionDto,
      example: { strategy: 'Hangup' },
    },
    IsObject(),
    ValidateNested(),
    Type(() => MachineDetectionDto),
  )
  machineDetection?: MachineDetectionDto;

  @FailoverOn('Voice')
  failoverOnStatuses?: string[];
}

/** a step whose type is none of Sms, Viber, Voice: only its type is checked (and refused) */
class UnknownStepDto {
  @Required()
  @CanonicalIn(FAILOVER_STEP_TYPES, 'type')
  type: unknown;
}

export type FailoverStepDto = SmsStepDto | ViberStepDto | VoiceStepDto;

/**
 * The elements of a list, each an instance of the class its `type` names (case-insensitive); class-transformer's
 * discriminator matches the type exactly, and Routee's is case-insensitive. Anything else is left for the list's
 * checks to refuse.
 */
function byType(
  list: unknown,
  classes: Record<string, new () => object>,
  types: readonly string[],
  unknown: new () => object,
): unknown {
  if (!Array.isArray(list)) return list;
  return list.map((item: unknown) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return item;
    const type = canonical(types, (item as { type?: unknown }).type);
    const cls = typeof type === 'string' && Object.hasOwn(classes, type) ? classes[type] : undefined;
    return cls ? plainToInstance(cls, item) : plainToInstance(unknown, { type: (item as { type?: unknown }).type });
  });
}

export class FailoverCallbackDto {
  @Field(
    {
      description: 'OnStep: every status change and each next step; OnCompletion: once, when the flow ends',
      enum: ['OnStep', 'OnCompletion'],
      example: 'OnCompletion',
    },
    IsIn(['OnStep', 'OnCompletion'], { message: 'strategy must be one of OnStep, OnCompletion' }),
  )
  strategy: 'OnStep' | 'OnCompletion';

  @Field(
    { description: 'http(s) URL the tracking object is posted to', example: 'https://target.url' },
    Url('url', { maxLength: 2000 }),
  )
  url: string;
}

export class FailoverRequestDto {
  @ApiProperty({
    description:
      'The steps, at least one, each Sms, Viber or Voice; sent in `order`, the next when one ends in its failoverOnStatuses',
    type: 'array',
    items: {
      oneOf: [
        { $ref: getSchemaPath(SmsStepDto) },
        { $ref: getSchemaPath(ViberStepDto) },
        { $ref: getSchemaPath(VoiceStepDto) },
      ],
    },
    minItems: 1,
    example: THREE_STEP_EXAMPLE.flow,
  })
  @Transform(({ obj }) =>
    byType(
      (obj as { flow?: unknown }).flow,
      { Sms: SmsStepDto, Viber: ViberStepDto, Voice: VoiceStepDto },
      FAILOVER_STEP_TYPES,
      UnknownStepDto,
    ),
  )
  @ValidateNested({ each: true })
  @IsObject({ each: true, message: 'each flow step must be an object' })
  @ArrayMinSize(1)
  @IsArray()
  @Required()
  flow: FailoverStepDto[];

  @Field(
    {
      required: false,
      description: 'Where and when the tracking object is posted',
      type: FailoverCallbackDto,
      example: { strategy: 'OnCompletion', url: 'https://target.url' },
    },
    IsObject(),
    ValidateNested(),
    Type(() => FailoverCallbackDto),
  )
  callback?: FailoverCallbackDto;
}
