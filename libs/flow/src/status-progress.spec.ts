import type { Channel } from './flow.types';
import { isStatusProgress } from './status-progress';

describe('isStatusProgress', () => {
  const table: [Channel, string, string, boolean][] = [
    ['viber', 'QUEUED', 'SENT', true],
    ['viber', 'QUEUED', 'DELIVERED', true],
    ['viber', 'SENT', 'QUEUED', false],
    ['viber', 'QUEUED', 'queued', false],
    ['viber', 'SENT', 'EXPIRED', true],
    ['viber', 'DELIVERED', 'SEEN', true],
    ['viber', 'SEEN', 'DELIVERED', false],
    ['viber', 'DELIVERED', 'SENT', false],
    ['viber', 'DELIVERED', 'EXPIRED', false],
    ['viber', 'EXPIRED', 'DELIVERED', false],
    ['viber', 'FAILED', 'QUEUED', false],
    ['viber', 'QUEUED', '', false],
    ['sms', 'Queued', 'Sent', true],
    ['sms', 'Sent', 'Delivered', true],
    ['sms', 'Sent', 'Undelivered', true],
    ['sms', 'Delivered', 'Sent', false],
    ['sms', 'Delivered', 'Undelivered', false],
    ['sms', 'Undelivered', 'Delivered', false],
    ['sms', 'Queued', 'Unknown', true],
    ['sms', 'Unknown', 'Queued', false],
    ['sms', 'queued', 'FAILED', true],
  ];
  it.each(table)('%s %s → %s: %s', (channel, from, to, expected) => {
    expect(isStatusProgress(channel, from, to)).toBe(expected);
  });
});
