import type {
  SmsStepDefinition,
  StepDefinition,
  ViberStepDefinition,
  VoiceStepDefinition,
  VoiceVerbDefinition,
} from '@app/persistence';
import type {
  FailoverRequestDto,
  FailoverStepDto,
  SmsStepDto,
  ViberStepDto,
  VoiceStepDto,
} from './dto/failover-request.dto';
import { FAILOVER_ON_STATUSES } from './failover-on-statuses';
import { PlatformError } from './platform-error';

/** minutes when the step gives none (CONTRACT section 10) */
export const SMS_DEFAULT_TTL_MIN = 1200;
export const VIBER_DEFAULT_TTL_MIN = 10;
/**
 * Routee's Voice step has no ttl; the engine's ttl for a call with no final status. A call that is not
 * answered ends as NoAnswer within a minute or two; ten minutes leaves room for the longest dial plan.
 */
export const VOICE_TTL_SEC = 600;

/**
 * The request as the steps the engine sends, in `order` (CONTRACT section 10): ttl in seconds, `to` as digits,
 * failoverOnStatuses as given or the channel's defaults. Checks what the DTO can't alone (unique orders) and
 * refuses with the platform body naming the field, as given (`flow[i]` is the step's place in the request).
 */
export function toFailoverDefinition(dto: FailoverRequestDto): StepDefinition[] {
  const properties: Record<string, string> = {};
  const firstAt = new Map<number, number>();
  dto.flow.forEach((step, i) => {
    const first = firstAt.get(step.order);
    if (first === undefined) firstAt.set(step.order, i);
    else
      properties[`flow[${i}].order`] =
        `order ${step.order} is used twice (flow[${first}] and flow[${i}]): orders are unique`;
  });
  if (Object.keys(properties).length > 0) throw PlatformError.badRequest(properties);
  return [...dto.flow].sort((a, b) => a.order - b.order).map(stepDefinition);
}

/** the step's recipient as digits: Voice dials to.phone */
export function recipientOf(step: FailoverStepDto): string {
  return digits(step.type === 'Voice' ? step.to.phone : step.to);
}

function stepDefinition(step: FailoverStepDto): StepDefinition {
  switch (step.type) {
    case 'Sms':
      return smsDefinition(step);
    case 'Viber':
      return viberDefinition(step);
    case 'Voice':
      return voiceDefinition(step);
  }
}

// keys in a fixed order, undefined ones left out: the Idempotency-Key's request hash is taken over the JSON

function smsDefinition(step: SmsStepDto): SmsStepDefinition {
  const { body, flash, label, transcode } = step.message;
  return {
    type: 'Sms',
    to: digits(step.to),
    order: step.order,
    ttl: (step.ttl ?? SMS_DEFAULT_TTL_MIN) * 60,
    ...(label !== undefined && { label }),
    failoverOnStatuses: triggers(step),
    from: step.from,
    message: { body, ...(flash !== undefined && { flash }), ...(transcode !== undefined && { transcode }) },
  };
}

function viberDefinition(step: ViberStepDto): ViberStepDefinition {
  const { text, imageUrl, action, viberFile } = step.message;
  return {
    type: 'Viber',
    to: digits(step.to),
    order: step.order,
    ttl: Math.round((step.ttl ?? VIBER_DEFAULT_TTL_MIN) * 60),
    ...(step.label !== undefined && { label: step.label }),
    failoverOnStatuses: triggers(step),
    senderInfoTrackingId: step.senderInfoTrackingId,
    expireOnDelivery: step.expireOnDelivery ?? false,
    ...(step.inboundUrl !== undefined && { inboundUrl: step.inboundUrl }),
    message: {
      ...(text !== undefined && { text }),
      ...(imageUrl !== undefined && { imageUrl }),
      ...(action !== undefined && { action: { caption: action.caption, targetUrl: action.targetUrl } }),
      ...(viberFile !== undefined && {
        viberFile: { fileName: viberFile.fileName, fileType: viberFile.fileType, fileUrl: viberFile.fileUrl },
      }),
    },
  };
}

function voiceDefinition(step: VoiceStepDto): VoiceStepDefinition {
  const { phone, viber, sip } = step.to;
  const detection = step.machineDetection;
  return {
    type: 'Voice',
    to: digits(phone),
    order: step.order,
    ttl: VOICE_TTL_SEC,
    failoverOnStatuses: triggers(step),
    from: step.from,
    address: { phone, ...(viber !== undefined && { viber }), ...(sip !== undefined && { sip }) },
    dialPlan: { verbs: step.dialPlan.verbs.map(verbDefinition) },
    ...(detection !== undefined && {
      machineDetection: {
        strategy: detection.strategy,
        ...(detection.eventUrl !== undefined && { eventUrl: detection.eventUrl }),
      },
    }),
  };
}

function verbDefinition(verb: VoiceStepDto['dialPlan']['verbs'][number]): VoiceVerbDefinition {
  const options = {
    ...(verb.repeat !== undefined && { repeat: verb.repeat }),
    ...(verb.bargeIn !== undefined && { bargeIn: verb.bargeIn }),
  };
  if (verb.type === 'PLAY') return { type: 'PLAY', fileURL: verb.fileURL, ...options };
  const { language, gender, text } = verb.message;
  return { type: 'SAY', message: { language, gender, text }, ...options };
}

function triggers(step: FailoverStepDto): string[] {
  return [...(step.failoverOnStatuses ?? FAILOVER_ON_STATUSES[step.type].defaults)];
}

function digits(phone: string): string {
  return phone.replace(/^\+/, '');
}
