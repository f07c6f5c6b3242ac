import { randomUUID } from 'node:crypto';
import { FlowEngine } from '@app/engine';
import { AUTH, startTestGateway, type TestGateway } from './support/test-gateway';
import { failoverRequest, phone } from './support/factories';
import { sleep } from './support/engine-support';
import { CaptureLogger } from './support/capture-logger';

const PIN = '482913';

/**
 * POST /otp/verify and POST /otp/failover/{id}/cancel (CONTRACT section 11):
 * checks counted in Postgres, approval final, and an approved or canceled
 * flow sends no further step, also when the approval races the failover's
 * trigger. The worker is off: only what a test does moves a flow.
 */
describe('code verification', () => {
  let t: TestGateway;
  let engine: FlowEngine;

  const logger = new CaptureLogger();

  beforeAll(async () => {
    t = await startTestGateway({ env: { WORKER_ENABLED: 'false', VERIFY_MAX_ATTEMPTS: '5' }, logger });
    engine = t.gateway.app.get(FlowEngine);
  });
  afterAll(() => t.close());

  const send = async (to = phone('00')) => {
    const res = await t.http
      .post('/otp/send-failover')
      .set(AUTH)
      .send(failoverRequest(to, { viber: { pin: PIN } }));
    expect(res.status).toBe(200);
    return { to, flowId: res.body.flowId as string, viberId: res.body.flow[0].trackingId as string };
  };
  const verify = (id: string, code: string) => t.http.post('/otp/verify').set(AUTH).send({ id, code });
  const expired = (trackingId: string) => engine.applyReport(trackingId, { status: 'EXPIRED' });
  const flow = async (flowId: string) =>
    (
      await t.db.query(
        `SELECT status, status_code, next_check_at, verification_status, verify_attempts, verified_at FROM flows WHERE id = $1`,
        [flowId],
      )
    ).rows[0];
  const sendsTo = (to: string) => t.sandbox.state.sends.filter((s) => s.to === `+${to}` || s.to === to);
  const smsTo = (to: string) => sendsTo(to).filter((s) => s.channel === 'sms');
  const failoverRow = async (flowId: string) =>
    (await t.db.query(`SELECT created_at FROM steps WHERE flow_id = $1 AND role = 'failover'`, [flowId])).rows[0];

  /**
   * Which took the flow's row lock first, the failover's claim or the approval: row triggers note each
   * from a sequence while the writer holds that lock (the claim's INSERT runs inside the evaluation that
   * locked the flow, the approval's UPDATE holds the row), so the numbers are the lock's order, which is
   * the commit order. Timestamps are not: now() is when each transaction began, not when it got the lock.
   */
  const noteLockOrder = () =>
    t.db.query(`
      CREATE TABLE test_lock_order (seq bigserial PRIMARY KEY, flow_id uuid NOT NULL, what text NOT NULL);
      CREATE FUNCTION test_note_lock_order() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO test_lock_order (flow_id, what)
            VALUES (coalesce(to_jsonb(NEW) ->> 'flow_id', to_jsonb(NEW) ->> 'id')::uuid, TG_ARGV[0]);
          RETURN NULL;
        END $$;
      CREATE TRIGGER test_claim_order AFTER INSERT ON steps FOR EACH ROW WHEN (NEW.role = 'failover')
        EXECUTE FUNCTION test_note_lock_order('claimed');
      CREATE TRIGGER test_approval_order AFTER UPDATE OF verification_status ON flows FOR EACH ROW
        WHEN (NEW.verification_status = 'approved' AND OLD.verification_status IS DISTINCT FROM 'approved')
        EXECUTE FUNCTION test_note_lock_order('approved');`);
  const dropLockOrder = () =>
    t.db.query(`
      DROP TRIGGER IF EXISTS test_claim_order ON steps;
      DROP TRIGGER IF EXISTS test_approval_order ON flows;
      DROP FUNCTION IF EXISTS test_note_lock_order();
      DROP TABLE IF EXISTS test_lock_order;`);
  const lockOrder = async (flowId: string) =>
    (
      await t.db.query<{ what: string }>(`SELECT what FROM test_lock_order WHERE flow_id = $1 ORDER BY seq`, [flowId])
    ).rows.map((r) => r.what);

  it('a wrong code is denied and counted, the right one approved: the flow ends Succeeded and its failover is never sent', async () => {
    const { to, flowId, viberId } = await send();
    const wrong = await verify(flowId, '000000');
    expect(wrong.status).toBe(200);
    expect(wrong.body).toEqual({
      flowId,
      verification: { status: 'denied', attemptsLeft: 4, expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    });
    const right = await verify(flowId, PIN);
    expect(right.body.verification).toMatchObject({ status: 'approved', attemptsLeft: 3 });
    expect(await flow(flowId)).toMatchObject({
      status: 'Succeeded',
      status_code: null,
      next_check_at: null,
      verification_status: 'approved',
      verify_attempts: 2,
    });
    // the Viber message expires after all: nothing more goes out
    await expired(viberId);
    expect(await failoverRow(flowId)).toBeUndefined();
    expect(smsTo(to)).toEqual([]);
    // approved is final and idempotent: the right code again, a wrong one, neither counted
    expect((await verify(flowId, PIN)).body.verification).toMatchObject({ status: 'approved', attemptsLeft: 3 });
    expect((await verify(flowId, '111111')).body.verification).toMatchObject({ status: 'denied', attemptsLeft: 3 });
    expect((await flow(flowId)).verify_attempts).toBe(2);
    const tracked = await t.http.get(`/otp/failover/${flowId}`).set(AUTH);
    expect(tracked.body.verification).toEqual({
      status: 'approved',
      verified_at: (await flow(flowId)).verified_at.toISOString(),
      attempts: 2,
    });
  });

  it('20 concurrent wrong checks: exactly 5 are counted, and the right code after them is too_many_attempts', async () => {
    const { flowId } = await send();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => verify(flowId, String(100000 + i))));
    const statuses = answers.map((a) => a.body.verification.status as string);
    expect(statuses.filter((s) => s === 'denied')).toHaveLength(5);
    expect(statuses.filter((s) => s === 'too_many_attempts')).toHaveLength(15);
    expect((await flow(flowId)).verify_attempts).toBe(5);
    expect((await verify(flowId, PIN)).body.verification).toMatchObject({
      status: 'too_many_attempts',
      attemptsLeft: 0,
    });
    expect((await flow(flowId)).verification_status).toBe('pending');
  });

  it('a code past its expiry answers expired and counts nothing', async () => {
    const { flowId } = await send();
    await t.db.query(`UPDATE flows SET code_expires_at = now() - interval '1 second' WHERE id = $1`, [flowId]);
    expect((await verify(flowId, PIN)).body.verification).toMatchObject({ status: 'expired', attemptsLeft: 5 });
    expect((await flow(flowId)).verify_attempts).toBe(0);
  });

  it("a step's trackingId names the flow too; an unknown id is a 404; a malformed body a 422 naming the field", async () => {
    const { flowId, viberId } = await send();
    expect((await verify(viberId, PIN)).body).toMatchObject({ flowId, verification: { status: 'approved' } });
    expect((await verify(randomUUID(), PIN)).status).toBe(404);
    const bad = await t.http.post('/otp/verify').set(AUTH).send({ id: flowId });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0].loc).toEqual(['body', 'code']);
    expect((await t.http.post('/otp/verify').send({ id: flowId, code: PIN })).status).toBe(403);
  });

  it('the approval racing an EXPIRED report, 20 times: the SMS goes out exactly when the failover was claimed first', async () => {
    let sentFirst = 0;
    await noteLockOrder();
    try {
      for (let i = 0; i < 20; i++) {
        const { to, flowId, viberId } = await send();
        // the first two in a set order (each outcome seen at least once), then racing: the report now at once,
        // now a few ms late, so that either may take the flow's lock first
        let approved;
        if (i === 0) {
          await expired(viberId);
          approved = await verify(flowId, PIN);
        } else if (i === 1) {
          approved = await verify(flowId, PIN);
          await expired(viberId);
        } else {
          const late = i % 2 === 0 ? 0 : 2 + (i % 7);
          [, approved] = await Promise.all([sleep(late).then(() => expired(viberId)), verify(flowId, PIN)]);
        }
        expect(approved.body.verification.status).toBe('approved');
        const after = await flow(flowId);
        const claim = await failoverRow(flowId);
        // one consistent outcome: an SMS only when its claim took the flow's lock before the approval, and then
        // exactly one; no claim at all once the approval had it
        if (claim) {
          sentFirst++;
          expect(await lockOrder(flowId)).toEqual(['claimed', 'approved']);
          expect(smsTo(to)).toHaveLength(1);
        } else {
          expect(await lockOrder(flowId)).toEqual(['approved']);
          expect(smsTo(to)).toEqual([]);
        }
        expect(after).toMatchObject({ status: 'Succeeded', verification_status: 'approved' });
      }
    } finally {
      await dropLockOrder();
    }
    console.log(`approval vs EXPIRED: the failover was claimed first ${sentFirst} of 20 times`);
    expect(sentFirst).toBeGreaterThan(0);
    expect(sentFirst).toBeLessThan(20);
  });

  it('cancel: no further step; a flow with nothing delivered ends Failed 2, and a check answers canceled', async () => {
    const { to, flowId, viberId } = await send();
    const res = await t.http.post(`/otp/failover/${flowId}/cancel`).set(AUTH);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      flowId,
      status: 'Failed',
      statusCode: 2,
      verification: { status: 'canceled', verified_at: null, attempts: 0 },
    });
    expect((await t.db.query(`SELECT error FROM flows WHERE id = $1`, [flowId])).rows[0].error).toBe(
      'canceled: no further step was sent',
    );
    await expired(viberId);
    expect(await failoverRow(flowId)).toBeUndefined();
    expect(smsTo(to)).toEqual([]);
    expect((await verify(flowId, PIN)).body.verification).toMatchObject({ status: 'canceled' });
    // an ended flow is answered as it is
    expect((await t.http.post(`/otp/failover/${flowId}/cancel`).set(AUTH)).body.status).toBe('Failed');
    expect((await t.http.post(`/otp/failover/${randomUUID()}/cancel`).set(AUTH)).status).toBe(404);
  });

  it('a Failover API flow is neither checked nor canceled here: 404, and it runs on', async () => {
    const sent = await t.http
      .post('/failover')
      .set(AUTH)
      .send({ flow: [{ type: 'Sms', order: 1, from: 'Acme', to: `+${phone('00')}`, message: { body: 'Hello' } }] });
    expect(sent.status).toBe(200);
    const id = sent.body.trackingId as string;
    expect((await t.http.post(`/otp/failover/${id}/cancel`).set(AUTH)).status).toBe(404);
    expect((await verify(id, PIN)).status).toBe(404);
    expect((await flow(id)).verification_status).toBeNull();
  });

  it('cancel after the Viber message was delivered: Succeeded', async () => {
    const { flowId, viberId } = await send();
    await engine.applyReport(viberId, { status: 'DELIVERED' });
    const res = await t.http.post(`/otp/failover/${flowId}/cancel`).set(AUTH);
    expect(res.body).toMatchObject({ status: 'Succeeded', statusCode: null });
  });
  /** every stored text a code could leak into: flows, steps, Idempotency-Key records, webhook events */
  const storedText = async (flowId: string) =>
    (
      await t.db.query(
        `SELECT (SELECT json_agg(f)::text FROM flows f WHERE f.id = $1) || (SELECT json_agg(s)::text FROM steps s WHERE s.flow_id = $1)
                || coalesce((SELECT json_agg(i)::text FROM idempotency_records i), '')
                || coalesce((SELECT json_agg(e)::text FROM webhook_events e WHERE e.flow_id = $1), '') AS text`,
        [flowId],
      )
    ).rows[0].text as string;

  it('pin "auto": the gateway draws the code, puts it in the Viber template and the SMS body, and it is nowhere else', async () => {
    const to = phone('00');
    const body = failoverRequest(to, { viber: { pin: 'auto' }, sms: { message: { body: 'Your Acme code: {code}' } } });
    const sent = await t.http.post('/otp/send-failover').set(AUTH).set('Idempotency-Key', randomUUID()).send(body);
    expect(sent.status).toBe(200);
    const flowId = sent.body.flowId as string;
    const viber = sendsTo(to).find((s) => s.channel === 'viber')!;
    const code = String(viber.templateParams!.pin);
    expect(code).toMatch(/^\d{6}$/);
    expect(sent.body.flow[0].pin).toBe('{code}');
    expect(sent.body.flow[1].message.body).toBe('Your Acme code: {code}');
    // the SMS failover, sent later from the stored flow, carries the same code
    await expired(sent.body.flow[0].trackingId);
    const sms = smsTo(to)[0];
    expect(sms.body).toBe(`Your Acme code: ${code}`);
    // nowhere else: answers, stored rows, log lines
    const tracked = await t.http.get(`/otp/failover/${flowId}`).set(AUTH);
    const listed = await t.http.get('/otp/failover').query({ flow_id: flowId }).set(AUTH);
    for (const text of [sent.text, tracked.text, listed.text, await storedText(flowId), logger.text()])
      expect(text).not.toContain(code);
    // checked like any pin; the seal goes once the flow is final
    expect((await flow(flowId)).status).toBe('InProgress');
    expect(
      (await t.db.query(`SELECT code_ciphertext FROM flows WHERE id = $1`, [flowId])).rows[0].code_ciphertext,
    ).not.toBeNull();
    expect((await verify(flowId, code)).body.verification.status).toBe('approved');
    expect(
      (await t.db.query(`SELECT code_ciphertext FROM flows WHERE id = $1`, [flowId])).rows[0].code_ciphertext,
    ).toBeNull();
  });

  it('a top-level code {length, alphabet, ttl} on an SMS-only flow; a drawn code needs {code} in the body (422)', async () => {
    const to = phone('00');
    const sms = { type: 'Sms', to, order: 1, ttl: 300, from: 'Acme', message: { body: 'Code {code}, valid 2 min' } };
    const sent = await t.http
      .post('/otp/send-failover')
      .set(AUTH)
      .send({ flow: [sms], code: { length: 8, alphabet: 'alphanumeric', ttl: 120 } });
    expect(sent.status).toBe(200);
    const body = smsTo(to)[0].body!;
    const code = /^Code ([A-Z0-9]{8}), valid 2 min$/.exec(body)![1];
    const { rows } = await t.db.query(
      `SELECT extract(epoch FROM code_expires_at - created_at)::float AS ttl FROM flows WHERE id = $1`,
      [sent.body.flowId],
    );
    expect(Math.abs(rows[0].ttl - 120)).toBeLessThan(5);
    expect((await verify(sent.body.flowId, code)).body.verification.status).toBe('approved');

    const noPlace = await t.http
      .post('/otp/send-failover')
      .set(AUTH)
      .send({ flow: [{ ...sms, to: phone('00'), message: { body: 'no code here' } }], code: {} });
    expect(noPlace.status).toBe(422);
    expect(noPlace.body.detail[0].loc).toEqual(['body', 'flow', 0, 'message', 'body']);
  });

  it("a caller's pin is kept only as its HMAC and seal: the stored definition and SMS body hold {code}", async () => {
    const { flowId } = await send();
    const text = await storedText(flowId);
    expect(text).not.toContain(PIN);
    expect(text).toContain('Your code is {code}');
  });
});
