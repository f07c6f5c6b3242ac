import fc from 'fast-check';
import { T0 } from '../test/flow.factory';
import { decideFlow } from './flow-status';
import type { Channel, FlowConfig, SendError, StepRole, StepState } from './flow.types';
import { classifyStatus, initialStatus, isSeen } from './step-status';

/**
 * Invariants of the flow state machine over generated flows. Times are whole
 * milliseconds after T0, so every generated Date is valid and comparable.
 */

const RUNS = { numRuns: 2000 };
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
];
const SEND_ERRORS: SendError[] = ['insufficient_balance', 'rejected', 'unavailable'];
const MAX_TTL_SEC = 600;
const MAX_MS = 4 * MAX_TTL_SEC * 1000;

const ms = (offset: number) => new Date(T0.getTime() + offset);
const other = (c: Channel): Channel => (c === 'viber' ? 'sms' : 'viber');

const statusArb = fc
  .tuple(fc.constantFrom(...STATUS_NAMES), fc.constantFrom('as-is', 'upper', 'lower'))
  .map(([s, casing]) => (casing === 'upper' ? s.toUpperCase() : casing === 'lower' ? s.toLowerCase() : s));

const sendErrorArb: fc.Arbitrary<SendError | null> = fc.oneof(
  { arbitrary: fc.constant(null), weight: 5 },
  { arbitrary: fc.constantFrom(...SEND_ERRORS), weight: 1 },
);

const configArb: fc.Arbitrary<FlowConfig> = fc.record({
  primaryChannel: fc.constantFrom<Channel>('viber', 'sms'),
  primaryTtlSec: fc.oneof(fc.constantFrom(0, 1, 60), fc.integer({ min: 0, max: MAX_TTL_SEC })),
  hasFailoverStep: fc.boolean(),
  failoverOnDelivered: fc.boolean(),
});

/** one step as stored: a send error leaves the initial status and no sentAt */
function stepArb(role: StepRole, channel: Channel, earliestMs: number): fc.Arbitrary<StepState> {
  return fc
    .record({
      sendError: sendErrorArb,
      status: statusArb,
      inFlight: fc.boolean(), // accepted by Routee or not yet (primary only)
      sentMs: fc.integer({ min: earliestMs, max: earliestMs + MAX_MS / 4 }),
      deliveredDelayMs: fc.option(fc.integer({ min: 0, max: MAX_MS / 2 })),
    })
    .map(({ sendError, status, inFlight, sentMs, deliveredDelayMs }) => {
      if (sendError)
        return { role, channel, status: initialStatus(channel), sendError, sentAt: null, deliveredAt: null };
      const sentAt =
        role === 'primary' && inFlight && classifyStatus(channel, status) === 'pending' ? null : ms(sentMs);
      const deliveredAt =
        sentAt && classifyStatus(channel, status) === 'success' && deliveredDelayMs !== null
          ? ms(sentMs + deliveredDelayMs)
          : null;
      return { role, channel, status, sendError: null, sentAt, deliveredAt };
    });
}

interface Scenario {
  config: FlowConfig;
  steps: StepState[];
  now: Date;
}

/**
 * `now` anywhere, or within a millisecond of a boundary the machine cares
 * about (the primary's TTL, the fod window), where off-by-one bugs live.
 */
function nowArb(config: FlowConfig, primary: StepState): fc.Arbitrary<Date> {
  const ttlMs = config.primaryTtlSec * 1000;
  const anchors = [primary.sentAt, primary.deliveredAt]
    .filter((d): d is Date => d !== null)
    .map((d) => d.getTime() + ttlMs);
  const random = fc.integer({ min: 0, max: MAX_MS }).map(ms);
  if (anchors.length === 0) return random;
  const nearBoundary = fc
    .tuple(fc.constantFrom(...anchors), fc.constantFrom(-1, 0, 1))
    .map(([anchor, delta]) => new Date(Math.max(T0.getTime(), anchor + delta)));
  return fc.oneof(random, nearBoundary);
}

const scenarioArb: fc.Arbitrary<Scenario> = configArb.chain((config) =>
  fc
    .record({
      primary: stepArb('primary', config.primaryChannel, 0),
      failover: config.hasFailoverStep
        ? fc.option(stepArb('failover', other(config.primaryChannel), 0))
        : fc.constant(null),
    })
    .chain(({ primary, failover }) =>
      nowArb(config, primary).map((now) => ({
        config,
        steps: failover ? [primary, failover] : [primary],
        now,
      })),
    ),
);

/**
 * The same flow later: time moves forward, a pending step may get any status
 * (pending → pending or terminal), a Viber DELIVERED may become SEEN, terminal
 * statuses and send errors stay, and the failover step may appear.
 */
