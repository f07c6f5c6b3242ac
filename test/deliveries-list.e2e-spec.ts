import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { AUTH, resetTables, startTestGateway, type TestGateway } from './support/test-gateway';
import { phone, smsStep } from './support/factories';

/**
 * GET /otp/failover: the deliveries list. Fixtures are written with SQL (the
 * list only reads what is stored); one test sends for real to show that the
 * list does not ask Routee.
 */

interface StepFixture {
  key: string;
  flow: string;
  role: 'primary' | 'failover';
  channel: 'viber' | 'sms';
  phone_number: string;
  label: string | null;
  tracking_id: string | null;
  status: string;
  send_state?: string;
  detailed_status?: string | null;
  error_message?: string | null;
  price?: number | null;
  latency_ms?: number | null;
  country?: string | null;
  operator?: string | null;
  /** minutes before T0 */
  ago: number;
  delivered?: boolean;
}

const T0 = Date.parse('2026-02-16T12:00:00.000Z');
const at = (ago: number) => new Date(T0 - ago * 60_000);
// fixed ids so that the tie-break (id DESC) is known: f7b's primary sorts before f7a's
const FLOWS = {
  f1: 'a1b2c3d4-e5f6-7890-abcd-ef1234567801',
  f2: 'a1b2c3d4-e5f6-7890-abcd-ef1234567802',
  f3: 'a1b2c3d4-e5f6-7890-abcd-ef1234567803',
  f4: 'a1b2c3d4-e5f6-7890-abcd-ef1234567804',
  f5: 'a1b2c3d4-e5f6-7890-abcd-ef1234567805',
  f6: 'a1b2c3d4-e5f6-7890-abcd-ef1234567806',
  f7a: 'a1b2c3d4-e5f6-7890-abcd-ef1234567807',
  f7b: 'a1b2c3d4-e5f6-7890-abcd-ef1234567808',
  f8: 'a1b2c3d4-e5f6-7890-abcd-ef1234567809',
};
const STEP_IDS: Record<string, string> = {
  f7a: '00000000-0000-4000-8000-00000000000a',
  f7b: '00000000-0000-4000-8000-00000000000b',
};

const VIBER_GR = { country: 'GR', operator: null };
const FIXTURES: StepFixture[] = [
  {
    key: 'f1p',
    flow: 'f1',
    role: 'primary',
    channel: 'viber',
    phone_number: '306911110001',
    label: 'login',
    tracking_id: 'trk-f1-viber',
    status: 'EXPIRED',
    detailed_status: 'TTL Expired',
    error_message: 'The TTL of the message has expired.',
    price: 0,
    ...VIBER_GR,
    ago: 60,
  },
  {
    key: 'f1f',
    flow: 'f1',
    role: 'failover',
    channel: 'sms',
    phone_number: '306911110001',
    label: 'login',
    tracking_id: 'trk-f1-sms',
    status: 'Delivered',
    detailed_status: 'Delivered',
    price: 0.0375,
    latency_ms: 3000,
    country: 'GR',
    operator: 'Cosmote',
    ago: 59,
    delivered: true,
  },
  {
    key: 'f2p',
    flow: 'f2',
    role: 'primary',
    channel: 'viber',
    phone_number: '306922220002',
    label: 'signup',
    tracking_id: 'trk-f2-viber',
    status: 'SEEN',
    detailed_status: 'Seen',
    price: 0.0093,
    ...VIBER_GR,
    ago: 50,
    delivered: true,
  },
  {
    key: 'f3p',
    flow: 'f3',
    role: 'primary',
    channel: 'viber',
    phone_number: '306933330003',
    label: 'login-retry',
    tracking_id: 'trk-f3-viber',
    status: 'UNDELIVERED',
    detailed_status: 'Not Viber User',
    error_message: 'The recipient is not a Viber user.',
    price: 0,
    ...VIBER_GR,
    ago: 40,
  },
  {
    key: 'f3f',
    flow: 'f3',
    role: 'failover',
    channel: 'sms',
    phone_number: '306933330003',
    label: 'login-retry',
    tracking_id: 'trk-f3-sms',
    status: 'Undelivered',
    detailed_status: 'Undelivered on Handset',
    error_message: 'The SMS could not be delivered to the handset.',
    price: 0.0375,
    latency_ms: 5000,
    country: 'GR',
    operator: 'Cosmote',
    ago: 39,
  },
  {
    key: 'f4p',
    flow: 'f4',
    role: 'primary',
    channel: 'sms',
    phone_number: '306911110099',
    label: 'checkout-42',
    tracking_id: 'trk-f4-sms',
    status: 'Sent',
    detailed_status: 'Sent',
    price: 0.075,
    ago: 30,
    delivered: true,
  },
  {
    key: 'f5p',
    flow: 'f5',
    role: 'primary',
    channel: 'viber',
    phone_number: '35799123456',
    label: null,
    tracking_id: 'trk-f5-viber',
    status: 'QUEUED',
    ago: 20,
  },
  {
    key: 'f6p',
    flow: 'f6',
    role: 'primary',
    channel: 'viber',
    phone_number: '306944440004',
    label: 'Login',
    tracking_id: 'trk-f6-viber',
    status: 'DELIVERED',
    detailed_status: 'Delivered',
    price: 0.0093,
    ...VIBER_GR,
    ago: 10,
    delivered: true,
  },
  // two deliveries at the same instant: id DESC decides
  {
    key: 'f7a',
    flow: 'f7a',
    role: 'primary',
    channel: 'sms',
    phone_number: '306955550005',
    label: 'promo_50%',
    tracking_id: 'trk-f7a-sms',
    status: 'Queued',
    ago: 5,
  },
  {
    key: 'f7b',
    flow: 'f7b',
    role: 'primary',
    channel: 'sms',
    phone_number: '306955550006',
    label: 'promo-50',
    tracking_id: 'trk-f7b-sms',
    status: 'Queued',
    ago: 5,
  },
  // Routee refused the send: no trackingId
  {
    key: 'f8p',
    flow: 'f8',
    role: 'primary',
    channel: 'viber',
    phone_number: '306966660007',
    label: 'login',
    tracking_id: null,
    status: 'UNSENT',
    send_state: 'failed',
    error_message: 'Insufficient balance',
    ago: 1,
  },
];

