import { at } from '../test/flow.factory';
import { aStep, aViberStep, aVoiceStep, anSmsStep, triggers } from '../test/step-spec.factory';
import { decideSteps } from './decide-steps';
import type { StepProgress } from './step-spec.types';

/**
 * Routee's outcome matrix for a Voice → Viber → SMS flow, one row each, as
 * https://docs.routee.net/docs/failover-statuses writes it ("none": the step
 * was not sent). Every Voice failure in the matrix moves on to Viber, so the
 * flow's Voice step lists all the statuses Routee allows as its triggers.
 */
type Row = [voice: string, viber: string, sms: string, failover: 'Succeeded' | 'Failed'];

// prettier-ignore
const MATRIX: Row[] = [
  ['Completed', 'none', 'none', 'Succeeded'],
  ['Busy', 'Delivered', 'none', 'Succeeded'],
  ['Busy', 'UNDELIVERED', 'DELIVERED', 'Succeeded'],
  ['Busy', 'UNDELIVERED', 'UNDELIVERED', 'Failed'],
  ['Busy', 'UNDELIVERED', 'FAILED', 'Failed'],
  ['NoAnswer', 'DELIVERED', 'none', 'Succeeded'],
  ['NoAnswer', 'UNDELIVERED', 'DELIVERED', 'Succeeded'],
  ['NoAnswer', 'UNDELIVERED', 'UNDELIVERED', 'Failed'],
  ['NoAnswer', 'UNDELIVERED', 'FAILED', 'Failed'],
  ['Failed', 'DELIVERED', 'none', 'Succeeded'],
  ['Failed', 'UNDELIVERED', 'DELIVERED', 'Succeeded'],
  ['Failed', 'UNDELIVERED', 'UNDELIVERED', 'Failed'],
  ['Failed', 'UNDELIVERED', 'FAILED', 'Failed'],
  ['Unsent', 'DELIVERED', 'none', 'Succeeded'],
  ['Unsent', 'UNDELIVERED', 'DELIVERED', 'Succeeded'],
  ['Unsent', 'UNDELIVERED', 'UNDELIVERED', 'Failed'],
  ['Unsent', 'UNDELIVERED', 'FAILED', 'Failed'],
  ['Terminated', 'DELIVERED', 'none', 'Succeeded'],
  ['Terminated', 'UNDELIVERED', 'DELIVERED', 'Succeeded'],
  ['Terminated', 'UNDELIVERED', 'UNDELIVERED', 'Failed'],
  ['Terminated', 'UNDELIVERED', 'FAILED', 'Failed'],
];

const FLOW = [
  aVoiceStep({ failoverOnStatuses: triggers('Busy', 'NoAnswer', 'Failed', 'Terminated', 'Unsent') }),
  aViberStep(),
  anSmsStep(),
];

function stepsOf(statuses: string[]): StepProgress[] {
  const sent = statuses.filter((s) => s !== 'none');
  return sent.map((status, index) =>
    aStep(index, { status, deliveredAt: /delivered|completed/i.test(status) ? at(60 * index + 5) : null }),
  );
}

describe("Routee's outcome matrix (Voice → Viber → SMS)", () => {
  it.each(MATRIX)('%s | %s | %s → %s', (voice, viber, sms, failover) => {
    const decision = decideSteps(FLOW, stepsOf([voice, viber, sms]), at(600));
    // Failed here is always the last step's failure: "no next step"
    expect(decision).toEqual({
      status: failover,
      statusCode: failover === 'Failed' ? 2 : null,
      next: { kind: 'none' },
    });
  });

  it.each(['Busy', 'NoAnswer', 'Failed', 'Unsent', 'Terminated'])(
    'Voice %s, no Viber step yet → the Viber step is sent',
    (voice) => {
      expect(decideSteps(FLOW, stepsOf([voice]), at(10))).toEqual({
        status: 'InProgress',
        statusCode: null,
        next: { kind: 'send_step', index: 1, reason: 'trigger' },
      });
    },
  );
});
