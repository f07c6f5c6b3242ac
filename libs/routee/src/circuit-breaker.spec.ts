import { CircuitBreaker, type CircuitState } from './circuit-breaker';

describe('CircuitBreaker', () => {
  let now = 0;
  let changes: CircuitState[];
  const breaker = () =>
    new CircuitBreaker({ failureThreshold: 3, openMs: 1000, now: () => now, onChange: (state) => changes.push(state) });
  beforeEach(() => {
    now = 0;
    changes = [];
  });

  it('opens after the threshold of failures in a row; an answer in between resets the count', () => {
    const cb = breaker();
    for (const outcome of ['fail', 'fail', 'ok', 'fail', 'fail'] as const) {
      const ticket = cb.admit()!;
      if (outcome === 'ok') cb.success(ticket);
      else cb.failure(ticket, 'HTTP 503');
    }
    expect(cb.state).toBe('closed');
    cb.failure(cb.admit()!, 'HTTP 503');
    expect(cb.state).toBe('open');
    expect(changes).toEqual(['open']);
  });

  it('refuses while open, lets exactly one probe through once openMs has passed, closes on its success', () => {
    const cb = breaker();
    for (let i = 0; i < 3; i++) cb.failure(cb.admit()!, 'ECONNREFUSED');
    expect(cb.admit()).toBeNull();
    expect(cb.isOpen).toBe(true);
    expect(cb.retryAt).toBe(1000);
    now = 1000;
    expect(cb.state).toBe('half_open');
    expect(cb.isOpen).toBe(false);
    const probe = cb.admit();
    expect(probe).toEqual({ probe: true });
    expect(cb.admit()).toBeNull(); // the probe goes out alone
    cb.success(probe!);
    expect(cb.state).toBe('closed');
    expect(cb.admit()).toEqual({ probe: false });
    expect(changes).toEqual(['open', 'closed']);
  });

  it('a failed probe opens it again for another openMs', () => {
    const cb = breaker();
    for (let i = 0; i < 3; i++) cb.failure(cb.admit()!, 'HTTP 502');
    now = 1500;
    cb.failure(cb.admit()!, 'HTTP 503');
    expect(cb.state).toBe('open');
    expect(cb.retryAt).toBe(2500);
    now = 2499;
    expect(cb.admit()).toBeNull();
    now = 2500;
    expect(cb.admit()).toEqual({ probe: true });
  });

  it('a probe released without an outcome frees the slot for the next caller', () => {
    const cb = breaker();
    for (let i = 0; i < 3; i++) cb.failure(cb.admit()!, 'x');
    now = 1000;
    cb.release(cb.admit()!);
    expect(cb.admit()).toEqual({ probe: true });
  });
});
