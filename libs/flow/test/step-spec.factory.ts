import type { SmsStepSpec, StepProgress, ViberOtpStepSpec, ViberStepSpec, VoiceStepSpec } from '../src/step-spec.types';
import { failoverStatuses } from '../src/step-vocabulary';
import { at } from './flow.factory';

/** a normalised failoverOnStatuses set, as the integrator would write it */
export const triggers = (...names: string[]): ReadonlySet<string> => failoverStatuses(names);

type Overrides<S> = Partial<Omit<S, 'channel'>>;

/** a Failover API Viber step: ttl 60 s, Routee's default triggers (Expired, Failed, Undelivered), expireOnDelivery off */
export function aViberStep(overrides: Overrides<ViberStepSpec> = {}): ViberStepSpec {
  return {
    channel: 'viber',
    ttlSec: 60,
    failoverOnStatuses: triggers('Expired', 'Failed', 'Undelivered'),
    expireOnDelivery: false,
    ...overrides,
  };
}

/** a Failover API SMS step: Routee's default triggers (Undelivered, Failed), Sent not final, no local ttl */
export function anSmsStep(overrides: Overrides<SmsStepSpec> = {}): SmsStepSpec {
  return {
    channel: 'sms',
    ttlSec: null,
    failoverOnStatuses: triggers('Undelivered', 'Failed'),
    sentIsSuccess: false,
    ...overrides,
  };
}

/** a Failover API Voice step: Routee's default triggers (Busy, NoAnswer), no local ttl */
export function aVoiceStep(overrides: Overrides<VoiceStepSpec> = {}): VoiceStepSpec {
  return { channel: 'voice', ttlSec: null, failoverOnStatuses: triggers('Busy', 'NoAnswer'), ...overrides };
}

/** Failover OTP's Viber primary: ttl 60 s, triggers EXPIRED, FAILED, UNDELIVERED, failoverOnDelivered off */
export function aViberOtpStep(overrides: Overrides<ViberOtpStepSpec> = {}): ViberOtpStepSpec {
  return {
    channel: 'viber-otp',
    ttlSec: 60,
    failoverOnStatuses: triggers('Expired', 'Failed', 'Undelivered'),
    failoverOnDelivered: false,
    ...overrides,
  };
}

/** step `index` as it exists: accepted by Routee 60 s × index after T0, not reported on */
export function aStep(index: number, overrides: Partial<Omit<StepProgress, 'index'>> = {}): StepProgress {
  return { index, status: 'Queued', sendError: null, sentAt: at(60 * index), deliveredAt: null, ...overrides };
}
