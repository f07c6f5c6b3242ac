import { classifyStatus, initialStatus, isFailoverTrigger, isSeen, isUnsent } from './step-status';
import type { StepOutcome } from './step-status';

type Row = [status: string, viber: StepOutcome, sms: StepOutcome, trigger: boolean];

// Routee's names as it reports them (SMS capitalised, Viber upper case) and
// the names neither channel should treat as final.
const ROUTEE_STATUSES: Row[] = [
  ['Queued', 'pending', 'pending', false],
  ['Sent', 'pending', 'success', false], // Viber SENT = handed to Viber; SMS Sent is final
  ['Delivered', 'success', 'success', false],
  ['Seen', 'success', 'pending', false], // SMS has no SEEN
  ['Failed', 'failure', 'failure', true],
  ['Undelivered', 'failure', 'failure', true],
  ['Expired', 'failure', 'failure', true],
  ['Unsent', 'failure', 'failure', false],
  ['Rejected', 'failure', 'failure', false],
  ['Unknown', 'pending', 'pending', false],
  ['Scheduled', 'pending', 'pending', false],
  ['Completed', 'pending', 'pending', false], // a Voice name: not ours
  ['', 'pending', 'pending', false],
];

const casings: Array<[string, (s: string) => string]> = [
  ['as written', (s) => s],
  ['UPPER', (s) => s.toUpperCase()],
  ['lower', (s) => s.toLowerCase()],
  ['mIxEd', (s) => [...s].map((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join('')],
];

const TABLE = ROUTEE_STATUSES.flatMap(([status, viber, sms, trigger]) =>
  casings.map(([casing, f]) => [f(status), casing, viber, sms, trigger] as const),
);

describe('classifyStatus', () => {
  it.each(TABLE)('viber %j (%s) → %s', (status, _casing, viber) => {
    expect(classifyStatus('viber', status)).toBe(viber);
  });

  it.each(TABLE)('sms %j (%s) → %s', (status, _casing, _viber, sms) => {
    expect(classifyStatus('sms', status)).toBe(sms);
  });

  it('ignores surrounding blanks', () => {
    expect(classifyStatus('viber', ' DELIVERED ')).toBe('success');
    expect(classifyStatus('sms', '\tUndelivered\n')).toBe('failure');
  });
});

describe('isFailoverTrigger', () => {
  it.each(TABLE)('%j (%s) → trigger %#', (status, _casing, _viber, _sms, trigger) => {
    expect(isFailoverTrigger(status)).toBe(trigger);
  });
});

describe('isSeen / isUnsent', () => {
  it.each([
    ['SEEN', true, false],
    ['seen', true, false],
    ['Seen', true, false],
    ['DELIVERED', false, false],
    ['UNSENT', false, true],
    ['Unsent', false, true],
    ['unsent', false, true],
    ['Sent', false, false],
    ['', false, false],
  ])('%j → seen %s, unsent %s', (status, seen, unsent) => {
    expect(isSeen(status)).toBe(seen);
    expect(isUnsent(status)).toBe(unsent);
  });
});

describe('initialStatus', () => {
  it.each([
    ['viber', 'QUEUED'],
    ['sms', 'Queued'],
  ] as const)('%s → %s (pending on its own channel)', (channel, status) => {
    expect(initialStatus(channel)).toBe(status);
    expect(classifyStatus(channel, initialStatus(channel))).toBe('pending');
  });
});
