import { isSeen } from '@app/flow';
import type {
  FlowWithSteps,
  SmsStepDefinition,
  StepDefinition,
  StepEntity,
  ViberStepDefinition,
  VoiceStepDefinition,
} from '@app/persistence';
import { sumPrices } from './tracking-view';

/**
 * The Failover API's tracking object (seed 001, https://docs.routee.net/docs/failover-callbacks): what
 * POST /failover and GET /failover/tracking/{id} answer, what the search lists and what the callbacks carry.
 * Camel case like Routee's Failover API. Every field is always there, `null` when it is not known (yet), as
 * Routee's callback example sends `statusCode: null` and `expiredOnDeliveryAt: null`: one parser reads every
 * stage of a flow. Only the Viber `body`'s parts are left out when the integrator did not give them
 * (seed 001: imageUrl, action and viberFile "if present").
 */
export interface FailoverTrackingView {
  /** the flow's id */
  trackingId: string;
  messages: FailoverMessageView[];
  /** the type of the last step once the flow is final, else null */
  terminationChannel: FailoverChannel | null;
  status: string;
  /** "0" to "3" as Routee sends it, or null */
  statusCode: string | null;
  totalPrice: number;
  originatingService: 'Failover';
  /** the API key that created the flow */
  applicationId: string | null;
  createdAt: string;
  updatedAt: string;
}

export type FailoverChannel = 'Sms' | 'Viber' | 'Voice';

export interface FailoverStatusView {
  name: string;
  reason: { detailedStatus: string | null; description: string | null };
  updatedDate: string | null;
}

interface MessageViewBase {
  type: FailoverChannel;
  order: number;
  failoverOnStatuses: string[];
  createdAt: string;
  /** "+" and the E.164 digits */
  to: string;
  from: string;
  country: string | null;
  status: FailoverStatusView;
  price: number | null;
  label: string | null;
  /** minutes, as the integrator gave them */
  ttl: number;
}

export interface SmsMessageView extends MessageViewBase {
  type: 'Sms';
  /** Routee's SMS id (the step's trackingId); null until Routee took the send */
  messageId: string | null;
  smsId: string | null;
  body: string;
  operator: string | null;
  part: number;
  parts: number;
  /** ms */
  latency: number | null;
}

export interface ViberBodyView {
  text?: string;
  imageUrl?: string;
  action?: { caption: string; targetUrl: string };
  viberFile?: { fileName: string; fileType: string; fileUrl: string };
}

export interface ViberMessageView extends MessageViewBase {
  type: 'Viber';
  trackingId: string | null;
  body: ViberBodyView;
  inboundUrl: string | null;
  expireOnDelivery: boolean;
  /** deliveredAt + ttl when expireOnDelivery and that moment passed without a Seen */
  expiredOnDeliveryAt: string | null;
}

export interface VoiceMessageView extends MessageViewBase {
  type: 'Voice';
  /** the dialled call's id */
  messageId: string | null;
  /** the conversation's id (the step's trackingId) */
  conversationTrackingId: string | null;
  /** seconds */
  duration: number | null;
  answeredBy: string | null;
}

export type FailoverMessageView = SmsMessageView | ViberMessageView | VoiceMessageView;

const FINAL = new Set(['Succeeded', 'Failed']);

/** The flow as the Failover API shows it; pure (`now` decides whether an expireOnDelivery moment has passed). */
export function toFailoverTracking(current: FlowWithSteps, now: Date = new Date()): FailoverTrackingView {
  const { flow, steps } = current;
  const messages = steps.map((step) => toMessage(step, definitionOf(current, step), now));
  const last = messages[messages.length - 1];
  return {
    trackingId: flow.id,
    messages,
    terminationChannel: FINAL.has(flow.status) && last ? last.type : null,
    status: flow.status,
    statusCode: flow.statusCode === null ? null : String(flow.statusCode),
    totalPrice: sumPrices(steps.map((s) => s.price)),
    originatingService: 'Failover',
    applicationId: flow.apiKeyId,
    createdAt: flow.createdAt.toISOString(),
    updatedAt: flow.updatedAt.toISOString(),
  };
}