function laterArb({ config, steps, now }: Scenario): fc.Arbitrary<Scenario> {
  const progress = (step: StepState, laterMs: number) =>
    fc.record({ status: statusArb, moves: fc.boolean(), seen: fc.boolean() }).map(({ status, moves, seen }) => {
      if (step.sendError) return step;
      const before = classifyStatus(step.channel, step.status);
      if (before === 'pending' && moves) {
        const after = classifyStatus(step.channel, status);
        const sentAt = step.sentAt ?? ms(laterMs);
        return { ...step, status, sentAt, deliveredAt: after === 'success' ? ms(laterMs) : null };
      }
      if (step.channel === 'viber' && step.status.toLowerCase() === 'delivered' && seen)
        return { ...step, status: 'SEEN' };
      return step;
    });

  return fc.integer({ min: 0, max: MAX_MS }).chain((deltaMs) => {
    const laterMs = now.getTime() - T0.getTime() + deltaMs;
    const hasFailover = steps.some((s) => s.role === 'failover');
    const newFailover =
      config.hasFailoverStep && !hasFailover
        ? fc.option(stepArb('failover', other(config.primaryChannel), 0))
        : fc.constant(null);
    return fc.tuple(fc.tuple(...steps.map((s) => progress(s, laterMs))), newFailover).map(([progressed, added]) => ({
      config,
      steps: added ? [...progressed, added] : progressed,
      now: ms(laterMs),
    }));
  });
}

/** independent of the implementation: can this step still end up a success? */
function canStillSucceed({ config }: Scenario, step: StepState, now: Date): boolean {
  if (step.sendError) return false;
  if (classifyStatus(step.channel, step.status) !== 'pending') return false;
  if (step.role === 'failover' || !step.sentAt) return true;
  return now.getTime() < step.sentAt.getTime() + config.primaryTtlSec * 1000;
}

const isSuccess = (s: StepState) => !s.sendError && classifyStatus(s.channel, s.status) === 'success';

describe('decideFlow invariants', () => {
  it('(a) once Succeeded, the same flow later (time and statuses moving forward) is still Succeeded', () => {
    const succeededArb = scenarioArb.filter((s) => decideFlow(s.config, s.steps, s.now).status === 'Succeeded');
    fc.assert(
      fc.property(
        succeededArb.chain((before) => laterArb(before).map((after) => ({ before, after }))),
        ({ after }) => {
          expect(decideFlow(after.config, after.steps, after.now).status).toBe('Succeeded');
        },
      ),
      RUNS,
    );
  });

  it('(b) at most one failover: with a failover step, next is never send_failover; without step 2, never either', () => {
    fc.assert(
      fc.property(scenarioArb, ({ config, steps, now }) => {
        const { next } = decideFlow(config, steps, now);
        if (steps.some((s) => s.role === 'failover') || !config.hasFailoverStep) {
          expect(next.kind).not.toBe('send_failover');
        }
      }),
      RUNS,
    );
  });

  it('(c) Failed iff no step succeeded, none can still succeed, and no failover is left to send', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { config, steps, now } = scenario;
        const decision = decideFlow(config, steps, now);
        const over = !steps.some(isSuccess) && !steps.some((s) => canStillSucceed(scenario, s, now));
        if (decision.status === 'Failed') {
          expect(over).toBe(true);
          expect(decision.next).toEqual({ kind: 'none' });
        } else if (over) {
          // every step that exists is dead: the only way on is the failover
          expect(decision.next.kind).toBe('send_failover');
        }
      }),
      RUNS,
    );
  });

  it('(d) deterministic, and the inputs are not mutated', () => {
    fc.assert(
      fc.property(scenarioArb, ({ config, steps, now }) => {
        const snapshot = structuredClone({ config, steps, now });
        const first = decideFlow(config, steps, now);
        const second = decideFlow(structuredClone(config), structuredClone(steps), new Date(now.getTime()));
        expect(second).toEqual(first);
        expect({ config, steps, now }).toEqual(snapshot);
      }),
      RUNS,
    );
  });

  it('(e) statusCode is non-null iff status is Failed', () => {
    fc.assert(
      fc.property(scenarioArb, ({ config, steps, now }) => {
        const { status, statusCode } = decideFlow(config, steps, now);
        expect(statusCode !== null).toBe(status === 'Failed');
      }),
      RUNS,
    );
  });

  it('final statuses plan nothing; a recheck is strictly in the future; send_failover only while InProgress', () => {
    fc.assert(
      fc.property(scenarioArb, ({ config, steps, now }) => {
        const { status, next } = decideFlow(config, steps, now);
        if (status !== 'InProgress') expect(next).toEqual({ kind: 'none' });
        if (next.kind === 'recheck') expect(next.at.getTime()).toBeGreaterThan(now.getTime());
      }),
      RUNS,
    );
  });

  it('with failoverOnDelivered off, any step in a success state ends the flow Succeeded (seed 002)', () => {
    const successArb = scenarioArb.filter(({ config, steps }) => !config.failoverOnDelivered && steps.some(isSuccess));
    fc.assert(
      fc.property(successArb, ({ config, steps, now }) => {
        expect(decideFlow(config, steps, now)).toEqual({
          status: 'Succeeded',
          statusCode: null,
          next: { kind: 'none' },
        });
      }),
      RUNS,
    );
  });

  it('a SEEN primary always ends the flow Succeeded', () => {
    const seenArb = scenarioArb.filter(({ steps }) =>
      steps.some((s) => s.role === 'primary' && s.channel === 'viber' && !s.sendError && isSeen(s.status)),
    );
    fc.assert(
      fc.property(seenArb, ({ config, steps, now }) => {
        expect(decideFlow(config, steps, now)).toEqual({
          status: 'Succeeded',
          statusCode: null,
          next: { kind: 'none' },
        });
      }),
      RUNS,
    );
  });
});
