import { at, T0 } from '../test/flow.factory';
import { aStep, aViberOtpStep, aViberStep, aVoiceStep, anSmsStep, triggers } from '../test/step-spec.factory';
import { decideSteps } from './decide-steps';
import type { FailoverStatus, SendReason, StepProgress, StepsNext, StepSpec } from './step-spec.types';
import type { FlowStatusCode } from './flow.types';

type Row = [
  description: string,
  flow: StepSpec[],
  steps: StepProgress[],
  now: Date,
  status: FailoverStatus,
  statusCode: FlowStatusCode,
  next: StepsNext,
];

const none: StepsNext = { kind: 'none' };
const recheck = (seconds: number): StepsNext => ({ kind: 'recheck', at: at(seconds) });
const send = (index: number, reason: SendReason): StepsNext => ({ kind: 'send_step', index, reason });

// Viber (ttl 60 s) → Viber (ttl 60 s) → Sms; step i is accepted at 60 s × i
const VVS = [aViberStep(), aViberStep(), anSmsStep()];
const VVS_STEP2_ONLY_EXPIRED = [aViberStep(), aViberStep({ failoverOnStatuses: triggers('Expired') }), anSmsStep()];
const VVS_EOD = [
  aViberStep({ expireOnDelivery: true }),
  aViberStep({ expireOnDelivery: true, failoverOnStatuses: triggers('Failed', 'Undelivered') }),
  anSmsStep(),
];
// Sms → Voice (Busy, NoAnswer) → Sms
const SVS = [anSmsStep(), aVoiceStep(), anSmsStep()];

const failedViber = (index: number) => aStep(index, { status: 'UNDELIVERED' });
const delivered = (index: number, seconds: number, o: Partial<StepProgress> = {}) =>
  aStep(index, { status: 'DELIVERED', deliveredAt: at(seconds), ...o });

