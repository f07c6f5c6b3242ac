import { startTestGateway, type TestGateway } from './support/test-gateway';
import { failoverRequest, phone } from './support/factories';
import { keys } from './support/keys-cli';

describe('API keys (CLI + auth)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('create → the key works; list shows it; revoke → 401; keys are stored hashed', async () => {
    const created = await keys('create', 'ci-app');
    expect(created.code).toBe(0);
    const key = /(otpgw_[A-Za-z0-9_-]+)/.exec(created.stdout)![1];
    const id = /created key ([0-9a-f-]{36})/.exec(created.stdout)![1];

    const ok = await t.http
      .post('/otp/send-failover')
      .set({ Authorization: `Bearer ${key}` })
      .send(failoverRequest(phone('00')));
    expect(ok.status).toBe(200);

    const stored = await t.db.query('SELECT name, key_hash, key_prefix FROM api_keys WHERE id = $1', [id]);
    expect(stored.rows).toEqual([
      { name: 'ci-app', key_hash: expect.stringMatching(/^[0-9a-f]{64}$/), key_prefix: key.slice(0, 12) },
    ]);
    const anywhere = await t.db.query(
      'SELECT count(*)::int AS n FROM api_keys WHERE key_hash = $1 OR key_prefix = $1 OR name = $1',
      [key],
    );
    expect(anywhere.rows[0].n).toBe(0);

    const listed = await keys('list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).toContain('ci-app');
    expect(listed.stdout).not.toContain(key);

    const revoked = await keys('revoke', id);
    expect(revoked.code).toBe(0);
    await new Promise((r) => setTimeout(r, 5100)); // the auth cache holds a positive answer for 5 s
    const refused = await t.http
      .post('/otp/send-failover')
      .set({ Authorization: `Bearer ${key}` })
      .send(failoverRequest(phone('00')));
    expect(refused.status).toBe(401);
    expect((await keys('list')).stdout).toMatch(/REVOKED/);
  }, 90_000);

  it('revoking an unknown id fails with a message', async () => {
    const res = await keys('revoke', '00000000-0000-0000-0000-000000000000');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('no active key');
  }, 60_000);

  it('usage errors exit 2', async () => {
    const res = await keys('frobnicate');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('usage: npm run keys');
  }, 60_000);
});
