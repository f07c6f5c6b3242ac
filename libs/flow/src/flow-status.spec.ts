import { jest } from '@jest/globals';
import { aConfig, aFailover, aPrimary, at, T0 } from '../test/flow.factory';
import { decideFlow } from './flow-status';
import type { FlowConfig, FlowStatus, FlowStatusCode, NextAction, StepState } from './flow.types';

type Row = [
  description: string,
  config: FlowConfig,
  steps: StepState[],
  now: Date,
  status: FlowStatus,
  statusCode: FlowStatusCode,
  next: NextAction,
];

const none: NextAction = { kind: 'none' };
const recheck = (seconds: number): NextAction => ({ kind: 'recheck', at: at(seconds) });
const failover = (reason: 'trigger' | 'ttl_expired' | 'not_seen' | 'send_error'): NextAction => ({
  kind: 'send_failover',
  reason,
});

const noStep2 = aConfig({ hasFailoverStep: false });
const fod = aConfig({ failoverOnDelivered: true });
const smsFirst = aConfig({ primaryChannel: 'sms' });
const smsPrimary = (o: Partial<StepState> = {}) => aPrimary({ channel: 'sms', status: 'Queued', ...o });
const viberFailover = (o: Partial<StepState> = {}) => aFailover({ channel: 'viber', status: 'QUEUED', ...o });
const delivered = (seconds: number) => ({ status: 'DELIVERED', deliveredAt: at(seconds) });

/** CONTRACT section 4's table, one row each, in its order */
const CONTRACT_TABLE: Row[] = [
  ['primary only, not terminal', aConfig(), [aPrimary()], at(10), 'InProgress', null, recheck(60)],
  ['primary only, success, fod false', aConfig(), [aPrimary(delivered(5))], at(10), 'Succeeded', null, none],
  ['primary only, success, fod true but no step 2', aConfig({ hasFailoverStep: false, failoverOnDelivered: true }), [aPrimary(delivered(5))], at(10), 'Succeeded', null, none],
  ['primary only, success, fod true, step 2, not SEEN, window open', fod, [aPrimary(delivered(5))], at(10), 'InProgress', null, recheck(65)],
  ['primary only, trigger failure (EXPIRED), step 2', aConfig(), [aPrimary({ status: 'EXPIRED' })], at(10), 'InProgress', null, failover('trigger')],
  ['primary only, terminal failure, no step 2', noStep2, [aPrimary({ status: 'UNDELIVERED' })], at(10), 'Failed', 2, none],
  ['primary only, UNSENT', aConfig(), [aPrimary({ status: 'UNSENT' })], at(10), 'Failed', 1, none],
  ['primary only, insufficient balance (400001009)', aConfig(), [aPrimary({ sendError: 'insufficient_balance', sentAt: null })], T0, 'Failed', 1, none],
  ['primary only, terminal failure that is no trigger (Rejected)', aConfig(), [aPrimary({ status: 'REJECTED' })], at(10), 'Failed', 3, none],
  ['primary only, Routee unavailable, no step 2', noStep2, [aPrimary({ sendError: 'unavailable', sentAt: null })], T0, 'Failed', 0, none],
  ['both, fod false: any success', aConfig(), [aPrimary({ status: 'EXPIRED' }), aFailover({ status: 'Delivered', deliveredAt: at(70) })], at(80), 'Succeeded', null, none],
  ['both, fod true: failover step terminal', fod, [aPrimary(delivered(5)), aFailover({ status: 'Undelivered' })], at(80), 'Succeeded', null, none],
  ['both, fod true: failover step not terminal', fod, [aPrimary(delivered(5)), aFailover()], at(80), 'InProgress', null, none],
  ['both, all terminal failure', aConfig(), [aPrimary({ status: 'UNDELIVERED' }), aFailover({ status: 'Failed' })], at(80), 'Failed', 2, none],
  ['both, otherwise (primary failed, failover pending)', aConfig(), [aPrimary({ status: 'FAILED' }), aFailover()], at(80), 'InProgress', null, none],
];

