import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
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
import { OptionalProperty } from '../../common/validation';
import { TEMPLATE_LANGUAGES, TEMPLATE_TYPES } from '@app/routee';

export const STEP_TYPES = ['ViberOtp', 'Sms'] as const;
export type StepType = (typeof STEP_TYPES)[number];

/** E.164 digits without '+': 8 to 15 digits, no leading 0 */
export const PHONE_PATTERN = /^[1-9]\d{7,14}$/;
/** "no links" in template text params */
const NO_LINK = /^(?!.*(?:https?:\/\/|www\.|[a-z0-9-]+\.(?:com|net|org|io|gr|info|biz|co|me|ly)\b)).*$/is;

function canonicalType(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return STEP_TYPES.find((t) => t.toLowerCase() === value.trim().toLowerCase()) ?? value;
}

/**
 * A field the step's type requires: validated when present or when the type
 * needs it (ValidateIf skips every other check on the field, OnlyFor included,
 * so a field sent on the wrong type must still be validated: hence "present"),
 * and "X is required" when it is missing. Put it last (nearest the field):
 * class-validator runs the decorators nearest the field first, and with
 * stopAtFirstError only the first finding is reported.
 */
function RequiredFor(type: StepType): PropertyDecorator {
  return applyDecorators(
    ValidateIf((step: { type?: unknown }, value: unknown) => value !== undefined || canonicalType(step.type) === type),
    Required(`on ${type} steps`),
  );
}

/** "X is required" for a missing field (null or undefined); last in the stack, as above */
export function Required(where = ''): PropertyDecorator {
  return IsDefined({
    message: ({ property }: ValidationArguments) => `${property} is required${where ? ` ${where}` : ''}`,
  });
}

/** a field that belongs to one step type only: refused on the other */
function OnlyFor(type: StepType): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'onlyFor',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: (args: ValidationArguments) => `${args.property} is only allowed on ${type} steps` },
      validator: {
        validate: (value: unknown, args: ValidationArguments) =>
          value === undefined || canonicalType((args.object as FlowStepDto).type) === type,
      },
    });
}

/** '+306912345671' → '306912345671'; a ViberOtp one-element array → its element */
function normalisePhone({ value, obj }: { value: unknown; obj: { type?: unknown } }): unknown {
  let v = value;
  if (Array.isArray(v) && v.length === 1 && canonicalType(obj.type) === 'ViberOtp') v = v[0];
  if (typeof v === 'string') {
    const trimmed = v.trim();
    if (/^\+?\d+$/.test(trimmed)) return trimmed.replace(/^\+/, '');
  }
  return v;
}

/**
 * A Viber OTP template's text parameter (Routee's template-variables-validations:
 * text of at most 50 characters, no links), on ViberOtp steps only.
 */
function TemplateTextParam(description: string, example: string): PropertyDecorator {
  return applyDecorators(
    OptionalProperty({ description, example, maxLength: 50 }),
    OnlyFor('ViberOtp'),
    IsString(),
    MaxLength(50),
    Matches(NO_LINK, { message: ({ property }: ValidationArguments) => `${property} must not contain links` }),
  );
}

export class SmsMessageDto {
  @ApiProperty({ description: 'The SMS text; put the code in it', example: 'Your code is 482913', maxLength: 1600 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1600)
  @Required()
  body: string;
}

export class FlowStepDto {
  @ApiProperty({
    description: 'Channel of this step (case-insensitive on input)',
    enum: STEP_TYPES,
    example: 'ViberOtp',
  })
  @Transform(({ value }) => canonicalType(value))
  @IsIn(STEP_TYPES as unknown as string[], { message: 'type must be one of ViberOtp, Sms' })
  @Required()
  type: StepType;

