import type { FlowConfig, StepState } from '../src/flow.types';

/** every spec's clock starts here; `at(s)` is `s` seconds later */
export const T0 = new Date('2026-02-16T12:00:00.000Z');

export function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

/** Viber OTP (ttl 60 s) with an SMS failover, failoverOnDelivered off */
export function aConfig(overrides: Partial<FlowConfig> = {}): FlowConfig {
  return {
    primaryChannel: 'viber',
    primaryTtlSec: 60,
    hasFailoverStep: true,
    failoverOnDelivered: false,
    ...overrides,
  };
}

/** the Viber primary, accepted by Routee at T0 and not reported on yet */
export function aPrimary(overrides: Partial<StepState> = {}): StepState {
  return {
    role: 'primary',
    channel: 'viber',
    status: 'QUEUED',
    sendError: null,
    sentAt: T0,
    deliveredAt: null,
    ...overrides,
  };
}

/** the SMS failover, accepted by Routee 60 s after T0 and not reported on yet */
export function aFailover(overrides: Partial<StepState> = {}): StepState {
  return {
    role: 'failover',
    channel: 'sms',
    status: 'Queued',
    sendError: null,
    sentAt: at(60),
    deliveredAt: null,
    ...overrides,
  };
}
