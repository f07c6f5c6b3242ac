import { attemptsLeft, checkGate, type VerificationState } from './verification';

const NOW = new Date('2026-12-01T12:00:00Z');
const LATER = new Date('2026-12-01T12:10:00Z');
const EARLIER = new Date('2026-12-01T11:50:00Z');

describe('checkGate: what a code check does, by where the verification stands', () => {
  it.each<[string, VerificationState, ReturnType<typeof checkGate>]>([
    ['pending, in time, no check yet', { status: 'pending', attempts: 0, expiresAt: LATER }, 'count'],
    ['pending, in time, one check left', { status: 'pending', attempts: 4, expiresAt: LATER }, 'count'],
    ['pending, every check used', { status: 'pending', attempts: 5, expiresAt: LATER }, 'too_many_attempts'],
    ['pending, past its expiry', { status: 'pending', attempts: 0, expiresAt: EARLIER }, 'expired'],
    ['pending, exactly at its expiry', { status: 'pending', attempts: 0, expiresAt: NOW }, 'expired'],
    [
      'pending, expired and every check used: expired first',
      { status: 'pending', attempts: 5, expiresAt: EARLIER },
      'expired',
    ],
    ['pending with no expiry', { status: 'pending', attempts: 1, expiresAt: null }, 'count'],
    ['approved: compared, never counted', { status: 'approved', attempts: 5, expiresAt: EARLIER }, 'compare'],
    ['canceled', { status: 'canceled', attempts: 0, expiresAt: LATER }, 'canceled'],
  ])('%s → %s', (_name, state, gate) => {
    expect(checkGate(state, NOW, 5)).toBe(gate);
  });

  it.each([
    [0, 5, 5],
    [3, 5, 2],
    [5, 5, 0],
    [7, 5, 0],
  ])('attemptsLeft(%i of %i) = %i', (attempts, max, left) => {
    expect(attemptsLeft(attempts, max)).toBe(left);
  });
});