  @ApiProperty({
    description:
      'Recipient in E.164, with or without "+" (ViberOtp also takes a one-element array); returned as digits',
    example: '306912345671',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, maxItems: 1, minItems: 1 }],
  })
  @Transform(normalisePhone)
  @IsString({ message: 'to must be a phone number (or, for ViberOtp, a one-element array of one)' })
  @Matches(PHONE_PATTERN, { message: 'to must be an E.164 phone number: 8 to 15 digits, optional leading +' })
  @Required()
  to: string;

  @ApiProperty({
    description: 'Position in the flow: the lower order is sent first, the other is the failover',
    example: 1,
    minimum: 1,
  })
  @IsInt()
  @Min(1)
  @Max(1000)
  @Required()
  order: number;

  @ApiProperty({
    description: 'Validity in seconds; for the primary step also when the failover fires if nothing final arrived',
    example: 60,
    minimum: 0,
    maximum: 86400,
  })
  @IsInt()
  @Min(0)
  @Max(86400)
  @Required()
  ttl: number;

  @OptionalProperty({
    description: 'Tag for this delivery; the list endpoint filters on it (partial match)',
    example: 'login',
    maxLength: 350,
  })
  @IsString()
  @MaxLength(350)
  label?: string;

  @OptionalProperty({
    description: 'ViberOtp only: send the failover when the message is DELIVERED but not SEEN within ttl seconds',
    example: false,
    default: false,
  })
  @OnlyFor('ViberOtp')
  @IsBoolean()
  failoverOnDelivered?: boolean;

  @ApiPropertyOptional({
    description: 'ViberOtp: Routee sender id (Routee Platform → Applications). Required for ViberOtp',
    example: '0094d198-4dd2-4fb5-b451-d46aca191b27',
  })
  @OnlyFor('ViberOtp')
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @RequiredFor('ViberOtp')
  senderInfoTrackingId?: string;

  @ApiPropertyOptional({
    description: 'ViberOtp: template id from GET /otp/templates. Required for ViberOtp',
    example: '0aac888f-2ee2-4112-9659-1755a951966a',
  })
  @OnlyFor('ViberOtp')
  @IsString()
  @IsNotEmpty()
  @RequiredFor('ViberOtp')
  templateId?: string;

  @OptionalProperty({
    description:
      "ViberOtp: the template's language, one of Routee's ISO 639-1 codes (docs: localization; `br` is Portuguese (Brazil))",
    enum: TEMPLATE_LANGUAGES,
    example: 'en',
    default: 'en',
  })
  @OnlyFor('ViberOtp')
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsIn(TEMPLATE_LANGUAGES as unknown as string[], {
    message: `templateLang must be one of Routee's Viber OTP languages: ${TEMPLATE_LANGUAGES.join(', ')}`,
  })
  templateLang?: string;

  @ApiPropertyOptional({
    description:
      'ViberOtp: the one-time code, 4 to 10 characters, or "auto": the gateway draws one (see `code`). Required for ViberOtp. Never answered back: the steps show {code} where it goes',
    example: 'auto',
    minLength: 4,
    maxLength: 10,
  })
  @OnlyFor('ViberOtp')
  @IsString()
  @Length(4, 10)
  @RequiredFor('ViberOtp')
  pin?: string;

  @OptionalProperty({
    description:
      "ViberOtp: Routee's template type; when given it must name the template of templateId (see GET /otp/templates), whose parameters are then required",
    enum: TEMPLATE_TYPES,
    example: 'basic',
  })
  @OnlyFor('ViberOtp')
  @IsIn(TEMPLATE_TYPES as unknown as string[], { message: `templateType must be one of ${TEMPLATE_TYPES.join(', ')}` })
  templateType?: string;

  @TemplateTextParam('ViberOtp template param: business name (templates with businessPlatformName)', 'Acme')
  businessPlatformName?: string;

  @TemplateTextParam(
    "Routee's failover-otp name for businessPlatformName (either may be sent; Routee's Viber OTP API receives businessPlatformName)",
    'Acme',
  )
  businessName?: string;

  @OptionalProperty({ description: 'ViberOtp template param: minutes the code is valid', example: 5, minimum: 1 })
  @OnlyFor('ViberOtp')
  @IsInt()
  @Min(1)
  @Max(1440)
  codeValidityTime?: number;

  @TemplateTextParam('ViberOtp template param: kind of code', 'login code')
  pinType?: string;

  @TemplateTextParam('ViberOtp template param: action or platform', 'sign in to Acme')
  businessPlatformActionName?: string;

  @TemplateTextParam('ViberOtp template param: why the code was sent', 'new device login')
  codeReason?: string;

  @ApiPropertyOptional({
    description: 'Sms: sender id, up to 11 letters/digits or up to 16 digits. Required for Sms',
    example: 'Acme',
  })
  @OnlyFor('Sms')
  @IsString()
  @Matches(/^(?:[A-Za-z0-9 ]{1,11}|\+?\d{1,16})$/, {
    message: 'from must be up to 11 letters/digits or up to 16 digits',
  })
  @RequiredFor('Sms')
  from?: string;

  @ApiPropertyOptional({
    description: 'Sms: the message. Required for Sms',
    type: SmsMessageDto,
    example: { body: 'Your code is 482913' },
  })
  @OnlyFor('Sms')
  @IsObject()
  @ValidateNested()
  @Type(() => SmsMessageDto)
  @RequiredFor('Sms')
  message?: SmsMessageDto;
}

