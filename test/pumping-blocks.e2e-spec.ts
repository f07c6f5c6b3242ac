import { failoverRequest } from './support/factories';
import { numberUnder, seedUnverifiedFlows } from './support/pumping';
import { AUTH, startTestGateway, type TestGateway } from './support/test-gateway';

/**
 * GET /otp/pumping/blocks and DELETE /otp/pumping/blocks/{prefix}: the pumping guard's blocks listed and
 * lifted over HTTP (the console's buttons; the keys CLI does the same, test/pumping-guard.e2e-spec.ts).
 * A real block, recorded by the guard on a send; an expired and a lifted one written beside it.
 */
describe('pumping blocks over HTTP', () => {
  let t: TestGateway;
  const send = (to: string) => t.http.post('/otp/send-failover').set(AUTH).send(failoverRequest(to));
  const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  beforeAll(async () => {
    t = await startTestGateway({ env: { PUMPING_GUARD: 'true', WORKER_ENABLED: 'false' } });
    await t.db.query('TRUNCATE pumping_blocks');
    // ended ones: one expired two hours ago, one lifted by an operator
    await t.db.query(
      `INSERT INTO pumping_blocks (prefix, blocked_at, until, flows, approved, conversion, lifted_at) VALUES
         ('3069', now() - interval '3 hours', now() - interval '2 hours', 50, 4, 0.08, NULL),
         ('4917', now() - interval '2 hours', now() - interval '1 hour', 50, 2, 0.04, now() - interval '90 minutes')`,
    );
    await seedUnverifiedFlows(t.db, '4479');
    expect((await send(numberUnder('4479'))).status).toBe(429);
  });
  afterAll(() => t.close());

  it('lists the blocks in force, with the figures that caused them', async () => {
    const res = await t.http.get('/otp/pumping/blocks').set(AUTH);
    expect(res.status).toBe(200);
    const [{ id }] = (await t.db.query(`SELECT id::text FROM pumping_blocks WHERE prefix = '4479'`)).rows;
    expect(res.body).toEqual({
      blocks: [
        { id, prefix: '4479', blocked_at: ISO, until: ISO, flows: 50, approved: 0, conversion: 0, state: 'in_force' },
      ],
    });
    const { blocked_at, until } = res.body.blocks[0];
    expect(Date.parse(until) - Date.parse(blocked_at)).toBe(3600_000);
    // an empty value is the default, as on the other lists
    expect((await t.http.get('/otp/pumping/blocks?all=').set(AUTH)).body).toEqual(res.body);
  });

  it('with all=true, ended blocks too, newest first', async () => {
    const res = await t.http.get('/otp/pumping/blocks?all=true').set(AUTH);
    expect(res.status).toBe(200);
    expect(res.body.blocks.map((b: { prefix: string; state: string }) => [b.prefix, b.state])).toEqual([
      ['4479', 'in_force'],
      ['4917', 'lifted'],
      ['3069', 'expired'],
    ]);
    expect(res.body.blocks[1]).toEqual({
      id: expect.stringMatching(/^\d+$/),
      prefix: '4917',
      blocked_at: ISO,
      until: ISO,
      flows: 50,
      approved: 2,
      conversion: 0.04,
      state: 'lifted',
      lifted_at: ISO,
    });
    expect(res.body.blocks[2]).not.toHaveProperty('lifted_at');
  });

  it('refuses a bad or unknown query parameter with 422, and a request without a key with 403', async () => {
    const bad = await t.http.get('/otp/pumping/blocks?all=yes').set(AUTH);
    expect([bad.status, bad.body]).toEqual([
      422,
      { detail: [{ loc: ['query', 'all'], msg: 'all must be true or false', type: expect.any(String) }] },
    ]);
    const unknown = await t.http.get('/otp/pumping/blocks?prefix=4479').set(AUTH);
    expect(unknown.status).toBe(422);
    expect(unknown.body.detail[0].loc).toEqual(['query', 'prefix']);
    const noKey = await t.http.get('/otp/pumping/blocks');
    expect([noKey.status, noKey.body]).toEqual([403, { detail: 'Missing Bearer credentials' }]);
    const noKeyLift = await t.http.delete('/otp/pumping/blocks/4479');
    expect(noKeyLift.status).toBe(403);
    expect((await t.db.query(`SELECT lifted_at FROM pumping_blocks WHERE prefix = '4479'`)).rows).toEqual([
      { lifted_at: null },
    ]);
  });

  it('lifts the block in force: answered with the block, lifted in Postgres, and the next send goes through', async () => {
    const res = await t.http.delete('/otp/pumping/blocks/4479').set(AUTH);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^\d+$/),
      prefix: '4479',
      blocked_at: ISO,
      until: ISO,
      flows: 50,
      approved: 0,
      conversion: 0,
      state: 'lifted',
      lifted_at: ISO,
    });
    const [row] = (await t.db.query(`SELECT lifted_at FROM pumping_blocks WHERE prefix = '4479'`)).rows;
    expect((row.lifted_at as Date).toISOString()).toBe(res.body.lifted_at);
    expect((await t.http.get('/otp/pumping/blocks').set(AUTH)).body).toEqual({ blocks: [] });
    expect((await send(numberUnder('4479'))).status).toBe(200);
  });

  it('answers 404 when no block is in force on the prefix (lifted, expired, never blocked), 422 for a malformed prefix', async () => {
    for (const prefix of ['4479', '3069', '4917', '999']) {
      const res = await t.http.delete(`/otp/pumping/blocks/${prefix}`).set(AUTH);
      expect([prefix, res.status, res.body]).toEqual([prefix, 404, { detail: 'no block in force on this prefix' }]);
    }
    for (const prefix of ['44', '447911', '0447', 'abcd', '+4479']) {
      const res = await t.http.delete(`/otp/pumping/blocks/${encodeURIComponent(prefix)}`).set(AUTH);
      expect([prefix, res.status, res.body]).toEqual([
        prefix,
        422,
        {
          detail: [
            {
              loc: ['path', 'prefix'],
              msg: 'prefix must be 3 to 5 digits, the calling code and the next 2 (e.g. 4479)',
              type: expect.any(String),
            },
          ],
        },
      ]);
    }
  });
});
