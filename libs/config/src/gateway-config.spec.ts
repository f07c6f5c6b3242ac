import { ConfigError, loadGatewayConfig } from './gateway-config';

describe('loadGatewayConfig: the failover worker settings', () => {
  it('defaults: the worker runs, a send claim lasts 15 s', () => {
    expect(loadGatewayConfig({})).toMatchObject({ workerEnabled: true, sendClaimMs: 15_000, refreshIntervalMs: 2000 });
  });

  it.each([
    ['false', false],
    ['0', false],
    ['off', false],
    ['TRUE', true],
    ['1', true],
  ])('WORKER_ENABLED=%s → %s', (raw, expected) => {
    expect(loadGatewayConfig({ WORKER_ENABLED: raw }).workerEnabled).toBe(expected);
  });

  it.each([
    [{ WORKER_ENABLED: 'maybe' }, 'WORKER_ENABLED'],
    [{ SEND_CLAIM_MS: '999' }, 'SEND_CLAIM_MS'],
    [{ SEND_CLAIM_MS: '5s' }, 'SEND_CLAIM_MS'],
  ])('%j is refused naming %s', (env, variable) => {
    expect(() => loadGatewayConfig(env)).toThrow(ConfigError);
    expect(() => loadGatewayConfig(env)).toThrow(new RegExp(`^${variable}: `));
  });

  it('SEND_CLAIM_MS is read', () => {
    expect(loadGatewayConfig({ SEND_CLAIM_MS: '2500' }).sendClaimMs).toBe(2500);
  });
});

describe('loadGatewayConfig: abuse limits', () => {
  it('defaults: 5 flows per number in 10 minutes, no per-key limit, every country', () => {
    expect(loadGatewayConfig({}).limits).toEqual({ phoneRateLimit: 5, phoneRateWindowSec: 600, keyRatePerMin: 0, allowedCountryCodes: [] });
  });

  it('reads the limits and the allow-list (spaces and a leading + allowed)', () => {
    const env = { PHONE_RATE_LIMIT: '0', PHONE_RATE_WINDOW_SEC: '60', KEY_RATE_LIMIT_PER_MIN: '120', ALLOWED_COUNTRY_CODES: '30, +357,1242' };
    expect(loadGatewayConfig(env).limits).toEqual({ phoneRateLimit: 0, phoneRateWindowSec: 60, keyRatePerMin: 120, allowedCountryCodes: ['30', '357', '1242'] });
  });

  it.each([
    [{ PHONE_RATE_LIMIT: '-1' }, 'PHONE_RATE_LIMIT'],
    [{ PHONE_RATE_WINDOW_SEC: '0' }, 'PHONE_RATE_WINDOW_SEC'],
    [{ KEY_RATE_LIMIT_PER_MIN: 'lots' }, 'KEY_RATE_LIMIT_PER_MIN'],
    [{ ALLOWED_COUNTRY_CODES: '30,GR' }, 'ALLOWED_COUNTRY_CODES'],
    [{ ALLOWED_COUNTRY_CODES: '30,,357' }, 'ALLOWED_COUNTRY_CODES'],
    [{ ALLOWED_COUNTRY_CODES: '030' }, 'ALLOWED_COUNTRY_CODES'],
  ])('%j is refused naming %s', (env, variable) => {
    expect(() => loadGatewayConfig(env)).toThrow(new RegExp(`^${variable}: `));
  });
});