/** every fixture, newest first, ties by id descending (f7b's id > f7a's) */
const NEWEST_FIRST = ['f8p', 'f7b', 'f7a', 'f6p', 'f5p', 'f4p', 'f3f', 'f3p', 'f2p', 'f1f', 'f1p'];

const byKey = new Map(FIXTURES.map((f) => [f.key, f]));

async function insertFixtures(db: Client): Promise<void> {
  for (const [name, id] of Object.entries(FLOWS)) {
    const steps = FIXTURES.filter((f) => f.flow === name);
    const definition = steps.map((s, i) => ({
      type: s.channel === 'viber' ? 'ViberOtp' : 'Sms',
      to: s.phone_number,
      order: i + 1,
      ttl: 60,
    }));
    await db.query(
      `INSERT INTO flows (id, status, definition, created_at, updated_at) VALUES ($1, 'InProgress', $2, $3, $3)`,
      [id, JSON.stringify(definition), at(steps[0].ago)],
    );
  }
  for (const f of FIXTURES) {
    const sent = f.tracking_id ? at(f.ago - 0.01) : null;
    await db.query(
      `INSERT INTO steps (id, flow_id, role, channel, phone_number, label, tracking_id, status, send_state, detailed_status, error_message,
                          price, latency_ms, country, operator, created_at, sent_at, delivered_at)
       VALUES (COALESCE($1::uuid, gen_random_uuid()), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
      [
        STEP_IDS[f.key] ?? null,
        FLOWS[f.flow as keyof typeof FLOWS],
        f.role,
        f.channel,
        f.phone_number,
        f.label,
        f.tracking_id,
        f.status,
        f.send_state ?? 'sent',
        f.detailed_status ?? null,
        f.error_message ?? null,
        f.price ?? null,
        f.latency_ms ?? null,
        f.country ?? null,
        f.operator ?? null,
        at(f.ago),
        sent,
        f.delivered ? at(f.ago - 0.05) : null,
      ],
    );
  }
}

const FAILED = new Set(['expired', 'undelivered', 'failed', 'unsent', 'rejected']);

/** the list entry a fixture must come back as (README, "Tracking": unknown fields left out) */
function delivery(key: string): Record<string, unknown> {
  const f = byKey.get(key)!;
  const primary = FIXTURES.find((p) => p.flow === f.flow && p.role === 'primary')!;
  const optional: Record<string, unknown> = {
    price: f.price,
    latency_ms: f.latency_ms,
    country: f.country,
    operator: f.operator,
    created_at: at(f.ago).toISOString(),
    sent_at: f.tracking_id ? at(f.ago - 0.01).toISOString() : null,
    delivered_at: f.delivered ? at(f.ago - 0.05).toISOString() : null,
    detailed_status: f.detailed_status,
    error_message: FAILED.has(f.status.toLowerCase()) ? f.error_message : null,
    label: f.label,
    failover_from_message_token: f.role === 'failover' ? primary.tracking_id : null,
  };
  return {
    flowId: FLOWS[f.flow as keyof typeof FLOWS],
    trackingId: f.tracking_id,
    role: f.role,
    status: f.status,
    channel: f.channel,
    phone_number: f.phone_number,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== null && v !== undefined)),
  };
}

const page = (keys: string[], total: number, limit = 50, offset = 0) => ({
  total,
  total_exact: true,
  limit,
  offset,
  results: keys.map(delivery),
});
const only = (pred: (f: StepFixture) => boolean) => NEWEST_FIRST.filter((k) => pred(byKey.get(k)!));

describe('GET /otp/failover (list deliveries)', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ env: { WORKER_ENABLED: 'false' } });
    await insertFixtures(t.db);
  });
  afterAll(() => t.close());

  const list = (query: string, headers: Record<string, string> = AUTH) =>
    t.http.get(`/otp/failover${query}`).set(headers);

  it('pins the shape of one entry (a failover step with every field known)', async () => {
    const res = await list(`?flow_id=${FLOWS.f1}&limit=1`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      total: 2,
      total_exact: true,
      limit: 1,
      offset: 0,
      results: [
        {
          flowId: FLOWS.f1,
          trackingId: 'trk-f1-sms',
          role: 'failover',
          status: 'Delivered',
          channel: 'sms',
          phone_number: '306911110001',
          price: 0.0375,
          latency_ms: 3000,
          country: 'GR',
          operator: 'Cosmote',
          created_at: '2026-02-16T11:01:00.000Z',
          sent_at: '2026-02-16T11:01:00.600Z',
          delivered_at: '2026-02-16T11:01:03.000Z',
          detailed_status: 'Delivered',
          label: 'login',
          failover_from_message_token: 'trk-f1-viber',
        },
      ],
    });
  });

  it('with no filter: every delivery, newest first, ties broken by id, defaults limit 50 offset 0', async () => {
    const res = await list('');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(page(NEWEST_FIRST, 11));
  });

  it('a refused send is listed with trackingId null and its error', async () => {
    const res = await list(`?flow_id=${FLOWS.f8}`);
    expect(res.body).toEqual(page(['f8p'], 1));
    expect(res.body.results[0]).toEqual({
      flowId: FLOWS.f8,
      trackingId: null,
      role: 'primary',
      status: 'UNSENT',
      channel: 'viber',
      phone_number: '306966660007',
      created_at: '2026-02-16T11:59:00.000Z',
      error_message: 'Insufficient balance',
      label: 'login',
    });
  });

  describe('each filter alone', () => {
    it.each([
      ['status exact, any case: delivered', '?status=delivered', only((f) => f.status.toLowerCase() === 'delivered')],
      ['status exact, any case: QUEUED', '?status=QUEUED', ['f7b', 'f7a', 'f5p']],
      ['status: Undelivered is not Delivered', '?status=Undelivered', ['f3f', 'f3p']],
      ['status: no partial match', '?status=deliver', []],
      ['tag partial, any case', '?tag=LOG', ['f8p', 'f6p', 'f3f', 'f3p', 'f1f', 'f1p']],
      ['tag partial inside the label', '?tag=out-4', ['f4p']],
      ['tag: _ is a literal underscore', '?tag=_', ['f7a']],
      ['tag: % is a literal percent sign', '?tag=%25', ['f7a']],
      ['tag: no label matches nothing', '?tag=nope', []],
      ['phone_number partial', '?phone_number=1111', ['f4p', 'f1f', 'f1p']],
      ['phone_number with a leading + (encoded)', '?phone_number=%2B3069222', ['f2p']],
      ['phone_number with a raw + (decoded as a space)', '?phone_number=+3069222', ['f2p']],
      ['phone_number full', '?phone_number=35799123456', ['f5p']],
      ['flow_id: both deliveries of the flow', `?flow_id=${FLOWS.f3}`, ['f3f', 'f3p']],
      ['flow_id in upper case', `?flow_id=${FLOWS.f3.toUpperCase()}`, ['f3f', 'f3p']],
      ['flow_id unknown', `?flow_id=${randomUUID()}`, []],
      ['an empty text filter is no filter', '?status=&tag=&phone_number=&flow_id=', NEWEST_FIRST],
    ])('%s', async (_name, query, keys) => {
      const res = await list(query);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(page(keys, keys.length));
    });
  });

  describe('filters combined (all must hold)', () => {
    it.each([
      ['status + tag (both any case)', '?status=delivered&tag=login', ['f6p', 'f1f']],
      ['tag + phone_number', '?tag=login&phone_number=3333', ['f3f', 'f3p']],
      ['status + phone_number', '?status=undelivered&phone_number=30693', ['f3f', 'f3p']],
      [
        'status + tag + phone_number + flow_id',
        `?status=EXPIRED&tag=log&phone_number=0001&flow_id=${FLOWS.f1}`,
        ['f1p'],
      ],
      ['flow_id + a status the flow does not have', `?flow_id=${FLOWS.f1}&status=SEEN`, []],
    ])('%s', async (_name, query, keys) => {
      const res = await list(query);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(page(keys, keys.length));
    });
  });

  describe('paging', () => {
    it('limit 1 gives the newest, total counts every match', async () => {
      const res = await list('?limit=1');
      expect(res.body).toEqual(page(['f8p'], 11, 1, 0));
    });

    it('pages of 4 cover the list once, in order, with the tie kept stable', async () => {
      const seen: string[] = [];
      for (const offset of [0, 4, 8]) {
        const res = await list(`?limit=4&offset=${offset}`);
        expect(res.status).toBe(200);
        expect(res.body.total).toBe(11);
        seen.push(
          ...res.body.results.map((r: { trackingId: string | null; flowId: string }) => r.trackingId ?? r.flowId),
        );
      }
      expect(seen).toEqual(NEWEST_FIRST.map((k) => byKey.get(k)!.tracking_id ?? FLOWS.f8));
    });

    it('the last partial page', async () => {
      const res = await list('?limit=4&offset=8');
      expect(res.body).toEqual(page(NEWEST_FIRST.slice(8), 11, 4, 8));
    });

    it('offset at and past the end: no results, the total still counts', async () => {
      expect((await list('?offset=11')).body).toEqual(page([], 11, 50, 11));
      expect((await list('?offset=1000&limit=200')).body).toEqual(page([], 11, 200, 1000));
    });

    it('paging applies after filtering', async () => {
      const res = await list('?tag=log&limit=2&offset=2');
      expect(res.body).toEqual(page(['f3f', 'f3p'], 6, 2, 2));
    });
  });

  describe('422 naming the query parameter', () => {
    it.each([
      ['limit 0', '?limit=0', 'limit', 'min'],
      ['limit 201', '?limit=201', 'limit', 'max'],
      ['limit abc', '?limit=abc', 'limit', 'isInt'],
      ['limit 1.5', '?limit=1.5', 'limit', 'isInt'],
      ['limit empty', '?limit=', 'limit', 'min'],
      ['limit twice', '?limit=1&limit=2', 'limit', 'isInt'],
      ['offset -1', '?offset=-1', 'offset', 'min'],
      ['offset abc', '?offset=abc', 'offset', 'isInt'],
      ['offset beyond any page', '?offset=1e20', 'offset', 'max'],
      ['flow_id not a UUID', '?flow_id=not-a-uuid', 'flow_id', 'isUuid'],
      ['phone_number not digits', '?phone_number=abc', 'phone_number', 'matches'],
      ['phone_number too long', `?phone_number=${'1'.repeat(16)}`, 'phone_number', 'matches'],
      ['status with a NUL byte', '?status=a%00b', 'status', 'matches'],
      ['status too long', `?status=${'x'.repeat(51)}`, 'status', 'maxLength'],
      ['tag too long', `?tag=${'x'.repeat(351)}`, 'tag', 'maxLength'],
      ['tag twice', '?tag=a&tag=b', 'tag', 'isString'],
      ['an unknown parameter', '?colour=red', 'colour', 'extra_forbidden'],
    ])('%s', async (_name, query, field, type) => {
      const res = await list(query);
      expect(res.status).toBe(422);
      expect(res.body).toEqual({ detail: [{ loc: ['query', field], msg: expect.any(String), type }] });
    });
  });

  it('needs a key', async () => {
    expect((await list('', {})).body).toEqual({ detail: 'Missing Bearer credentials' });
    expect((await list('', { Authorization: 'Bearer nope' })).status).toBe(401);
  });

  it('does not ask Routee: the stored status is listed, tracking the flow then refreshes it', async () => {
    const to = phone('00');
    const sent = await t.http
      .post('/otp/send-failover')
      .set(AUTH)
      .send({ flow: [smsStep({ to, order: 1, label: 'list-no-refresh' })] });
    expect(sent.status).toBe(200);
    // the sandbox reports Delivered 200 ms after the send
    await new Promise((r) => setTimeout(r, 400));
    const listed = await list('?tag=list-no-refresh');
    expect(listed.body.results.map((r: { status: string }) => r.status)).toEqual(['Queued']);
    const tracked = await t.http.get(`/otp/failover/${sent.body.flowId}`).set(AUTH);
    expect(tracked.body.steps.map((s: { status: string }) => s.status)).toEqual(['Delivered']);
    const relisted = await list('?tag=list-no-refresh');
    expect(relisted.body.results.map((r: { status: string }) => r.status)).toEqual(['Delivered']);
  });

  describe('limit 200 on more rows than that', () => {
    beforeAll(async () => {
      await resetTables(t.db);
      await t.db.query(
        `WITH f AS (
           INSERT INTO flows (id, status, definition, created_at, updated_at)
           SELECT gen_random_uuid(), 'Succeeded', '[]'::jsonb, $1::timestamptz - g * interval '1 second', now()
           FROM generate_series(1, 205) g
           RETURNING id, created_at)
         INSERT INTO steps (flow_id, role, channel, phone_number, label, tracking_id, status, send_state, created_at)
         SELECT id, 'primary', 'sms', '3069000' || lpad((row_number() OVER (ORDER BY created_at DESC))::text, 5, '0'), 'bulk',
                'bulk-' || row_number() OVER (ORDER BY created_at DESC), 'Delivered', 'sent', created_at
         FROM f`,
        [new Date(T0).toISOString()],
      );
    });

    it('limit 200 returns 200 of 205, newest first', async () => {
      const res = await list('?limit=200');
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(205);
      expect(res.body.limit).toBe(200);
      expect(res.body.results).toHaveLength(200);
      expect(res.body.results.map((r: { trackingId: string }) => r.trackingId)).toEqual(
        Array.from({ length: 200 }, (_, i) => `bulk-${i + 1}`),
      );
      expect(res.body.results[199]).toEqual({
        flowId: expect.any(String),
        trackingId: 'bulk-200',
        role: 'primary',
        status: 'Delivered',
        channel: 'sms',
        phone_number: '306900000200',
        created_at: new Date(T0 - 200_000).toISOString(),
        label: 'bulk',
      });
    });

    it('and the rest on the next page', async () => {
      const res = await list('?limit=200&offset=200');
      expect(res.body.total).toBe(205);
      expect(res.body.results.map((r: { trackingId: string }) => r.trackingId)).toEqual([
        'bulk-201',
        'bulk-202',
        'bulk-203',
        'bulk-204',
        'bulk-205',
      ]);
    });
  });

  describe('total on a broad match: exact up to offset + limit + 1,000, a lower bound beyond', () => {
    const MATCHES = 1_060;
    beforeAll(async () => {
      await resetTables(t.db);
      await t.db.query(
        `WITH f AS (
           INSERT INTO flows (id, status, definition, created_at, updated_at)
           SELECT gen_random_uuid(), 'Succeeded', '[]'::jsonb, now() - g * interval '1 millisecond', now()
           FROM generate_series(1, $1::int) g
           RETURNING id, created_at)
         INSERT INTO steps (flow_id, role, channel, phone_number, label, tracking_id, status, send_state, created_at)
         SELECT id, 'primary', 'sms', '306900000001', 'broad', gen_random_uuid()::text, 'Delivered', 'sent', created_at FROM f`,
        [MATCHES],
      );
    });

    it('counting stops past the bound: total is the bound, total_exact false', async () => {
      const res = await list('?tag=broad&limit=50');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ total: 1_050, total_exact: false, limit: 50, offset: 0 });
      expect(res.body.results).toHaveLength(50);
      expect((await list('?status=delivered&limit=1&offset=5')).body).toMatchObject({
        total: 1_006,
        total_exact: false,
      });
    });

    it('a page whose bound reaches past the last match gets the exact total', async () => {
      expect((await list('?tag=broad&limit=50&offset=10')).body).toMatchObject({ total: MATCHES, total_exact: true });
      const last = await list(`?tag=broad&limit=200&offset=${MATCHES - 10}`);
      expect(last.body).toMatchObject({ total: MATCHES, total_exact: true });
      expect(last.body.results).toHaveLength(10);
    });
  });
});
