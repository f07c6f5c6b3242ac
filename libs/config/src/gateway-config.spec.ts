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

describe('loadGatewayConfig: Idempotency-Key claims', () => {
  it('defaults: a claim is taken over after 2 minutes, a repeat waits 10 s', () => {
    expect(loadGatewayConfig({}).idempotency).toEqual({ claimMs: 120_000, waitMs: 10_000 });
  });

  it('the default claim outlasts the longest send when the Routee timeouts are raised', () => {
    const env = { ROUTEE_CONNECT_TIMEOUT_MS: '5000', ROUTEE_REQUEST_TIMEOUT_MS: '20000', SEND_CLAIM_MS: '30000' };
    expect(loadGatewayConfig(env).idempotency.claimMs).toBe(2 * 2 * 3 * 25_000 + 2 * 10_000);
  });

  it('reads IDEMPOTENCY_CLAIM_MS and IDEMPOTENCY_WAIT_MS', () => {
    expect(loadGatewayConfig({ IDEMPOTENCY_CLAIM_MS: '30000', IDEMPOTENCY_WAIT_MS: '0' }).idempotency).toEqual({
      claimMs: 30_000,
      waitMs: 0,
    });
  });

  it.each([
    [{ IDEMPOTENCY_CLAIM_MS: '999' }, 'IDEMPOTENCY_CLAIM_MS'],
    [{ IDEMPOTENCY_CLAIM_MS: '3600001' }, 'IDEMPOTENCY_CLAIM_MS'],
    [{ IDEMPOTENCY_WAIT_MS: '10s' }, 'IDEMPOTENCY_WAIT_MS'],
  ])('%j is refused naming %s', (env, variable) => {
    expect(() => loadGatewayConfig(env)).toThrow(new RegExp(`^${variable}: `));
  });
});