// the tables keep one row a line
// prettier-ignore
const VIBER_VIBER_SMS: Row[] = [
  ['no step yet: Queued, step 1 is sent', VVS, [], T0, 'Queued', null, send(0, 'start')],
  ['step 1 handed to its sender, not yet accepted: still Queued', VVS, [aStep(0, { sentAt: null })], T0, 'Queued', null, none],
  ['step 1 accepted, no report: rechecks at its ttl', VVS, [aStep(0)], at(10), 'InProgress', null, recheck(60)],
  ['step 1 SENT is still pending', VVS, [aStep(0, { status: 'SENT' })], at(10), 'InProgress', null, recheck(60)],
  ['step 1 fails on a trigger (UNDELIVERED) → step 2', VVS, [failedViber(0)], at(10), 'InProgress', null, send(1, 'trigger')],
  ['step 1 fails on a trigger in any case (failed) → step 2', VVS, [aStep(0, { status: 'failed' })], at(10), 'InProgress', null, send(1, 'trigger')],
  ['ttl: step 1 pending 1 ms before sentAt + ttl', VVS, [aStep(0)], at(59.999), 'InProgress', null, recheck(60)],
  ['ttl: step 1 pending at sentAt + ttl counts as Expired → step 2', VVS, [aStep(0)], at(60), 'InProgress', null, send(1, 'ttl_expired')],
  ['step 2 pending: rechecks at its own ttl', VVS, [failedViber(0), aStep(1)], at(70), 'InProgress', null, recheck(120)],
  ['ttl: step 2 pending at its sentAt + ttl → step 3', VVS, [failedViber(0), aStep(1)], at(120), 'InProgress', null, send(2, 'ttl_expired')],
  ['step 2 fails on a trigger → step 3', VVS, [failedViber(0), aStep(1, { status: 'EXPIRED' })], at(70), 'InProgress', null, send(2, 'trigger')],
  ['step 2 fails on a status not in its failoverOnStatuses → Failed 3', VVS_STEP2_ONLY_EXPIRED, [failedViber(0), failedViber(1)], at(70), 'Failed', 3, none],
  ['step 2 REJECTED (no trigger) → Failed 3', VVS, [failedViber(0), aStep(1, { status: 'REJECTED' })], at(70), 'Failed', 3, none],
  ['step 2 expired by ttl, Expired not in its statuses → Failed 3', [aViberStep(), aViberStep({ failoverOnStatuses: triggers('Failed') }), anSmsStep()], [failedViber(0), aStep(1)], at(120), 'Failed', 3, none],
  ['step 3 pending (no SMS ttl): nothing to plan', VVS, [failedViber(0), failedViber(1), aStep(2)], at(130), 'InProgress', null, none],
  ['step 3 Sent is not final on the Failover API', VVS, [failedViber(0), failedViber(1), aStep(2, { status: 'Sent' })], at(130), 'InProgress', null, none],
  ['the last step fails (Undelivered) → Failed 2', VVS, [failedViber(0), failedViber(1), aStep(2, { status: 'Undelivered' })], at(130), 'Failed', 2, none],
  ['the last step fails on a status it does not list (Rejected) → still Failed 2', VVS, [failedViber(0), failedViber(1), aStep(2, { status: 'Rejected' })], at(130), 'Failed', 2, none],
  ['the last step Delivered → Succeeded', VVS, [failedViber(0), failedViber(1), delivered(2, 125)], at(130), 'Succeeded', null, none],
  ['step 2 SEEN → Succeeded', VVS, [failedViber(0), aStep(1, { status: 'SEEN' })], at(70), 'Succeeded', null, none],
  ['step 1 Delivered late, after step 2 failed → Succeeded', VVS, [delivered(0, 65), failedViber(1)], at(70), 'Succeeded', null, none],
  ['step 1 Delivered late, step 3 pending → Succeeded', VVS, [delivered(0, 125), failedViber(1), aStep(2)], at(130), 'Succeeded', null, none],
  ['step 1 refused by Routee → step 2 at once', VVS, [aStep(0, { sendError: 'rejected', sentAt: null })], T0, 'InProgress', null, send(1, 'send_error')],
  ['step 1 insufficient balance → Failed 1 (nothing to send step 2 with)', VVS, [aStep(0, { status: 'UNSENT', sendError: 'insufficient_balance', sentAt: null })], T0, 'Failed', 1, none],
  ['step 1 UNSENT (no Viber trigger) → Failed 1', VVS, [aStep(0, { status: 'UNSENT' })], at(10), 'Failed', 1, none],
  ['step 2 unreachable → step 3 at once', VVS, [failedViber(0), aStep(1, { sendError: 'unavailable', sentAt: null })], at(60), 'InProgress', null, send(2, 'send_error')],
  ['the last step unreachable → Failed 0', VVS, [failedViber(0), failedViber(1), aStep(2, { sendError: 'unavailable', sentAt: null })], at(120), 'Failed', 0, none],
  ['the last step refused → Failed 2', VVS, [failedViber(0), failedViber(1), aStep(2, { sendError: 'rejected', sentAt: null })], at(120), 'Failed', 2, none],
  ['the last step Unsent → Failed 1', VVS, [failedViber(0), failedViber(1), aStep(2, { status: 'Unsent' })], at(130), 'Failed', 1, none],
  ['a send error wins over a stale success status', VVS, [aStep(0, { status: 'DELIVERED', sendError: 'unavailable', sentAt: null })], T0, 'InProgress', null, send(1, 'send_error')],
  ['step 1 still pending before its ttl, step 2 failed on no trigger: not Failed while step 1 may succeed', VVS_STEP2_ONLY_EXPIRED, [aStep(0, { sentAt: at(30) }), failedViber(1)], at(70), 'InProgress', null, none],
];

