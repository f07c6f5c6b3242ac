import { ConfigError, loadGatewayConfig } from './gateway-config';

describe('loadGatewayConfig: logs and shutdown', () => {
  it('defaults: pretty lines outside production, JSON under NODE_ENV=production; no grace, 30 s for the requests in flight', () => {
    expect(loadGatewayConfig({}).logFormat).toBe('pretty');
    expect(loadGatewayConfig({ NODE_ENV: 'production' }).logFormat).toBe('json');
    expect(loadGatewayConfig({}).shutdown).toEqual({ graceMs: 0, timeoutMs: 30_000 });
  });

  it('reads LOG_FORMAT, SHUTDOWN_GRACE_MS and SHUTDOWN_TIMEOUT_MS', () => {
    expect(loadGatewayConfig({ NODE_ENV: 'production', LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(loadGatewayConfig({ LOG_FORMAT: 'JSON' }).logFormat).toBe('json');
    expect(loadGatewayConfig({ SHUTDOWN_GRACE_MS: '5000', SHUTDOWN_TIMEOUT_MS: '60000' }).shutdown).toEqual({
      graceMs: 5000,
      timeoutMs: 60_000,
    });
  });

  it.each([
    ['LOG_FORMAT', 'logfmt', 'LOG_FORMAT: must be json or pretty, got "logfmt"'],
    ['SHUTDOWN_GRACE_MS', '-1', 'SHUTDOWN_GRACE_MS: must be a whole number, got "-1"'],
    ['SHUTDOWN_TIMEOUT_MS', '4000000', 'SHUTDOWN_TIMEOUT_MS: must be between 0 and 3600000, got 4000000'],
  ])('a bad %s is one error naming it', (variable, value, message) => {
    const load = () => loadGatewayConfig({ [variable]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });
});
