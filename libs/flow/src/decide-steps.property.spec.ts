import fc from 'fast-check';
import { T0 } from '../test/flow.factory';
import { decideSteps } from './decide-steps';
import { decideFlow } from './flow-status';
import type { Channel, FlowConfig, FlowDecision, NextAction, SendError, StepState } from './flow.types';
import type { StepProgress, StepsDecision, StepSpec } from './step-spec.types';
import { failoverStatuses, normaliseStatus, stepStatusOutcome } from './step-vocabulary';

/**
 * Invariants of the N-step decision over generated flows of 1-4 steps of any
 * kind. Times are whole milliseconds after T0.
 */

const RUNS = { numRuns: 2000 };
const MAX_TTL_SEC = 300;
const MAX_MS = 4 * MAX_TTL_SEC * 1000;
const STATUS_NAMES = [
  'Queued',
  'Sent',
  'Delivered',
  'Seen',
  'Failed',
  'Undelivered',
  'Expired',
  'Unsent',
  'Rejected',
  'Unknown',
  'Ringing',
  'Completed',
  'Busy',
  'NoAnswer',
  'No Answer',
  'Terminated',
];
const SEND_ERRORS: SendError[] = ['insufficient_balance', 'rejected', 'unavailable'];

const ms = (offset: number) => new Date(T0.getTime() + offset);
const subsetOf = (names: string[]) => fc.subarray(names).map(failoverStatuses);

const statusArb = fc
  .tuple(fc.constantFrom(...STATUS_NAMES), fc.constantFrom('as-is', 'upper', 'lower'))
  .map(([s, casing]) => (casing === 'upper' ? s.toUpperCase() : casing === 'lower' ? s.toLowerCase() : s));
const sendErrorArb: fc.Arbitrary<SendError | null> = fc.oneof(
  { arbitrary: fc.constant(null), weight: 6 },
  { arbitrary: fc.constantFrom(...SEND_ERRORS), weight: 1 },
);
const ttlArb = fc.oneof(fc.constantFrom(0, 1, 60), fc.integer({ min: 0, max: MAX_TTL_SEC }));

const specArb: fc.Arbitrary<StepSpec> = fc.oneof(
  fc.record({
    channel: fc.constant('viber-otp' as const),
    ttlSec: fc.option(ttlArb),
    failoverOnStatuses: subsetOf(['Expired', 'Failed', 'Undelivered']),
    failoverOnDelivered: fc.boolean(),
  }),
  fc.record({
    channel: fc.constant('viber' as const),
    ttlSec: fc.option(ttlArb),
    failoverOnStatuses: subsetOf(['Expired', 'Failed', 'Undelivered']),
    expireOnDelivery: fc.boolean(),
  }),
  fc.record({
    channel: fc.constant('sms' as const),
    ttlSec: fc.option(ttlArb),
    failoverOnStatuses: subsetOf(['Failed', 'Undelivered']),
    sentIsSuccess: fc.boolean(),
  }),
  fc.record({
    channel: fc.constant('voice' as const),
    ttlSec: fc.constant(null),
    failoverOnStatuses: subsetOf(['Busy', 'NoAnswer', 'Failed', 'Terminated', 'Unsent']),
  }),
);

/** one step as stored: a send error leaves no sentAt; only the frontier may be a send under way */
function progressArb(
  spec: StepSpec,
  index: number,
  earliestMs: number,
  mayBeInFlight: boolean,
): fc.Arbitrary<StepProgress> {
  return fc
    .record({
      sendError: sendErrorArb,
      status: statusArb,
      inFlight: fc.boolean(),
      sentMs: fc.integer({ min: earliestMs, max: earliestMs + MAX_MS / 4 }),
      deliveredDelayMs: fc.option(fc.integer({ min: 0, max: MAX_MS / 2 })),
    })
    .map(({ sendError, status, inFlight, sentMs, deliveredDelayMs }): StepProgress => {
      if (sendError) return { index, status: 'Queued', sendError, sentAt: null, deliveredAt: null };
      const outcome = stepStatusOutcome(spec, status);
      if (mayBeInFlight && inFlight && outcome === 'pending')
        return { index, status, sendError: null, sentAt: null, deliveredAt: null };
      const deliveredAt = outcome === 'success' && deliveredDelayMs !== null ? ms(sentMs + deliveredDelayMs) : null;
      return { index, status, sendError: null, sentAt: ms(sentMs), deliveredAt };
    });
}

interface Scenario {
  specs: StepSpec[];
  steps: StepProgress[];
  now: Date;
}