// prettier-ignore
const EXPIRE_ON_DELIVERY: Row[] = [
  ['Delivered, window open: rechecks at deliveredAt + ttl', VVS_EOD, [delivered(0, 10)], at(30), 'InProgress', null, recheck(70)],
  ['Delivered, 1 ms before the window closes', VVS_EOD, [delivered(0, 10)], at(69.999), 'InProgress', null, recheck(70)],
  ['Delivered, not Seen at deliveredAt + ttl: counts as Expired → step 2', VVS_EOD, [delivered(0, 10)], at(70), 'InProgress', null, send(1, 'expired_on_delivery')],
  ['the window runs from delivery, not from the send', VVS_EOD, [delivered(0, 50)], at(100), 'InProgress', null, recheck(110)],
  ['no deliveredAt: the window runs from sentAt', VVS_EOD, [aStep(0, { status: 'DELIVERED' })], at(30), 'InProgress', null, recheck(60)],
  ['no deliveredAt nor sentAt: the window counts as closed', VVS_EOD, [aStep(0, { status: 'DELIVERED', sentAt: null })], at(30), 'InProgress', null, send(1, 'expired_on_delivery')],
  ['Seen before the window closes → Succeeded', VVS_EOD, [delivered(0, 10, { status: 'SEEN' })], at(30), 'Succeeded', null, none],
  ['Seen reported after the window closed → Succeeded (the user read it)', VVS_EOD, [delivered(0, 10, { status: 'SEEN' })], at(500), 'Succeeded', null, none],
  ['step 2 expires on delivery, Expired not among its statuses → Failed 3', VVS_EOD, [failedViber(0), delivered(1, 70)], at(130), 'Failed', 3, none],
  ['expireOnDelivery off: Delivered is a success', VVS, [delivered(0, 10)], at(500), 'Succeeded', null, none],
  ['the last step expires on delivery → Failed 2', [anSmsStep(), aViberStep({ expireOnDelivery: true })], [aStep(0, { status: 'Failed' }), delivered(1, 70)], at(130), 'Failed', 2, none],
  ['pending (not yet delivered): the ttl still runs from the send', VVS_EOD, [aStep(0)], at(60), 'InProgress', null, send(1, 'ttl_expired')],
];

// prettier-ignore
const SMS_VOICE_SMS: Row[] = [
  ['Sms Undelivered → Voice', SVS, [aStep(0, { status: 'Undelivered' })], at(10), 'InProgress', null, send(1, 'trigger')],
  ['Sms Sent is still pending (no SMS ttl)', SVS, [aStep(0, { status: 'Sent' })], at(10), 'InProgress', null, none],
  ['Sms Delivered → Succeeded', SVS, [aStep(0, { status: 'Delivered' })], at(10), 'Succeeded', null, none],
  ['Sms Expired is no default SMS trigger → Failed 3', SVS, [aStep(0, { status: 'Expired' })], at(10), 'Failed', 3, none],
  ['Voice Ringing is pending, no ttl', SVS, [aStep(0, { status: 'Failed' }), aStep(1, { status: 'Ringing' })], at(70), 'InProgress', null, none],
  ['Voice Busy → the last Sms', SVS, [aStep(0, { status: 'Failed' }), aStep(1, { status: 'Busy' })], at(70), 'InProgress', null, send(2, 'trigger')],
  ['Voice "No Answer" reads as NoAnswer → the last Sms', SVS, [aStep(0, { status: 'Failed' }), aStep(1, { status: 'No Answer' })], at(70), 'InProgress', null, send(2, 'trigger')],
  ['Voice Failed is no default Voice trigger → Failed 3', SVS, [aStep(0, { status: 'Failed' }), aStep(1, { status: 'Failed' })], at(70), 'Failed', 3, none],
  ['Voice Terminated is no default Voice trigger → Failed 3', SVS, [aStep(0, { status: 'Failed' }), aStep(1, { status: 'Terminated' })], at(70), 'Failed', 3, none],
  ['Voice Unsent, not listed → Failed 1', SVS, [aStep(0, { status: 'Failed' }), aStep(1, { status: 'Unsent' })], at(70), 'Failed', 1, none],
  ['Voice Completed → Succeeded', SVS, [aStep(0, { status: 'Failed' }), aStep(1, { status: 'COMPLETED' })], at(70), 'Succeeded', null, none],
  ['the last Sms Failed → Failed 2', SVS, [aStep(0, { status: 'Failed' }), aStep(1, { status: 'Busy' }), aStep(2, { status: 'Failed' })], at(130), 'Failed', 2, none],
  ['the last Sms Delivered → Succeeded', SVS, [aStep(0, { status: 'Failed' }), aStep(1, { status: 'NoAnswer' }), aStep(2, { status: 'Delivered' })], at(130), 'Succeeded', null, none],
  ['an Sms step may carry a local ttl (Expired, a trigger once listed)', [anSmsStep({ ttlSec: 30, failoverOnStatuses: triggers('Expired') }), aVoiceStep(), anSmsStep()], [aStep(0, { status: 'Sent' })], at(30), 'InProgress', null, send(1, 'ttl_expired')],
];

