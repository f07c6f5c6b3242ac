import {
  failoverStatuses,
  type Channel,
  type FlowConfig,
  type StepProgress,
  type StepSpec,
  type StepState,
} from '@app/flow';
import type { FlowEntity, StepDefinition, StepEntity } from '@app/persistence';

export function channelOf(def: StepDefinition): Channel {
  switch (def.type) {
    case 'ViberOtp':
    case 'Viber':
      return 'viber';
    case 'Sms':
      return 'sms';
    case 'Voice':
      return 'voice';
  }
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

/**
 * A Failover API step as decideSteps reads it. Only a Viber step has a
 * local timer (its ttl, and expireOnDelivery's window): Routee ends an SMS
 * at its own ttl and a call when it ends.
 */
export function failoverStepSpec(def: StepDefinition): StepSpec {
  const triggers = failoverStatuses(def.failoverOnStatuses ?? []);
  switch (def.type) {
    case 'Viber':
      return {
        channel: 'viber',
        ttlSec: def.ttl,
        failoverOnStatuses: triggers,
        expireOnDelivery: def.expireOnDelivery,
      };
    case 'Sms':
      return { channel: 'sms', ttlSec: null, failoverOnStatuses: triggers, sentIsSuccess: false };
    case 'Voice':
      return { channel: 'voice', ttlSec: null, failoverOnStatuses: triggers };
    case 'ViberOtp':
      throw new Error('failoverStepSpec: a Viber OTP step belongs to a Failover OTP flow');
  }
}

/** a stored step as decideSteps reads it: its position is its order */
export function stepProgressOf(step: StepEntity): StepProgress {
  return {
    index: step.order - 1,
    status: step.status,
    sendError: step.sendError,
    sentAt: step.sentAt,
    deliveredAt: step.deliveredAt,
  };
}
