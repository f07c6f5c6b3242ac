import { randomUUID } from 'node:crypto';
import { RetentionStore, StatsStore } from '@app/persistence';
import { RetentionJob } from '../apps/gateway/src/otp/retention.job';
import { failoverRequest, phone } from './support/factories';
import { AUTH, resetTables, startTestGateway, type TestGateway } from './support/test-gateway';

type Row = Record<string, unknown>;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** flows per statement: the suites' fixtures are several batches */
const BATCH = 7;

/** the erasure as docs/operations.md describes it, applied to a stored definition */
function erased(definition: Row[]): Row[] {
  return definition.map((d) => {
    const message = d.message as Row | undefined;
    switch (d.type) {
      case 'ViberOtp': {
        const { templateParams: _, ...rest } = d;
        return rest;
      }
      case 'Sms':
        return { ...d, message: { ...message, body: '' } };
      case 'Viber':
        return message && 'text' in message ? { ...d, message: { ...message, text: '' } } : d;
      case 'Voice': {
        const plan = d.dialPlan as { verbs: Row[] };
        const verbs = plan.verbs.map((v) =>
          v.type === 'SAY' ? { ...v, message: { ...(v.message as Row), text: '' } } : v,
        );
        return { ...d, dialPlan: { ...plan, verbs } };
      }
      default:
        return d;
    }
  });
}