// prettier-ignore
const VIBER_OTP_HANDING_OVER: Row[] = [
  ['failoverOnDelivered: DELIVERED, window open', [aViberOtpStep({ failoverOnDelivered: true }), aViberStep(), anSmsStep()], [delivered(0, 10)], at(30), 'InProgress', null, recheck(70)],
  ['failoverOnDelivered: not SEEN at deliveredAt + ttl → step 2', [aViberOtpStep({ failoverOnDelivered: true }), aViberStep(), anSmsStep()], [delivered(0, 10)], at(70), 'InProgress', null, send(1, 'not_seen')],
  ['failoverOnDelivered: the delivery counts once step 2 ended, even failed', [aViberOtpStep({ failoverOnDelivered: true }), aViberStep(), anSmsStep()], [delivered(0, 10), failedViber(1)], at(130), 'Succeeded', null, none],
  ['failoverOnDelivered: waits while step 2 is pending', [aViberOtpStep({ failoverOnDelivered: true }), aViberStep(), anSmsStep()], [delivered(0, 10), aStep(1)], at(80), 'InProgress', null, none],
  ['failoverOnDelivered on the last step: the delivery is a success', [anSmsStep(), aViberOtpStep({ failoverOnDelivered: true })], [aStep(0, { status: 'Failed' }), delivered(1, 70)], at(500), 'Succeeded', null, none],
];

describe('decideSteps', () => {
  describe.each([
    ['Viber → Viber → Sms', VIBER_VIBER_SMS],
    ['expireOnDelivery (Viber → Viber → Sms)', EXPIRE_ON_DELIVERY],
    ['Sms → Voice → Sms', SMS_VOICE_SMS],
    ['Viber OTP failoverOnDelivered, N steps', VIBER_OTP_HANDING_OVER],
  ])('%s', (_name, rows) => {
    it.each(rows)('%s', (_d, flow, steps, now, status, statusCode, next) => {
      expect(decideSteps(flow, steps, now)).toEqual({ status, statusCode, next });
    });
  });

  it('takes the steps in any order', () => {
    expect(decideSteps(VVS, [failedViber(1), failedViber(0)], at(70))).toEqual({
      status: 'InProgress',
      statusCode: null,
      next: send(2, 'trigger'),
    });
  });

  it.each([
    ['an empty definition', [], [], /at least one step/],
    ['a gap in the steps', VVS, [failedViber(0), aStep(2)], /in order/],
    ['the same step twice', VVS, [failedViber(0), failedViber(0)], /in order/],
    ['a step past the last one defined', [aViberStep()], [failedViber(0), aStep(1)], /in order/],
  ] as [string, StepSpec[], StepProgress[], RegExp][])('throws on %s', (_d, flow, steps, message) => {
    expect(() => decideSteps(flow, steps, at(10))).toThrow(message);
  });
});
