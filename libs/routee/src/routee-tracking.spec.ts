import { foldSmsParts, normaliseVoiceStatus, readViberTracking, readVoiceDialTracking } from './routee-tracking';

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

describe('normaliseVoiceStatus', () => {
  it.each([
    ['No Answer', 'NoAnswer'],
    ['NoAnswer', 'NoAnswer'],
    ['NO_ANSWER', 'NoAnswer'],
    ['no-answer', 'NoAnswer'],
    ['COMPLETED', 'Completed'],
    ['In Progress', 'InProgress'],
    ['busy', 'Busy'],
    ['Terminated', 'Terminated'],
    ['Something new', 'Something new'],
  ])('reads %s as %s', (spelt, name) => {
    expect(normaliseVoiceStatus(spelt)).toBe(name);
  });
});

describe('readVoiceDialTracking', () => {
  const dial = (messageId: string, status: string, date?: string) => ({
    messageId,
    conversationTrackingId: 'c-1',
    status: { status, ...(date ? { date } : {}) },
    duration: 3,
    price: 0.003,
    answeredBy: 'HUMAN',
    country: 'GR',
  });

  it('takes the dial whose status is the latest, else the last of the page', () => {
    const dated = {
      content: [dial('a', 'Busy', '2026-02-16T12:00:05Z'), dial('b', 'Completed', '2026-02-16T12:00:01Z')],
    };
    const undated = { content: [dial('a', 'Busy'), dial('b', 'No Answer')] };
    expect(readVoiceDialTracking(dated, 'c-1')).toEqual({
      trackingId: 'c-1',
      messageId: 'a',
      status: 'Busy',
      statusDate: '2026-02-16T12:00:05Z',
      price: 0.003,
      duration: 3,
      answeredBy: 'HUMAN',
      country: 'GR',
      raw: dated,
    });
    expect(readVoiceDialTracking(undated, 'c-1')?.messageId).toBe('b');
    expect(readVoiceDialTracking(undated, 'c-1')?.status).toBe('NoAnswer');
  });

  it('reads an empty page, or one without statuses, as nothing', () => {
    expect(readVoiceDialTracking({ content: [] }, 'c-1')).toBeUndefined();
    expect(readVoiceDialTracking({ content: [{ messageId: 'a' }] }, 'c-1')).toBeUndefined();
    expect(readVoiceDialTracking([], 'c-1')).toBeUndefined();
  });
});
