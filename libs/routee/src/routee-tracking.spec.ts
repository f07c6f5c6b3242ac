import { foldSmsParts, readViberTracking } from './routee-tracking';

const part = (n: number, status: string, extra: Record<string, unknown> = {}) => ({
  messageId: 'm-1',
  smsId: `s-${n}`,
  part: n,
  parts: 3,
  to: '+306912345604',
  status: {
    status,
    date: `2026-02-16T12:00:0${n}Z`,
    reason: { detailedStatus: status, description: `${status} ${n}` },
  },
  price: 0.0375,
  latency: n,
  country: 'GR',
  operator: 'Cosmote',
  ...extra,
});

describe('foldSmsParts', () => {
  it('is Delivered only when every part is', () => {
    const raw = [part(1, 'Delivered'), part(2, 'Delivered'), part(3, 'Delivered')];
    expect(foldSmsParts(raw, 'm-1')).toEqual({
      trackingId: 'm-1',
      status: 'Delivered',
      statusDate: '2026-02-16T12:00:01Z',
      detailedStatus: 'Delivered',
      description: 'Delivered 1',
      price: 0.1125,
      latencyMs: 3000,
      country: 'GR',
      operator: 'Cosmote',
      parts: 3,
      raw,
    });
  });

  it('reports the latency in whole milliseconds (Routee gives seconds, with decimals)', () => {
    expect(foldSmsParts([part(1, 'Delivered', { latency: 1.001 })], 'm-1')?.latencyMs).toBe(1001);
    expect(foldSmsParts([part(1, 'Delivered', { latency: 0.5784 })], 'm-1')?.latencyMs).toBe(578);
  });

  it('reports the least advanced part while none failed', () => {
    const folded = foldSmsParts([part(3, 'Delivered'), part(1, 'Delivered'), part(2, 'Sent')], 'm-1');
    expect([folded?.status, folded?.description]).toEqual(['Sent', 'Sent 2']);
  });

  it('lets the first failed part win over delivered ones', () => {
    const folded = foldSmsParts([part(1, 'Delivered'), part(3, 'Failed'), part(2, 'Undelivered')], 'm-1');
    expect([folded?.status, folded?.description]).toEqual(['Undelivered', 'Undelivered 2']);
  });

  it('accepts status.name as callbacks carry it, and an empty answer as nothing', () => {
    const folded = foldSmsParts([{ messageId: 'm-2', status: { name: 'Queued', updatedDate: 'd' } }], 'm-2');
    expect(folded).toEqual({ trackingId: 'm-2', status: 'Queued', statusDate: 'd', parts: 1, raw: expect.any(Array) });
    expect(foldSmsParts([], 'm-3')).toBeUndefined();
  });
});

describe('readViberTracking', () => {
  it('reads status.status and status.name alike', () => {
    const a = readViberTracking(
      { trackingId: 't', status: { status: 'SEEN', date: 'd' }, price: 0.0093, country: 'GR' },
      't',
    );
    const b = readViberTracking(
      { trackingId: 't', status: { name: 'SEEN', updatedDate: 'd' }, price: 0.0093, country: 'GR' },
      't',
    );
    expect(a).toEqual({
      trackingId: 't',
      status: 'SEEN',
      statusDate: 'd',
      price: 0.0093,
      country: 'GR',
      raw: expect.anything(),
    });
    expect(b).toEqual(a && { ...a, raw: expect.anything() });
  });
});