/** `now` anywhere, or within a millisecond of a timer's boundary (ttl, delivery windows) */
function nowArb(specs: StepSpec[], steps: StepProgress[]): fc.Arbitrary<Date> {
  const anchors = steps.flatMap((s) => {
    const ttl = specs[s.index].ttlSec;
    if (ttl === null) return [];
    return [s.sentAt, s.deliveredAt].filter((d): d is Date => d !== null).map((d) => d.getTime() + ttl * 1000);
  });
  const random = fc.integer({ min: 0, max: MAX_MS }).map(ms);
  if (anchors.length === 0) return random;
  const nearBoundary = fc
    .tuple(fc.constantFrom(...anchors), fc.constantFrom(-1, 0, 1))
    .map(([anchor, delta]) => new Date(Math.max(T0.getTime(), anchor + delta)));
  return fc.oneof(random, nearBoundary);
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .array(specArb, { minLength: 1, maxLength: 4 })
  .chain((specs) =>
    fc
      .integer({ min: 0, max: specs.length })
      .chain((count) =>
        fc
          .tuple(...specs.slice(0, count).map((spec, i) => progressArb(spec, i, (i * MAX_MS) / 8, i === count - 1)))
          .chain((steps) => nowArb(specs, steps).map((now) => ({ specs, steps, now }))),
      ),
  );

/**
 * The same flow later, as far as the flow still waits on it: time moves
 * forward; a step reported pending and not yet counted Expired by its ttl may
 * get any status; a delivered Viber step may turn SEEN unless its
 * expireOnDelivery window had closed; everything else stays. (A step the flow
 * already counted Expired gets no later report here: the function has no
 * memory, and whether a late report may reopen a final flow is the caller's rule.)
 */
function laterArb({ specs, steps, now }: Scenario): fc.Arbitrary<Scenario> {
  const ttlPassed = (spec: StepSpec, step: StepProgress) =>
    spec.ttlSec !== null && step.sentAt !== null && now.getTime() >= step.sentAt.getTime() + spec.ttlSec * 1000;
  const windowClosed = (spec: StepSpec, step: StepProgress) => {
    const start = step.deliveredAt ?? step.sentAt;
    return spec.ttlSec !== null && (start === null || now.getTime() >= start.getTime() + spec.ttlSec * 1000);
  };
  const progress = (step: StepProgress, laterMs: number) =>
    fc.record({ status: statusArb, moves: fc.boolean() }).map(({ status, moves }): StepProgress => {
      const spec = specs[step.index];
      if (step.sendError || !moves) return step;
      const before = stepStatusOutcome(spec, step.status);
      if (before === 'pending' && !ttlPassed(spec, step)) {
        const success = stepStatusOutcome(spec, status) === 'success';
        return { ...step, status, sentAt: step.sentAt ?? ms(laterMs), deliveredAt: success ? ms(laterMs) : null };
      }
      const viber = spec.channel === 'viber' || spec.channel === 'viber-otp';
      const eodClosed = spec.channel === 'viber' && spec.expireOnDelivery && windowClosed(spec, step);
      if (viber && normaliseStatus(step.status) === 'delivered' && !eodClosed) return { ...step, status: 'SEEN' };
      return step;
    });
  return fc.integer({ min: 0, max: MAX_MS }).chain((deltaMs) => {
    const laterMs = now.getTime() - T0.getTime() + deltaMs;
    return fc
      .tuple(...steps.map((s) => progress(s, laterMs)))
      .map((later) => ({ specs, steps: later, now: ms(laterMs) }));
  });
}

const decide = ({ specs, steps, now }: Scenario) => decideSteps(specs, steps, now);
const isFinal = (d: StepsDecision) => d.status === 'Succeeded' || d.status === 'Failed';

describe('decideSteps invariants', () => {
  it('names at most one next step: the one right after the last that exists, never past the last defined', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { next } = decide(scenario);
        if (next.kind !== 'send_step') return;
        expect(next.index).toBe(scenario.steps.length);
        expect(next.index).toBeLessThan(scenario.specs.length);
        expect(scenario.steps.some((s) => s.index === next.index)).toBe(false);
      }),
      RUNS,
    );
  });

  it('once the step it named exists and its send is under way, no step is named again', () => {
    const namingArb = scenarioArb.filter((s) => decide(s).next.kind === 'send_step');
    fc.assert(
      fc.property(namingArb, (scenario) => {
        const named = scenario.steps.length;
        const sending: StepProgress = {
          index: named,
          status: 'Queued',
          sendError: null,
          sentAt: null,
          deliveredAt: null,
        };
        const after = decide({ ...scenario, steps: [...scenario.steps, sending] });
        expect(after.next.kind).not.toBe('send_step');
        expect(after.status).toBe(named === 0 ? 'Queued' : 'InProgress');
      }),
      RUNS,
    );
  });

  it('a final status never changes as later reports and time arrive', () => {
    const finalArb = scenarioArb.filter((s) => isFinal(decide(s)));
    fc.assert(
      fc.property(
        finalArb.chain((before) => laterArb(before).map((after) => ({ before, after }))),
        ({ before, after }) => {
          expect(decide(after)).toEqual(decide(before));
        },
      ),
      RUNS,
    );
  });

  it('final statuses plan nothing; a recheck is strictly in the future; statusCode non-null iff Failed', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { status, statusCode, next } = decide(scenario);
        if (isFinal({ status, statusCode, next })) expect(next).toEqual({ kind: 'none' });
        if (next.kind === 'recheck') expect(next.at.getTime()).toBeGreaterThan(scenario.now.getTime());
        expect(statusCode !== null).toBe(status === 'Failed');
      }),
      RUNS,
    );
  });

  it('Queued only while no step was handed to Routee', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const handed = scenario.steps.some(
          (s) =>
            s.sentAt !== null ||
            s.sendError !== null ||
            stepStatusOutcome(scenario.specs[s.index], s.status) !== 'pending',
        );
        if (decide(scenario).status === 'Queued') expect(handed).toBe(false);
      }),
      RUNS,
    );
  });

  it('deterministic, and the inputs are not mutated', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const snapshot = structuredClone(scenario);
        const first = decide(scenario);
        expect(decide(structuredClone(scenario))).toEqual(first);
        expect(scenario).toEqual(snapshot);
      }),
      RUNS,
    );
  });
});