export class CodeOptionsDto {
  @OptionalProperty({ description: 'Characters of the code the gateway draws', example: 6, minimum: 4, maximum: 10 })
  @IsInt()
  @Min(4)
  @Max(10)
  length?: number;

  @OptionalProperty({
    description: 'numeric (0-9) or alphanumeric (A-Z, 0-9)',
    enum: ['numeric', 'alphanumeric'],
    example: 'numeric',
  })
  @IsIn(['numeric', 'alphanumeric'], { message: 'alphanumeric must be one of numeric, alphanumeric' })
  alphabet?: 'numeric' | 'alphanumeric';

  @OptionalProperty({
    description: 'Seconds the code may be checked (POST /otp/verify) after the send (default CODE_TTL_SEC)',
    example: 600,
    minimum: 30,
    maximum: 86400,
  })
  @IsInt()
  @Min(30)
  @Max(86400)
  ttl?: number;
}

export class CallbackDto {
  @ApiProperty({
    description: 'http(s) URL that receives the flow events (webhooks)',
    example: 'https://app.example.com/otp-events',
  })
  @IsString()
  @MaxLength(2000)
  @Matches(/^https?:\/\/[^\s/$.?#][^\s]*$/i, { message: 'url must be an http(s) URL' })
  @Required()
  url: string;
}

export class SendFailoverDto {
  @ApiProperty({
    description: 'One or two steps: the lower `order` is the primary, the other the failover',
    type: 'array',
    items: { $ref: getSchemaPath(FlowStepDto) },
    minItems: 1,
    maxItems: 2,
    example: [
      {
        type: 'ViberOtp',
        to: '306912345671',
        order: 1,
        ttl: 60,
        label: 'login',
        failoverOnDelivered: false,
        senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
        templateId: '0aac888f-2ee2-4112-9659-1755a951966a',
        templateLang: 'en',
        pin: '482913',
      },
      {
        type: 'Sms',
        to: '306912345671',
        order: 2,
        ttl: 300,
        label: 'login',
        from: 'Acme',
        message: { body: 'Your code is 482913' },
      },
    ],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(2)
  // ValidateNested finds nothing wrong with a step that is an empty array ({"flow":[[]]}), which then broke toDefinition (a 500)
  @IsObject({ each: true, message: 'each flow step must be an object' })
  @ValidateNested({ each: true })
  @Type(() => FlowStepDto)
  @Required()
  flow: FlowStepDto[];

  @OptionalProperty({
    description:
      'The gateway draws the code (as with pin "auto"): put {code} in the SMS body where it goes; POST /otp/verify checks it',
    type: CodeOptionsDto,
    example: { length: 6, alphabet: 'numeric', ttl: 600 },
  })
  @IsObject()
  @ValidateNested()
  @Type(() => CodeOptionsDto)
  code?: CodeOptionsDto;

  @OptionalProperty({
    description: 'Where to send webhooks about this flow',
    type: CallbackDto,
    example: { url: 'https://app.example.com/otp-events' },
  })
  @IsObject()
  @ValidateNested()
  @Type(() => CallbackDto)
  callback?: CallbackDto;
}