type FailoverStepDefinition = SmsStepDefinition | ViberStepDefinition | VoiceStepDefinition;

/** a step's definition: its position in the flow's definition is its order, from 1 */
function definitionOf({ flow }: FlowWithSteps, step: StepEntity): FailoverStepDefinition {
  const def: StepDefinition | undefined = flow.definition[step.order - 1];
  if (!def || def.type === 'ViberOtp') {
    throw new Error(`flow ${flow.id} has no Failover API definition for its step ${step.order}`);
  }
  return def;
}

function toMessage(step: StepEntity, def: FailoverStepDefinition, now: Date): FailoverMessageView {
  const common = {
    order: def.order,
    failoverOnStatuses: def.failoverOnStatuses ?? [],
    createdAt: step.createdAt.toISOString(),
    to: `+${step.phoneNumber}`,
    country: step.country,
    status: statusOf(step),
    price: step.price,
  };
  switch (def.type) {
    case 'Sms':
      return {
        type: 'Sms',
        messageId: step.trackingId,
        smsId: step.trackingId,
        ...common,
        from: def.from,
        body: def.message.body,
        operator: step.operator,
        label: def.label ?? null,
        ttl: Math.round(def.ttl / 60),
        // the step is Routee's message folded over its parts (@app/routee): the parts are counted from the text
        part: 1,
        parts: smsParts(def.message.body),
        latency: step.latencyMs,
      };
    case 'Viber':
      return {
        type: 'Viber',
        trackingId: step.trackingId,
        ...common,
        // Routee shows the sender's name, which the gateway never learns: the sender's id is what it knows
        from: def.senderInfoTrackingId,
        body: viberBody(def),
        label: def.label ?? null,
        ttl: Math.round(def.ttl / 6) / 10,
        inboundUrl: def.inboundUrl ?? null,
        expireOnDelivery: def.expireOnDelivery,
        expiredOnDeliveryAt: expiredOnDeliveryAt(step, def, now),
      };
    case 'Voice':
      return {
        type: 'Voice',
        messageId: step.messageId,
        conversationTrackingId: step.trackingId,
        ...common,
        from: def.from,
        label: def.label ?? null,
        ttl: Math.round(def.ttl / 6) / 10,
        duration: step.durationSec,
        answeredBy: step.answeredBy,
      };
  }
}

function statusOf(step: StepEntity): FailoverStatusView {
  return {
    name: step.status,
    reason: { detailedStatus: step.detailedStatus, description: step.errorMessage },
    updatedDate: (step.statusUpdatedAt ?? step.sentAt)?.toISOString() ?? null,
  };
}

function viberBody({ message }: ViberStepDefinition): ViberBodyView {
  const { text, imageUrl, action, viberFile } = message;
  return {
    ...(text !== undefined && { text }),
    ...(imageUrl !== undefined && { imageUrl }),
    ...(action !== undefined && { action }),
    ...(viberFile !== undefined && { viberFile }),
  };
}

/** with expireOnDelivery, a delivery not Seen within ttl counts as expired from that moment on (CONTRACT section 10) */
function expiredOnDeliveryAt(step: StepEntity, def: ViberStepDefinition, now: Date): string | null {
  if (!def.expireOnDelivery || step.deliveredAt === null || isSeen(step.status)) return null;
  const at = new Date(step.deliveredAt.getTime() + def.ttl * 1000);
  return at.getTime() <= now.getTime() ? at.toISOString() : null;
}

/** GSM 03.38's basic set and (counting two) its extension: anything else sends the SMS as UCS-2 */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '^{}\\[~]|€\f';

/** how many parts an SMS of this text takes: 160/153 GSM-7 characters, 70/67 UCS-2 code units */
export function smsParts(body: string): number {
  let septets = 0;
  for (const char of body) {
    if (GSM_BASIC.includes(char)) septets += 1;
    else if (GSM_EXTENSION.includes(char)) septets += 2;
    else {
      const units = body.length;
      return units <= 70 ? 1 : Math.ceil(units / 67);
    }
  }
  return septets <= 160 ? 1 : Math.ceil(septets / 153);
}