const EDGE_CASES: Row[] = [
  // primary TTL: closed at its boundary
  ['TTL: 1 ms before sentAt+ttl is pending', aConfig(), [aPrimary()], at(59.999), 'InProgress', null, recheck(60)],
  ['TTL: exactly sentAt+ttl counts as EXPIRED, step 2', aConfig(), [aPrimary()], at(60), 'InProgress', null, failover('ttl_expired')],
  ['TTL: exactly sentAt+ttl counts as EXPIRED, no step 2', noStep2, [aPrimary()], at(60), 'Failed', 2, none],
  ['TTL: no step 2, before the TTL, rechecks at the TTL', noStep2, [aPrimary({ status: 'SENT' })], at(30), 'InProgress', null, recheck(60)],
  ['TTL: ttl 0 expires at once', aConfig({ primaryTtlSec: 0 }), [aPrimary()], T0, 'InProgress', null, failover('ttl_expired')],
  ['TTL: Viber SENT is still pending', aConfig(), [aPrimary({ status: 'SENT' })], at(60), 'InProgress', null, failover('ttl_expired')],
  ['TTL: a late DELIVERED wins over the TTL', aConfig(), [aPrimary(delivered(90))], at(100), 'Succeeded', null, none],
  ['TTL: a send still in flight (no sentAt) waits for its sender', aConfig(), [aPrimary({ sentAt: null })], at(600), 'InProgress', null, none],
  // fod window: deliveredAt + ttl, closed at its boundary
  ['fod: 1 ms before the window closes', fod, [aPrimary(delivered(10))], at(69.999), 'InProgress', null, recheck(70)],
  ['fod: window closes exactly at deliveredAt+ttl', fod, [aPrimary(delivered(10))], at(70), 'InProgress', null, failover('not_seen')],
  ['fod: the window runs from delivery, not from the send', fod, [aPrimary(delivered(50))], at(100), 'InProgress', null, recheck(110)],
  ['fod: SEEN before the window closes', fod, [aPrimary({ status: 'SEEN', deliveredAt: at(10) })], at(30), 'Succeeded', null, none],
  ['fod: SEEN after the window closed, failover not yet sent', fod, [aPrimary({ status: 'SEEN', deliveredAt: at(10) })], at(500), 'Succeeded', null, none],
  ['fod: no deliveredAt → window from sentAt', fod, [aPrimary({ status: 'DELIVERED' })], at(30), 'InProgress', null, recheck(60)],
  ['fod: no deliveredAt nor sentAt → window closed', fod, [aPrimary({ status: 'DELIVERED', sentAt: null })], at(30), 'InProgress', null, failover('not_seen')],
  ['fod: ignored for an SMS primary (no SEEN on SMS)', aConfig({ primaryChannel: 'sms', failoverOnDelivered: true }), [smsPrimary({ status: 'Delivered', deliveredAt: at(5) })], at(10), 'Succeeded', null, none],
  ['fod: trigger failure still fails over', fod, [aPrimary({ status: 'UNDELIVERED' })], at(10), 'InProgress', null, failover('trigger')],
  ['fod: pending primary still expires by TTL', fod, [aPrimary()], at(60), 'InProgress', null, failover('ttl_expired')],
  // every trigger, any case, either channel
  ['trigger: FAILED', aConfig(), [aPrimary({ status: 'FAILED' })], at(10), 'InProgress', null, failover('trigger')],
  ['trigger: UNDELIVERED', aConfig(), [aPrimary({ status: 'UNDELIVERED' })], at(10), 'InProgress', null, failover('trigger')],
  ['trigger: lower-case expired', aConfig(), [aPrimary({ status: 'expired' })], at(10), 'InProgress', null, failover('trigger')],
  ['trigger: SMS Undelivered', smsFirst, [smsPrimary({ status: 'Undelivered' })], at(10), 'InProgress', null, failover('trigger')],
  ['trigger: SMS FAILED upper case', smsFirst, [smsPrimary({ status: 'FAILED' })], at(10), 'InProgress', null, failover('trigger')],
  // case-insensitive success
  ['case: viber delivered (lower)', aConfig(), [aPrimary({ status: 'delivered' })], at(10), 'Succeeded', null, none],
  ['case: viber Seen (capitalised)', fod, [aPrimary({ status: 'Seen' })], at(10), 'Succeeded', null, none],
  ['case: SMS SENT (upper) is a success', smsFirst, [smsPrimary({ status: 'SENT' })], at(10), 'Succeeded', null, none],
  ['case: SMS sent (lower) is a success', smsFirst, [smsPrimary({ status: 'sent' })], at(10), 'Succeeded', null, none],
  ['case: viber sent (lower) is pending', aConfig(), [aPrimary({ status: 'sent' })], at(10), 'InProgress', null, recheck(60)],
  ['case: unsent (lower) is balance', aConfig(), [aPrimary({ status: 'unsent' })], at(10), 'Failed', 1, none],
  ['case: SMS Unsent without step 2 is still balance', aConfig({ primaryChannel: 'sms', hasFailoverStep: false }), [smsPrimary({ status: 'Unsent' })], at(10), 'Failed', 1, none],
  ['rejected status, no step 2', noStep2, [aPrimary({ status: 'Rejected' })], at(10), 'Failed', 2, none],
  ['unknown status is pending', aConfig(), [aPrimary({ status: 'Unknown' })], at(10), 'InProgress', null, recheck(60)],
  // sendError on the primary
  ['sendError rejected, step 2 → fail over at once', aConfig(), [aPrimary({ sendError: 'rejected', sentAt: null })], T0, 'InProgress', null, failover('send_error')],
  ['sendError unavailable, step 2 → fail over at once', aConfig(), [aPrimary({ sendError: 'unavailable', sentAt: null })], T0, 'InProgress', null, failover('send_error')],
  ['sendError rejected, no step 2 → no next step', noStep2, [aPrimary({ sendError: 'rejected', sentAt: null })], T0, 'Failed', 2, none],
  ['sendError insufficient_balance, no step 2', noStep2, [aPrimary({ sendError: 'insufficient_balance', sentAt: null })], T0, 'Failed', 1, none],
  ['sendError wins over a stale success status', aConfig(), [aPrimary({ status: 'DELIVERED', sendError: 'unavailable', sentAt: null })], T0, 'InProgress', null, failover('send_error')],
  // both steps
  ['both: SEEN after the failover was sent (failover pending)', fod, [aPrimary({ status: 'SEEN', deliveredAt: at(5) }), aFailover()], at(80), 'Succeeded', null, none],
  ['both: fod false, primary success, failover pending', aConfig(), [aPrimary(delivered(70)), aFailover()], at(80), 'Succeeded', null, none],
  ['both: fod false, both succeeded', aConfig(), [aPrimary(delivered(70)), aFailover({ status: 'Delivered' })], at(80), 'Succeeded', null, none],
  ['both: fod true, failover Delivered', fod, [aPrimary(delivered(5)), aFailover({ status: 'Delivered' })], at(80), 'Succeeded', null, none],
  ['both: fod true, failover Sent (SMS success)', fod, [aPrimary(delivered(5)), aFailover({ status: 'Sent' })], at(80), 'Succeeded', null, none],
  ['both: fod true, failover send error', fod, [aPrimary(delivered(5)), aFailover({ sendError: 'unavailable', sentAt: null })], at(80), 'Succeeded', null, none],
  ['both: fod true, primary failed and failover failed → Failed 2', fod, [aPrimary({ status: 'EXPIRED' }), aFailover({ status: 'Undelivered' })], at(80), 'Failed', 2, none],
  ['both: fod true, primary failed, failover pending', fod, [aPrimary({ status: 'EXPIRED' }), aFailover()], at(80), 'InProgress', null, none],
  ['both: fod true, primary failed, failover Delivered', fod, [aPrimary({ status: 'EXPIRED' }), aFailover({ status: 'Delivered' })], at(80), 'Succeeded', null, none],
  ['both: primary expired by TTL (still SENT), failover failed', aConfig(), [aPrimary({ status: 'SENT' }), aFailover({ status: 'Undelivered' })], at(80), 'Failed', 2, none],
  ['both: primary pending before its TTL, failover failed', aConfig({ primaryTtlSec: 600 }), [aPrimary({ status: 'SENT' }), aFailover({ status: 'Undelivered' })], at(80), 'InProgress', null, none],
  ['both: primary pending, failover Delivered', aConfig({ primaryTtlSec: 600 }), [aPrimary({ status: 'SENT' }), aFailover({ status: 'Delivered' })], at(80), 'Succeeded', null, none],
  ['both: primary SENT exactly at its TTL counts as EXPIRED', aConfig(), [aPrimary({ status: 'SENT' }), aFailover({ status: 'Undelivered' })], at(60), 'Failed', 2, none],
  ['both: primary SENT 1 ms before its TTL is still pending', aConfig(), [aPrimary({ status: 'SENT' }), aFailover({ status: 'Undelivered' })], at(59.999), 'InProgress', null, none],
  ['both: primary expired by TTL, failover pending', aConfig(), [aPrimary({ status: 'SENT' }), aFailover()], at(80), 'InProgress', null, none],
  ['both: primary sendError, failover Delivered', aConfig(), [aPrimary({ sendError: 'unavailable', sentAt: null }), aFailover({ status: 'Delivered' })], at(80), 'Succeeded', null, none],
  ['both: failover sendError insufficient_balance → 1', aConfig(), [aPrimary({ status: 'FAILED' }), aFailover({ sendError: 'insufficient_balance', sentAt: null })], at(80), 'Failed', 1, none],
  ['both: failover sendError unavailable → 0', aConfig(), [aPrimary({ sendError: 'unavailable', sentAt: null }), aFailover({ sendError: 'unavailable', sentAt: null })], at(80), 'Failed', 0, none],
  ['both: failover sendError rejected → 2', aConfig(), [aPrimary({ status: 'FAILED' }), aFailover({ sendError: 'rejected', sentAt: null })], at(80), 'Failed', 2, none],
  ['both: failover Unsent → 1', aConfig(), [aPrimary({ status: 'FAILED' }), aFailover({ status: 'Unsent' })], at(80), 'Failed', 1, none],
  ['both: SMS first, Viber failover SEEN', smsFirst, [smsPrimary({ status: 'Undelivered' }), viberFailover({ status: 'SEEN' })], at(80), 'Succeeded', null, none],
  ['both: SMS first, Viber failover SENT is pending', smsFirst, [smsPrimary({ status: 'Failed' }), viberFailover({ status: 'SENT' })], at(80), 'InProgress', null, none],
  ['both: failover listed before the primary', aConfig(), [aFailover({ status: 'Failed' }), aPrimary({ status: 'FAILED' })], at(80), 'Failed', 2, none],
  ['both: the failover step is never expired by the primary ttl', aConfig({ primaryTtlSec: 1 }), [aPrimary({ status: 'FAILED' }), aFailover()], at(86_400), 'InProgress', null, none],
];

describe('decideFlow', () => {
  describe('CONTRACT section 4 table', () => {
    it.each(CONTRACT_TABLE)('%s', (_d, config, steps, now, status, statusCode, next) => {
      expect(decideFlow(config, steps, now)).toEqual({ status, statusCode, next });
    });
  });

  describe('edge cases', () => {
    it.each(EDGE_CASES)('%s', (_d, config, steps, now, status, statusCode, next) => {
      expect(decideFlow(config, steps, now)).toEqual({ status, statusCode, next });
    });
  });

  it('throws on a flow without its primary step', () => {
    expect(() => decideFlow(aConfig(), [aFailover()], at(80))).toThrow(/primary/);
  });

  it('reads time only from `now`, never from the clock', () => {
    const rows = [...CONTRACT_TABLE, ...EDGE_CASES];
    const decideAll = () => rows.map(([, config, steps, now]) => decideFlow(config, steps, now));
    jest.useFakeTimers({ now: new Date('2001-01-01T00:00:00Z') });
    try {
      const in2001 = decideAll();
      jest.setSystemTime(new Date('2099-01-01T00:00:00Z'));
      expect(decideAll()).toEqual(in2001);
    } finally {
      jest.useRealTimers();
    }
  });
});