describe('retention (RETENTION_SECRETS_HOURS, RETENTION_DAYS)', () => {
  let t: TestGateway;
  let store: RetentionStore;

  beforeAll(async () => {
    // the worker off: retention runs when the test says (the job's runOnce, or the store's batches)
    t = await startTestGateway({
      env: { WORKER_ENABLED: 'false', RETENTION_DAYS: '30', RETENTION_BATCH_SIZE: String(BATCH) },
    });
    store = t.gateway.app.get(RetentionStore);
  });
  afterAll(() => t?.close());
  beforeEach(() => resetTables(t.db));

  const flowRows = async (ids: string[]) =>
    (await t.db.query<Row>(`SELECT * FROM flows WHERE id = ANY($1) ORDER BY id`, [ids])).rows;
  const stepRows = async (ids: string[]) =>
    (await t.db.query<Row>(`SELECT * FROM steps WHERE flow_id = ANY($1) ORDER BY id`, [ids])).rows;
  const eventRows = async (ids: string[]) =>
    (await t.db.query<Row>(`SELECT * FROM webhook_events WHERE flow_id = ANY($1) ORDER BY id`, [ids])).rows;
  /** a flow made final (or left running) `hoursAgo` hours ago, its code expired `codeExpiredHoursAgo` hours ago */
  const age = (id: string, status: string, hoursAgo: number, codeExpiredHoursAgo = hoursAgo) =>
    t.db.query(
      `UPDATE flows SET status = $2, next_check_at = CASE WHEN $2 IN ('Succeeded', 'Failed') THEN NULL ELSE next_check_at END,
              updated_at = now() - make_interval(hours => $3::int),
              code_expires_at = CASE WHEN code_expires_at IS NULL THEN NULL ELSE now() - make_interval(hours => $4::int) END
        WHERE id = $1`,
      [id, status, hoursAgo, codeExpiredHoursAgo],
    );

  it('erases the pin, the code hash and the bodies of final flows past the window; keeps the rest and every other flow', async () => {
    // real flows, as the API stores them: Failover OTP (the pin sealed, {code} in the steps) and the Failover API
    const otp = async () => {
      const res = await t.http
        .post('/otp/send-failover')
        .set(AUTH)
        .send(failoverRequest(phone('01')));
      expect(res.status).toBe(200);
      return res.body.flowId as string;
    };
    const apiRequest = {
      flow: [
        { type: 'Sms', from: 'Acme', to: `+${phone('08')}`, ttl: 30, order: 1, message: { body: 'Secret text 1' } },
        {
          type: 'Voice',
          from: 'Acme',
          to: { phone: `+${phone('02')}` },
          order: 2,
          dialPlan: {
            verbs: [
              { type: 'PLAY', fileURL: 'http://files.example.com/a.wav' },
              { type: 'SAY', message: { language: 'en-US', gender: 'female', text: 'Secret text 2' } },
            ],
          },
        },
        {
          type: 'Viber',
          senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
          to: `+${phone('04')}`,
          ttl: 30,
          order: 3,
          message: { text: 'Secret text 3', imageUrl: 'https://image.example.com/a.png' },
        },
      ],
    };
    // under an Idempotency-Key: its stored answer (replayed to a repeat) is the tracking object, bodies included
    const api = await t.http.post('/failover').set(AUTH).set('Idempotency-Key', 'retention-1').send(apiRequest);
    expect(api.status).toBe(200);
    const apiFlow = api.body.trackingId as string;
    const finalOld = [await otp(), apiFlow];
    for (let i = 0; i < 3 * BATCH; i++) finalOld.push(await otp());
    // a definition with no step at all (jsonb_agg over nothing is NULL, and definition is NOT NULL)
    await t.db.query(`UPDATE flows SET definition = '[]' WHERE id = $1`, [finalOld[2]]);
    const storedAnswer = async () =>
      (await t.db.query<Row>(`SELECT * FROM idempotency_records WHERE flow_id = $1`, [apiFlow])).rows;
    const [answerBefore] = await storedAnswer();
    expect(JSON.stringify(answerBefore.response)).toContain('Secret text 1');
    const pendingOld = await otp();
    const finalRecent = await otp();
    const codeStillValid = await otp();
    // a webhook event of the Failover API flow: its tracking object, bodies included
    const tracking = (await t.http.get(`/failover/tracking/${apiFlow}`).set(AUTH)).body;
    expect(JSON.stringify(tracking)).toContain('Secret text 1');
    await t.db.query(
      `INSERT INTO webhook_events (flow_id, type, url, payload, state) VALUES ($1, 'x', 'http://h/', $2, 'delivered')`,
      [apiFlow, tracking],
    );

    // aged after that read, which refreshes the flow (and so changes it)
    for (const id of finalOld) await age(id, 'Succeeded', 25);
    await age(pendingOld, 'InProgress', 48);
    await age(finalRecent, 'Succeeded', 23);
    await age(codeStillValid, 'Failed', 25, -1);
    const all = [...finalOld, pendingOld, finalRecent, codeStillValid];
    const [flowsBefore, stepsBefore, eventsBefore] = [await flowRows(all), await stepRows(all), await eventRows(all)];
    // the fixture holds what is to be erased
    const before = new Map(flowsBefore.map((r) => [r.id as string, r]));
    for (const id of all) expect(before.get(id)!.code_hash ?? (id === apiFlow ? 'none' : null)).not.toBeNull();
    expect(before.get(pendingOld)!.code_ciphertext).not.toBeNull();

    const result = await store.eraseSecrets(24, BATCH);
    // 23 flows, 7 a statement: 4 statements, the last one short
    expect(result).toMatchObject({ flows: finalOld.length, events: 1, batches: 4 });

    const after = new Map((await flowRows(all)).map((r) => [r.id as string, r]));
    for (const id of finalOld) {
      const { code_hash, code_ciphertext, secrets_erased_at, definition, ...rest } = after.get(id)!;
      const was = before.get(id)!;
      expect([code_hash, code_ciphertext]).toEqual([null, null]);
      expect(secrets_erased_at).toBeInstanceOf(Date);
      expect(definition).toEqual(erased(was.definition as Row[]));
      expect(JSON.stringify(definition)).not.toMatch(/Secret text|\{code\}|482913/);
      // everything else as it was, updated_at included (the stats rollup reads it)
      const { code_hash: _h, code_ciphertext: _c, secrets_erased_at: _s, definition: _d, ...wasRest } = was;
      expect(rest).toEqual(wasRest);
    }
    // the flows not due keep everything: running (its failover needs the code), final for under a day, a code still checkable
    for (const id of [pendingOld, finalRecent, codeStillValid]) expect(after.get(id)).toEqual(before.get(id));
    // steps untouched; the event's payload lost its bodies only
    expect(await stepRows(all)).toEqual(stepsBefore);
    const [event] = await eventRows(all);
    const { payload, ...eventRest } = event;
    const { payload: wasPayload, ...wasEventRest } = eventsBefore[0];
    expect(eventRest).toEqual(wasEventRest);
    const messages = (wasPayload as { messages: Row[] }).messages;
    expect(messages[0]).toMatchObject({ type: 'Sms', body: 'Secret text 1' });
    const emptied = (m: Row) =>
      m.type === 'Sms' ? { ...m, body: '' } : m.type === 'Viber' ? { ...m, body: { ...(m.body as Row), text: '' } } : m;
    expect(payload).toEqual({ ...(wasPayload as Row), messages: messages.map(emptied) });
    // the stored Idempotency-Key answer lost the same bodies, and a repeat is answered with it
    const { response, ...answerRest } = (await storedAnswer())[0];
    const { response: wasResponse, ...wasAnswerRest } = answerBefore;
    expect(answerRest).toEqual(wasAnswerRest);
    const wasMessages = (wasResponse as { messages: Row[] }).messages;
    expect(response).toEqual({ ...(wasResponse as Row), messages: wasMessages.map(emptied) });
    const repeat = await t.http.post('/failover').set(AUTH).set('Idempotency-Key', 'retention-1').send(apiRequest);
    expect(repeat.status).toBe(200);
    expect(repeat.body.trackingId).toBe(apiFlow);
    expect(JSON.stringify(repeat.body)).not.toContain('Secret text');
    // the API still answers: the tracking with empty bodies, the verification as expired
    const read = await t.http.get(`/failover/tracking/${apiFlow}`).set(AUTH);
    expect(read.status).toBe(200);
    expect(read.body.messages[0].body).toBe('');
    expect(JSON.stringify(read.body)).not.toContain('Secret text');
    const verify = await t.http.post('/otp/verify').set(AUTH).send({ id: finalOld[0], code: '482913' });
    expect(verify.status).toBe(200);
    expect(verify.body.verification.status).toBe('expired');
    // a second pass finds nothing
    expect(await store.eraseSecrets(24, BATCH)).toMatchObject({ flows: 0, events: 0, batches: 1 });
  });

  it('after the erasure a check answers as before it: canceled, approved (again), too_many_attempts, expired', async () => {
    const verify = (id: string, code: string) => t.http.post('/otp/verify').set(AUTH).send({ id, code });
    const sendOtp = async (to: string) => {
      const res = await t.http
        .post('/otp/send-failover')
        .set(AUTH)
        .send(failoverRequest(phone(to)));
      expect(res.status).toBe(200);
      return res.body.flowId as string;
    };
    const [canceled, approved, usedUp, plain] = [
      await sendOtp('11'),
      await sendOtp('12'),
      await sendOtp('13'),
      await sendOtp('14'),
    ];
    expect((await t.http.post(`/otp/failover/${canceled}/cancel`).set(AUTH)).status).toBeLessThan(300);
    expect((await verify(approved, '482913')).body.verification.status).toBe('approved');
    for (let i = 0; i < 5; i++) expect((await verify(usedUp, '000000')).body.verification.status).toBe('denied');
    // final a day ago, codes expired (the used-up one's never expires: its answer is too_many_attempts, not expired)
    for (const id of [canceled, approved, plain]) await age(id, 'Succeeded', 25);
    await age(usedUp, 'Failed', 25);
    await t.db.query(`UPDATE flows SET code_expires_at = NULL WHERE id = $1`, [usedUp]);
    const answers = async () => ({
      canceled: (await verify(canceled, '482913')).body.verification.status,
      approved: (await verify(approved, '482913')).body.verification.status,
      approvedWrong: (await verify(approved, '000000')).body.verification.status,
      usedUp: (await verify(usedUp, '482913')).body.verification.status,
      plain: (await verify(plain, '482913')).body.verification.status,
    });
    const expected = {
      canceled: 'canceled',
      approved: 'approved',
      approvedWrong: 'denied',
      usedUp: 'too_many_attempts',
      plain: 'expired',
    };
    expect(await answers()).toEqual(expected);
    expect(await store.eraseSecrets(24, BATCH)).toMatchObject({ flows: 4 });
    const hashes = await t.db.query(`SELECT code_hash FROM flows WHERE id = ANY($1)`, [
      [canceled, approved, usedUp, plain],
    ]);
    expect(hashes.rows.every((r) => r.code_hash === null)).toBe(true);
    // nothing left to compare a code with: an approved flow stays approved, whatever code; the rest as before
    expect(await answers()).toEqual({ ...expected, approvedWrong: 'approved' });
    const attempts = await t.db.query(`SELECT verify_attempts FROM flows WHERE id = $1`, [usedUp]);
    expect(attempts.rows[0].verify_attempts).toBe(5);
  });

  /** a flow written as history: `daysAgo` days old, final, with two steps, a webhook event and an Idempotency-Key */
  async function historicFlow(kind: 'otp' | 'failover', at: Date): Promise<string> {
    const id = randomUUID();
    const definition = [
      { type: 'ViberOtp', to: '306912345601', order: 1, ttl: 60, templateId: 't', senderInfoTrackingId: 's' },
      { type: 'Sms', to: '306912345601', order: 2, ttl: 300, from: 'Acme', message: { body: 'Your code is {code}' } },
    ];
    await t.db.query(
      `INSERT INTO flows (id, kind, status, definition, api_key_id, webhook_state, verification_status, created_at, updated_at)
       VALUES ($1, $2, 'Succeeded', $3, 'test', 'x', CASE WHEN $2 = 'otp' THEN 'approved' END, $4, $4::timestamptz + interval '70 seconds')`,
      [id, kind, JSON.stringify(definition), at],
    );
    for (const [order, role, channel, status] of [
      [1, 'primary', 'viber', 'EXPIRED'],
      [2, 'failover', 'sms', 'Delivered'],
    ] as const)
      await t.db.query(
        `INSERT INTO steps (flow_id, step_order, role, channel, phone_number, status, send_state, price, country, created_at, sent_at, delivered_at)
         VALUES ($1, $2, $3, $4, '306912345601', $5, 'sent', 0.01, 'GR', $6, $6, $6::timestamptz + interval '4 seconds')`,
        [id, order, role, channel, status, new Date(at.getTime() + (order - 1) * 60_000)],
      );
    await t.db.query(
      `INSERT INTO webhook_events (flow_id, type, url, payload, state, created_at) VALUES ($1, 'x', 'http://h/', '{}', 'delivered', $2)`,
      [id, at],
    );
    await t.db.query(
      `INSERT INTO idempotency_records (api_key_id, key, request_hash, flow_id, response_status, response, created_at)
       VALUES ('test', $1::text, 'h', $1::uuid, 200, '{}', $2::timestamptz - interval '1 second')`,
      [id, at],
    );
    return id;
  }

  it('RETENTION_DAYS deletes the older flows with all their rows, in batches, once the stats have counted them', async () => {
    const oldHour = new Date(Math.floor((Date.now() - 40 * DAY) / HOUR) * HOUR);
    const at = (minutes: number) => new Date(oldHour.getTime() + minutes * 60_000);
    const oldOtp: string[] = [];
    const oldApi: string[] = [];
    for (let i = 0; i < 2 * BATCH + 1; i++) oldOtp.push(await historicFlow('otp', at(i * 3)));
    for (let i = 0; i < BATCH + 3; i++) oldApi.push(await historicFlow('failover', at(i * 3 + 1)));
    const kept: string[] = [];
    for (let i = 0; i < 4; i++)
      kept.push(await historicFlow(i % 2 ? 'otp' : 'failover', new Date(Date.now() - 10 * DAY + i * 1000)));
    // every table with a flow_id column (a table added later included), and the foreign keys onto flows
    const tables = (
      await t.db.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'flow_id' ORDER BY 1`,
      )
    ).rows.map((r) => r.table_name);
    expect(tables).toEqual(expect.arrayContaining(['idempotency_records', 'steps', 'webhook_events']));
    const rowsOf = async (ids: string[]) => {
      const counts: Record<string, number> = {};
      for (const table of [...tables, 'flows'])
        counts[table] = (
          await t.db.query(
            `SELECT count(*)::int AS n FROM "${table}" WHERE ${table === 'flows' ? 'id' : 'flow_id'} = ANY($1)`,
            [ids],
          )
        ).rows[0].n;
      return counts;
    };
    const keptBefore = await rowsOf(kept);
    expect(keptBefore).toMatchObject({ flows: 4, steps: 8, webhook_events: 4, idempotency_records: 4 });
    const referencing = (
      await t.db.query<{ table: string; on_delete: string }>(
        `SELECT conrelid::regclass::text AS table, confdeltype AS on_delete FROM pg_constraint WHERE contype = 'f' AND confrelid = 'flows'::regclass`,
      )
    ).rows;
    // any table with a foreign key onto flows goes with them (webhook_events and idempotency_records have none: deleted by hand)
    expect(referencing.filter((r) => r.on_delete !== 'c')).toEqual([]);

    // before the stats rollup has counted their hour, the Failover OTP flows stay; the Failover API's go (the job's run)
    await t.gateway.app.get(RetentionJob).runOnce();
    expect(await rowsOf(oldApi)).toEqual(Object.fromEntries([...tables, 'flows'].map((n) => [n, 0])));
    expect((await rowsOf(oldOtp)).flows).toBe(oldOtp.length);

    // rolled up, they go too, and the stats over whole hours keep their figures
    const to = new Date().toISOString();
    const stats = (from: Date) => t.http.get(`/otp/stats?group_by=day&from=${from.toISOString()}&to=${to}`).set(AUTH);
    while (!(await t.gateway.app.get(StatsStore).rollUp()).caughtUp);
    const wholeBefore = await stats(oldHour);
    expect(wholeBefore.status).toBe(200);
    expect(wholeBefore.body.total.flows).toBe(oldOtp.length + 2);
    const edgeBefore = await stats(at(10));

    const deleted = await store.deleteFlows(30, BATCH);
    // 15 Failover OTP flows in 3 statements; 1 for the Failover API's (none left); 1 for the records (gone with the first run)
    expect(deleted).toMatchObject({ flows: oldOtp.length, events: oldOtp.length, idempotencyRecords: 0, batches: 5 });
    expect(await rowsOf([...oldOtp, ...oldApi])).toEqual(Object.fromEntries([...tables, 'flows'].map((n) => [n, 0])));
    expect(await rowsOf(kept)).toEqual(keptBefore);

    const wholeAfter = await stats(oldHour);
    expect(wholeAfter.status).toBe(200);
    expect(wholeAfter.body).toEqual(wholeBefore.body);
    // the live edge: a window starting inside a deleted hour reads that partial hour from the flows, which are gone
    const edgeAfter = await stats(at(10));
    expect(edgeBefore.body.total.flows).toBe(oldOtp.length - 4 + 2);
    expect(edgeAfter.body.total.flows).toBe(2);
    // nothing left to delete
    expect(await store.deleteFlows(30, BATCH)).toMatchObject({ flows: 0, batches: 3 });
  });
});
