import { AUTH, TEST_KEY, startTestGateway, type TestGateway } from './support/test-gateway';
import { failoverRequest, phone, smsStep, viberStep } from './support/factories';

/** Issue 7, point 4: the per-phone limit, the per-key limit, the country allow-list. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function waitFor(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('per-phone limit on new flows (PHONE_RATE_LIMIT, default 5 per 10 minutes)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    // the defaults: 5 per 600 s (the test helper turns the limit off for the other suites)
    t = await startTestGateway({
      env: { PHONE_RATE_LIMIT: '5', PHONE_RATE_WINDOW_SEC: '600', REFRESH_INTERVAL_MS: '100' },
    });
  });
  afterAll(() => t.close());

  const send = (body: unknown, headers: Record<string, string> = AUTH) =>
    t.http
      .post('/otp/send-failover')
      .set(headers)
      .send(body as object);
  const primaries = async (to: string) =>
    Number(
      (await t.db.query(`SELECT count(*) FROM steps WHERE role = 'primary' AND phone_number = $1`, [to])).rows[0].count,
    );

  it('lets 5 flows to a number through, refuses the 6th with 429, Retry-After and the error shape; other numbers are not affected', async () => {
    const to = phone();
    for (let i = 0; i < 5; i++) expect((await send(failoverRequest(to))).status).toBe(200);
    const refused = await send(failoverRequest(to));
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      detail: expect.stringMatching(/^too many OTP flows to this number: at most 5 in 600 s; retry in \d+ s$/),
    });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(595);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(refused.body.detail).toContain(`retry in ${retryAfter} s`);
    // nothing stored, nothing sent for the refused one
    expect(await primaries(to)).toBe(5);
    expect(t.sandbox.state.sends.filter((s) => JSON.stringify(s).includes(to))).toHaveLength(5);
    expect((await send(failoverRequest(phone()))).status).toBe(200);
  });

  it('Retry-After is the time until the oldest counted flow leaves the window, and then one more is let through', async () => {
    const to = phone();
    for (let i = 0; i < 5; i++) expect((await send(failoverRequest(to))).status).toBe(200);
    // age the oldest to 590 s: it leaves the window in about 10 s
    await t.db.query(
      `UPDATE steps SET created_at = now() - interval '590 seconds' WHERE id = (SELECT id FROM steps WHERE phone_number = $1 AND role = 'primary' ORDER BY created_at LIMIT 1)`,
      [to],
    );
    const refused = await send(failoverRequest(to));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(9);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(10);
    // once it has left (aged past the window), one more fits, and only one
    await t.db.query(
      `UPDATE steps SET created_at = now() - interval '601 seconds' WHERE phone_number = $1 AND role = 'primary' AND created_at < now() - interval '500 seconds'`,
      [to],
    );
    expect((await send(failoverRequest(to))).status).toBe(200);
    expect((await send(failoverRequest(to))).status).toBe(429);
  });

  it('failover messages do not count: a number that got 4 primaries and 4 failover SMS still takes a 5th flow', async () => {
    const to = phone('02'); // Viber UNDELIVERED → the SMS failover goes to the same number
    for (let i = 0; i < 4; i++) expect((await send(failoverRequest(to))).status).toBe(200);
    await waitFor(
      async () =>
        Number(
          (
            await t.db.query(
              `SELECT count(*) FROM steps WHERE role = 'failover' AND phone_number = $1 AND tracking_id IS NOT NULL`,
              [to],
            )
          ).rows[0].count,
        ) === 4,
    );
    expect((await send(failoverRequest(to))).status).toBe(200);
    expect((await send(failoverRequest(to))).status).toBe(429);
  });

  it('counts the primary only: an SMS-only flow counts, the failover number of another flow does not', async () => {
    const primary = phone();
    const other = phone();
    // five flows whose primary goes to `primary`, failover to `other`
    for (let i = 0; i < 5; i++) {
      expect((await send({ flow: [viberStep({ to: primary }), smsStep({ to: other })] })).status).toBe(200);
    }
    expect((await send({ flow: [smsStep({ to: primary, order: 1 })] })).status).toBe(429);
    expect((await send({ flow: [smsStep({ to: other, order: 1 })] })).status).toBe(200);
  });

  it('an idempotent repeat returns the first response and does not count; a refused request does not burn its key', async () => {
    const to = phone();
    const key = { ...AUTH, 'Idempotency-Key': `abuse-${Date.now()}` };
    const first = await send(failoverRequest(to), key);
    expect(first.status).toBe(200);
    for (let i = 0; i < 10; i++) {
      const again = await send(failoverRequest(to), key);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
    }
    for (let i = 0; i < 4; i++) expect((await send(failoverRequest(to))).status).toBe(200);
    expect(await primaries(to)).toBe(5);
    // at the limit, the replay still answers with the first response
    const replay = await send(failoverRequest(to), key);
    expect([replay.status, replay.body.flowId]).toEqual([200, first.body.flowId]);
    // a refused request with a new key: 429 again on retry (not 409 "in progress"), the key stays usable
    const fresh = { ...AUTH, 'Idempotency-Key': `abuse-fresh-${Date.now()}` };
    expect((await send(failoverRequest(to), fresh)).status).toBe(429);
    expect((await send(failoverRequest(to), fresh)).status).toBe(429);
  });

  it('holds under a burst of concurrent sends to one number: exactly 5 get through', async () => {
    const to = phone();
    const answers = await Promise.all(Array.from({ length: 20 }, () => send(failoverRequest(to))));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    expect(await primaries(to)).toBe(5);
    for (const a of answers.filter((x) => x.status === 200)) expect(a.body.flowId).toMatch(UUID);
  });

  it('counting uses the partial index (no scan of the steps table)', async () => {
    const plan = await t.db.query(
      `EXPLAIN (FORMAT JSON) SELECT created_at FROM steps WHERE role = 'primary' AND phone_number = '306900000000' AND created_at > now() - interval '600 seconds' ORDER BY created_at DESC OFFSET 4 LIMIT 1`,
    );
    // tiny tables may still be scanned, so ask the planner what it would do with seq scans off
    await t.db.query('SET enable_seqscan = off');
    const forced = await t.db.query(
      `EXPLAIN (FORMAT JSON) SELECT created_at FROM steps WHERE role = 'primary' AND phone_number = '306900000000' AND created_at > now() - interval '600 seconds' ORDER BY created_at DESC OFFSET 4 LIMIT 1`,
    );
    await t.db.query('RESET enable_seqscan');
    expect(plan.rows).toHaveLength(1);
    expect(JSON.stringify(forced.rows[0])).toContain('ix_steps_primary_phone_created_at');
  });
});

describe('per-key request limit (KEY_RATE_LIMIT_PER_MIN) and the country allow-list (ALLOWED_COUNTRY_CODES)', () => {
  const OTHER_KEY = 'other-key-0123456789abcdef';
  const THIRD_KEY = 'third-key-0123456789abcdef';
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      env: {
        GATEWAY_API_KEYS: `${TEST_KEY},${OTHER_KEY},${THIRD_KEY}`,
        KEY_RATE_LIMIT_PER_MIN: '3',
        ALLOWED_COUNTRY_CODES: '30, +357',
      },
    });
  });
  afterAll(() => t.close());

  it('a key gets its per-minute figure, then 429 with Retry-After; other keys and public routes are not affected', async () => {
    for (let i = 0; i < 3; i++) expect((await t.http.get('/otp/templates').set(AUTH)).status).toBe(200);
    const refused = await t.http.get('/otp/templates').set(AUTH);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ detail: 'too many requests for this API key: at most 3 a minute' });
    // a token every 20 s
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(19);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(20);
    expect((await t.http.get('/otp/templates').set({ Authorization: `Bearer ${OTHER_KEY}` })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await t.http.get('/health')).status).toBe(200);
    // unknown keys are refused as before (401), not counted against anyone
    expect((await t.http.get('/otp/templates').set({ Authorization: 'Bearer nope' })).status).toBe(401);
  });

  it('refuses a destination outside the allow-list with 422 naming its `to`, and sends nothing', async () => {
    const headers = { Authorization: `Bearer ${THIRD_KEY}` };
    const uk = '447700900123';
    const res = await t.http
      .post('/otp/send-failover')
      .set(headers)
      .send({ flow: [viberStep({ to: phone() }), smsStep({ to: `+${uk}` })] });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      detail: [
        {
          loc: ['body', 'flow', 1, 'to'],
          msg: 'destination country not allowed: to must start with one of the calling codes +30, +357',
          type: 'value_error.country',
        },
      ],
    });
    expect(t.sandbox.state.sends.filter((s) => JSON.stringify(s).includes(uk))).toHaveLength(0);
    // both listed codes pass, with or without +
    expect((await t.http.post('/otp/send-failover').set(headers).send(failoverRequest('35799123456'))).status).toBe(
      200,
    );
    expect(
      (
        await t.http
          .post('/otp/send-failover')
          .set(headers)
          .send(failoverRequest(`+${phone()}`))
      ).status,
    ).toBe(200);
  });
});