describe('decideFlow is decideSteps on two steps', () => {
  const other = (c: Channel): Channel => (c === 'viber' ? 'sms' : 'viber');
  type OtpReason = Extract<NextAction, { kind: 'send_failover' }>['reason'];
  const OTP_TRIGGERS = failoverStatuses(['EXPIRED', 'FAILED', 'UNDELIVERED']);

  /** Failover OTP's flow written by hand as decideSteps' input */
  function specOf(channel: Channel, ttlSec: number | null, fod: boolean): StepSpec {
    return channel === 'viber'
      ? { channel: 'viber-otp', ttlSec, failoverOnStatuses: OTP_TRIGGERS, failoverOnDelivered: fod }
      : { channel: 'sms', ttlSec, failoverOnStatuses: OTP_TRIGGERS, sentIsSuccess: true };
  }

  /** Failover OTP's reading of the answer: no Queued; step 2 is its failover (the only step it ever names) */
  function asOtp(d: StepsDecision): FlowDecision {
    const next =
      d.next.kind === 'send_step' ? { kind: 'send_failover' as const, reason: d.next.reason as OtpReason } : d.next;
    return { status: d.status === 'Queued' ? 'InProgress' : d.status, statusCode: d.statusCode, next };
  }

  const otpArb = fc
    .record({
      primaryChannel: fc.constantFrom<Channel>('viber', 'sms'),
      primaryTtlSec: ttlArb,
      hasFailoverStep: fc.boolean(),
      failoverOnDelivered: fc.boolean(),
    })
    .chain((config: FlowConfig) => {
      const specs = [
        specOf(config.primaryChannel, config.primaryTtlSec, config.failoverOnDelivered && config.hasFailoverStep),
      ];
      if (config.hasFailoverStep) specs.push(specOf(other(config.primaryChannel), null, false));
      return fc
        .record({
          primary: progressArb(specs[0], 0, 0, true),
          failover: specs[1] ? fc.option(progressArb(specs[1], 1, 0, false)) : fc.constant(null),
        })
        .chain(({ primary, failover }) => {
          const steps = failover ? [primary, failover] : [primary];
          return nowArb(specs, steps).map((now) => ({ config, specs, steps, now }));
        });
    });

  it('same status, statusCode and next (send_failover = step 2) on every two-step input', () => {
    fc.assert(
      fc.property(otpArb, ({ config, specs, steps, now }) => {
        const states: StepState[] = steps.map((s) => ({
          role: s.index === 0 ? 'primary' : 'failover',
          channel: s.index === 0 ? config.primaryChannel : other(config.primaryChannel),
          status: s.status,
          sendError: s.sendError,
          sentAt: s.sentAt,
          deliveredAt: s.deliveredAt,
        }));
        expect(decideFlow(config, states, now)).toEqual(asOtp(decideSteps(specs, steps, now)));
      }),
      RUNS,
    );
  });
});
