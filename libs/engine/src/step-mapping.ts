import type { Channel, FlowConfig, StepState } from '@app/flow';
import type { FlowEntity, StepDefinition, StepEntity } from '@app/persistence';

export function channelOf(def: StepDefinition): Channel {
  return def.type === 'ViberOtp' ? 'viber' : 'sms';
}

export function flowConfigOf(flow: FlowEntity): FlowConfig {
  const [primary, failover] = flow.definition;
  return {
    primaryChannel: channelOf(primary),
    primaryTtlSec: primary.ttl,
    hasFailoverStep: failover !== undefined,
    failoverOnDelivered: flow.failoverOnDelivered,
  };
}

export function stepStateOf(step: StepEntity): StepState {
  return {
    role: step.role,
    channel: step.channel,
    status: step.status,
    sendError: step.sendError,
    sentAt: step.sentAt,
    deliveredAt: step.deliveredAt,
  };
}
