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