describe('loadGatewayConfig: abuse limits', () => {
  it('defaults: 5 flows per number in 10 minutes, no per-key limit, every country', () => {
    expect(loadGatewayConfig({}).limits).toEqual({
      phoneRateLimit: 5,
      phoneRateWindowSec: 600,
      keyRatePerMin: 0,
      allowedCountryCodes: [],
    });
  });

  it('reads the limits and the allow-list (spaces and a leading + allowed)', () => {
    const env = {
      PHONE_RATE_LIMIT: '0',
      PHONE_RATE_WINDOW_SEC: '60',
      KEY_RATE_LIMIT_PER_MIN: '120',
      ALLOWED_COUNTRY_CODES: '30, +357,1242',
    };
    expect(loadGatewayConfig(env).limits).toEqual({
      phoneRateLimit: 0,
      phoneRateWindowSec: 60,
      keyRatePerMin: 120,
      allowedCountryCodes: ['30', '357', '1242'],
    });
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

describe('loadGatewayConfig: the pumping guard', () => {
  it('defaults: off; 50 flows, 20 % verified, a block of an hour, flows counted from 5 minutes old', () => {
    expect(loadGatewayConfig({}).pumping).toEqual({
      enabled: false,
      minFlows: 50,
      minConversion: 0.2,
      blockSec: 3600,
      settleSec: 300,
    });
  });

  it('reads the settings', () => {
    const env = {
      PUMPING_GUARD: 'true',
      PUMPING_MIN_FLOWS: '20',
      PUMPING_MIN_CONVERSION: '.35',
      PUMPING_BLOCK_SEC: '600',
      PUMPING_SETTLE_SEC: '0',
    };
    expect(loadGatewayConfig(env).pumping).toEqual({
      enabled: true,
      minFlows: 20,
      minConversion: 0.35,
      blockSec: 600,
      settleSec: 0,
    });
    expect(loadGatewayConfig({ PUMPING_MIN_CONVERSION: '1' }).pumping.minConversion).toBe(1);
    expect(loadGatewayConfig({ PUMPING_MIN_CONVERSION: '0' }).pumping.minConversion).toBe(0);
  });

  it.each([
    [{ PUMPING_GUARD: 'sometimes' }, 'PUMPING_GUARD'],
    [{ PUMPING_MIN_FLOWS: '0' }, 'PUMPING_MIN_FLOWS'],
    [{ PUMPING_MIN_CONVERSION: '20%' }, 'PUMPING_MIN_CONVERSION'],
    [{ PUMPING_MIN_CONVERSION: '1.5' }, 'PUMPING_MIN_CONVERSION'],
    [{ PUMPING_MIN_CONVERSION: '-0.1' }, 'PUMPING_MIN_CONVERSION'],
    [{ PUMPING_BLOCK_SEC: '0' }, 'PUMPING_BLOCK_SEC'],
    [{ PUMPING_SETTLE_SEC: '3600' }, 'PUMPING_SETTLE_SEC'],
  ])('%j is refused naming %s', (env, variable) => {
    expect(() => loadGatewayConfig(env)).toThrow(new RegExp(`^${variable}: `));
  });
});

describe('loadGatewayConfig: webhook secrets', () => {
  const b64 = (n: number) => Buffer.alloc(n, 7).toString('base64');

  it('none by default; one, or several comma-separated (rotation), whsec_ base64 or plain, in order', () => {
    expect(loadGatewayConfig({}).webhooks.secrets).toEqual([]);
    expect(loadGatewayConfig({ WEBHOOK_SECRET: 'plain-secret-0123456' }).webhooks.secrets).toEqual([
      'plain-secret-0123456',
    ]);
    expect(loadGatewayConfig({ WEBHOOK_SECRET: ` whsec_${b64(32)} , plain-secret-0123456 ` }).webhooks.secrets).toEqual(
      [`whsec_${b64(32)}`, 'plain-secret-0123456'],
    );
  });

  it.each([
    ['plain-secret-0123456,,other-secret-0123456', /^WEBHOOK_SECRET: secret 2 of 3 is empty/],
    ['short', /^WEBHOOK_SECRET: the secret must be at least 16 characters/],
    ['whsec_not*base64!', /^WEBHOOK_SECRET: the secret starts with whsec_ but what follows is not base64/],
    [`whsec_${b64(16)}`, /^WEBHOOK_SECRET: the secret \(whsec_\) must decode to 24 to 64 bytes, got 16/],
    ['plain-secret-0123456,plain-secret-0123456', /^WEBHOOK_SECRET: secret 2 of 2 repeats an earlier one/],
  ])('%s is refused, the message naming the variable and never quoting a secret', (raw, message) => {
    expect(() => loadGatewayConfig({ WEBHOOK_SECRET: raw })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ WEBHOOK_SECRET: raw })).toThrow(message);
    try {
      loadGatewayConfig({ WEBHOOK_SECRET: raw });
    } catch (err) {
      for (const secret of raw.split(',').filter((s) => s.length > 0))
        expect((err as Error).message).not.toContain(secret);
    }
  });
});

describe('loadGatewayConfig: retention', () => {
  it('defaults: secrets erased a day after the flow is final, flows kept, a run every 5 minutes by 1000', () => {
    expect(loadGatewayConfig({}).retention).toEqual({
      secretsHours: 24,
      days: undefined,
      intervalMs: 300_000,
      batchSize: 1000,
    });
  });

  it('reads the settings', () => {
    const env = {
      RETENTION_SECRETS_HOURS: '0',
      RETENTION_DAYS: '90',
      RETENTION_INTERVAL_MS: '1000',
      RETENTION_BATCH_SIZE: '50',
    };
    expect(loadGatewayConfig(env).retention).toEqual({ secretsHours: 0, days: 90, intervalMs: 1000, batchSize: 50 });
  });

  it.each([
    [{ RETENTION_DAYS: '0' }, 'RETENTION_DAYS'],
    [{ RETENTION_DAYS: '30d' }, 'RETENTION_DAYS'],
    [{ RETENTION_SECRETS_HOURS: '-1' }, 'RETENTION_SECRETS_HOURS'],
    [{ RETENTION_BATCH_SIZE: '0' }, 'RETENTION_BATCH_SIZE'],
  ])('%j is refused naming %s', (env, variable) => {
    expect(() => loadGatewayConfig(env)).toThrow(new RegExp(`^${variable}: `));
  });
});
