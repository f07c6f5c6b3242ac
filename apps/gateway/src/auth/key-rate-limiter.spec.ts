import { loadGatewayConfig } from '@app/config';
import { GatewayError } from '../common/gateway-error';
import { KeyRateLimiter } from './key-rate-limiter';

const limiter = (perMin: string) => new KeyRateLimiter(loadGatewayConfig({ KEY_RATE_LIMIT_PER_MIN: perMin }));

function refusal(fn: () => void): GatewayError | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err as GatewayError;
  }
}

describe('KeyRateLimiter (KEY_RATE_LIMIT_PER_MIN)', () => {
  it('is off by default', () => {
    const l = limiter('0');
    for (let i = 0; i < 10_000; i++) l.take('k', 0);
  });

  it('allows a burst of the per-minute figure, then refuses with the wait until the next token', () => {
    const l = limiter('60');
    for (let i = 0; i < 60; i++) l.take('k', 1000);
    const err = refusal(() => l.take('k', 1000));
    expect(err).toBeInstanceOf(GatewayError);
    expect([err?.code, err?.retryAfterSec]).toEqual(['rate_limited', 1]);
    // one token a second comes back
    l.take('k', 2000);
    expect(refusal(() => l.take('k', 2000))?.code).toBe('rate_limited');
  });

  it('counts each key on its own, and a refused request takes nothing', () => {
    const l = limiter('2');
    l.take('a', 0);
    l.take('a', 0);
    expect(refusal(() => l.take('a', 0))?.retryAfterSec).toBe(30);
    expect(refusal(() => l.take('a', 15_000))?.retryAfterSec).toBe(15);
    l.take('b', 0);
    l.take('a', 30_000);
  });
});
