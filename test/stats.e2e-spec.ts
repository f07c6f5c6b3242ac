import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ROLLUP_LOCK, StatsStore } from '../libs/persistence/src';
import { StatsRollup1795660000000 } from '../libs/persistence/src/migrations/1795660000000-StatsRollup';
import { PartialIndexesOffTheKeyPath1795820000000 } from '../libs/persistence/src/migrations/1795820000000-PartialIndexesOffTheKeyPath';
import { AUTH, startTestGateway, type TestGateway } from './support/test-gateway';

/**
 * GET /otp/stats over a fixture written with SQL (the stats only read what is
 * stored): ten Failover OTP flows over two UTC days whose figures are worked
 * out by hand below, and flows just outside the window or of the other kind.
 */

interface StepFixture {
  channel: 'viber' | 'sms';
  status: string;
  send_state?: 'sent' | 'failed';
  price: number | null;
  country: string | null;
  /** seconds after the flow was created; the failover is sent 60 s in */
  deliveredAfter?: number;
}

interface FlowFixture {
  /** the flow's created_at */
  at: string;
  /** the definition's step types: a failover defined or not */
  definition: ('ViberOtp' | 'Sms')[];
  primary: StepFixture;
  failover?: StepFixture;
  verification: 'pending' | 'approved' | 'canceled';
  /** seconds after created_at */
  verifiedAfter?: number;
  failoverOnDelivered?: boolean;
  kind?: 'otp' | 'failover';
}

const VS: FlowFixture['definition'] = ['ViberOtp', 'Sms'];
const SV: FlowFixture['definition'] = ['Sms', 'ViberOtp'];

/*
 * The hand-computed figures (ttd: time to deliver, ttv: time to verify, in seconds):
 * f1  viber GR SEEN (ttd 2), approved at 10 s: delivered, verified; not saved (the user read it)
 * f2  viber GR EXPIRED → SMS GR Delivered (ttd 4), approved at 70 s: a failover sent
 * f3  viber GR EXPIRED, approved at 30 s before the SMS went: an SMS saved
 * f4  viber CY DELIVERED (ttd 3) with failoverOnDelivered, approved at 20 s: an SMS saved
 * f5  viber CY DELIVERED (ttd 1) without it, approved at 40 s: no SMS would have gone, not saved
 * f6  sms (country unknown) Sent, no delivery time: delivered, no ttd; pending
 * f7  sms RO Undelivered → Viber RO DELIVERED (ttd 6): a failover sent; pending
 * f8  viber GR UNDELIVERED → SMS GR Undelivered: a failover sent, not delivered; pending
 * f9  viber GR SENT, one step only (no failover defined), approved at 15 s: not saved
 * f10 viber (unknown) refused by Routee (UNSENT, send failed), canceled: no message sent
 * f1-f5 on 2026-02-15 (f1 exactly at the window's start), f6-f10 on 2026-02-16.
 */
const FIXTURE: Record<string, FlowFixture> = {
  f1: {
    at: '2026-02-15T00:00:00.000Z',
    definition: VS,
    primary: { channel: 'viber', status: 'SEEN', price: 0.0093, country: 'GR', deliveredAfter: 2 },
    verification: 'approved',
    verifiedAfter: 10,
  },
  f2: {
    at: '2026-02-15T01:00:00.000Z',
    definition: VS,
    primary: { channel: 'viber', status: 'EXPIRED', price: 0, country: 'GR' },
    failover: { channel: 'sms', status: 'Delivered', price: 0.0375, country: 'GR', deliveredAfter: 64 },
    verification: 'approved',
    verifiedAfter: 70,
  },
  f3: {
    at: '2026-02-15T02:00:00.000Z',
    definition: VS,
    primary: { channel: 'viber', status: 'EXPIRED', price: 0, country: 'GR' },
    verification: 'approved',
    verifiedAfter: 30,
  },
  f4: {
    at: '2026-02-15T03:00:00.000Z',
    definition: VS,
    primary: { channel: 'viber', status: 'DELIVERED', price: 0.0093, country: 'CY', deliveredAfter: 3 },
    verification: 'approved',
    verifiedAfter: 20,
    failoverOnDelivered: true,
  },
  f5: {
    at: '2026-02-15T23:59:59.999Z',
    definition: VS,
    primary: { channel: 'viber', status: 'DELIVERED', price: 0.0093, country: 'CY', deliveredAfter: 1 },
    verification: 'approved',
    verifiedAfter: 40,
  },
  f6: {
    at: '2026-02-16T00:00:00.000Z',
    definition: SV,
    primary: { channel: 'sms', status: 'Sent', price: 0.05, country: null },
    verification: 'pending',
  },
  f7: {
    at: '2026-02-16T01:00:00.000Z',
    definition: SV,
    primary: { channel: 'sms', status: 'Undelivered', price: 0.05, country: 'RO' },
    failover: { channel: 'viber', status: 'DELIVERED', price: 0.0093, country: 'RO', deliveredAfter: 66 },
    verification: 'pending',
  },
  f8: {
    at: '2026-02-16T02:00:00.000Z',
    definition: VS,
    primary: { channel: 'viber', status: 'UNDELIVERED', price: 0, country: 'GR' },
    failover: { channel: 'sms', status: 'Undelivered', price: 0.0375, country: 'GR' },
    verification: 'pending',
  },
  f9: {
    at: '2026-02-16T03:00:00.000Z',
    definition: ['ViberOtp'],
    primary: { channel: 'viber', status: 'SENT', price: null, country: 'GR' },
    verification: 'approved',
    verifiedAfter: 15,
  },
  f10: {
    at: '2026-02-16T23:59:59.999Z',
    definition: VS,
    primary: { channel: 'viber', status: 'UNSENT', send_state: 'failed', price: null, country: null },
    verification: 'canceled',
  },
  // outside: created at the window's end (exclusive), a millisecond before its start, and a Failover API flow
  atTheEnd: {
    at: '2026-02-17T00:00:00.000Z',
    definition: VS,
    primary: { channel: 'viber', status: 'SEEN', price: 1, country: 'GR', deliveredAfter: 1 },
    verification: 'approved',
    verifiedAfter: 1,
  },
  justBefore: {
    at: '2026-02-14T23:59:59.999Z',
    definition: VS,
    primary: { channel: 'viber', status: 'SEEN', price: 1, country: 'GR', deliveredAfter: 1 },
    verification: 'approved',
    verifiedAfter: 1,
  },
  failoverApi: {
    at: '2026-02-15T12:00:00.000Z',
    definition: VS,
    primary: { channel: 'viber', status: 'SEEN', price: 1, country: 'GR', deliveredAfter: 1 },
    verification: 'pending',
    kind: 'failover',
  },
};

const WINDOW = 'from=2026-02-15T00:00Z&to=2026-02-17T00:00Z';

const plus = (iso: string, sec: number) => new Date(Date.parse(iso) + sec * 1000);

async function insertFlow(db: Client, f: FlowFixture): Promise<void> {
  const id = randomUUID();
  const definition = f.definition.map((type, i) => ({ type, to: '306912345678', order: i + 1, ttl: 60 }));
  await db.query(
    `INSERT INTO flows (id, kind, status, definition, failover_on_delivered, verification_status, verified_at, created_at, updated_at)
     VALUES ($1, $2, 'Succeeded', $3, $4, $5, $6, $7, $7)`,
    [
      id,
      f.kind ?? 'otp',
      JSON.stringify(definition),
      f.failoverOnDelivered ?? false,
      f.kind === 'failover' ? null : f.verification,
      f.verifiedAfter === undefined ? null : plus(f.at, f.verifiedAfter),
      new Date(f.at),
    ],
  );
  for (const [order, s] of [f.primary, f.failover].entries()) {
    if (!s) continue;
    const sentAt = plus(f.at, order === 0 ? 0 : 60);
    const sent = (s.send_state ?? 'sent') === 'sent';
    await db.query(
      `INSERT INTO steps (flow_id, step_order, role, channel, phone_number, status, send_state, price, country, created_at, sent_at, delivered_at)
       VALUES ($1, $2, $3, $4, '306912345678', $5, $6, $7, $8, $9, $10, $11)`,
      [
        id,
        order + 1,
        order === 0 ? 'primary' : 'failover',
        s.channel,
        s.status,
        s.send_state ?? 'sent',
        s.price,
        s.country,
        sentAt,
        sent ? sentAt : null,
        s.deliveredAfter === undefined ? null : plus(f.at, s.deliveredAfter),
      ],
    );
  }
}

/** a group's figures as the answer carries them */
function figures(
  flows: number,
  viber: number,
  sms: number,
  delivered: number,
  verified: number,
  failovers: number,
  smsSaved: number,
  ttd: number | null,
  ttv: number | null,
  cost: number,
) {
  const round = (n: number, d: number) => Number(n.toFixed(d));
  return {
    flows,
    messages: { viber, sms },
    delivered,
    verified,
    conversion: round(verified / flows, 4),
    failover_rate: round(failovers / flows, 4),
    sms_saved: smsSaved,
    median_time_to_deliver_sec: ttd,
    median_time_to_verify_sec: ttv,
    cost,
    cost_per_verified: verified ? round(cost / verified, 6) : null,
  };
}

// the whole window, worked out from the table above
const TOTAL = figures(10, 8, 4, 6, 6, 3, 2, 3, 25, 0.2122);

describe('GET /otp/stats', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ env: { WORKER_ENABLED: 'false' } });
    for (const f of Object.values(FIXTURE)) await insertFlow(t.db, f);
  });
  afterAll(() => t.close());

  const stats = (query: string, headers: Record<string, string> = AUTH) =>
    t.http.get(`/otp/stats${query}`).set(headers);

  it('by channel (the default): the primary step channel', async () => {
    const res = await stats(`?${WINDOW}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      from: '2026-02-15T00:00:00.000Z',
      to: '2026-02-17T00:00:00.000Z',
      group_by: 'channel',
      groups: [
        { key: 'sms', ...figures(2, 1, 2, 2, 0, 1, 0, 6, null, 0.1093) },
        { key: 'viber', ...figures(8, 7, 2, 4, 6, 2, 2, 2.5, 25, 0.1029) },
      ],
      total: TOTAL,
    });
    // the ratios, as an integrator reads them
    expect(res.body.total).toMatchObject({ conversion: 0.6, failover_rate: 0.3, cost_per_verified: 0.035367 });
    expect((await stats(`?${WINDOW}&group_by=channel`)).body).toEqual(res.body);
    // an empty value (what a form sends for an unset field) is the default, like leaving it out
    expect((await stats(`?${WINDOW}&group_by=`)).body).toEqual(res.body);
  });

  it('by country: the primary step country, unknown when Routee gave none', async () => {
    const res = await stats(`?${WINDOW}&group_by=country`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      from: '2026-02-15T00:00:00.000Z',
      to: '2026-02-17T00:00:00.000Z',
      group_by: 'country',
      groups: [
        { key: 'CY', ...figures(2, 2, 0, 2, 2, 0, 1, 2, 30, 0.0186) },
        { key: 'GR', ...figures(5, 5, 2, 2, 4, 2, 1, 3, 22.5, 0.0843) },
        { key: 'RO', ...figures(1, 1, 1, 1, 0, 1, 0, 6, null, 0.0593) },
        { key: 'unknown', ...figures(2, 0, 1, 1, 0, 0, 0, null, null, 0.05) },
      ],
      total: TOTAL,
    });
  });

  it('by day: the UTC day of created_at', async () => {
    const res = await stats(`?${WINDOW}&group_by=day`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      from: '2026-02-15T00:00:00.000Z',
      to: '2026-02-17T00:00:00.000Z',
      group_by: 'day',
      groups: [
        { key: '2026-02-15', ...figures(5, 5, 1, 4, 5, 1, 2, 2.5, 30, 0.0654) },
        { key: '2026-02-16', ...figures(5, 3, 3, 2, 1, 2, 0, 6, 15, 0.1468) },
      ],
      total: TOTAL,
    });
  });

  describe('the window [from, to)', () => {
    it('includes a flow created at from and excludes one created at to', async () => {
      // the window moved by a millisecond: f1 (at the old from) drops out, the flow at the old to comes in
      const res = await stats('?from=2026-02-15T00:00:00.001Z&to=2026-02-17T00:00:00.001Z');
      expect(res.body.total).toMatchObject({ flows: 10, verified: 6 });
      expect((await stats('?from=2026-02-15T00:00:00.001Z&to=2026-02-17T00:00Z')).body.total.flows).toBe(9);
    });

    it('a day: only that day s flows; offsets are read', async () => {
      const res = await stats('?from=2026-02-16T02:00%2B02:00&to=2026-02-17T02:00%2B02:00&group_by=day');
      expect(res.body).toMatchObject({
        from: '2026-02-16T00:00:00.000Z',
        to: '2026-02-17T00:00:00.000Z',
        groups: [{ key: '2026-02-16', flows: 5 }],
      });
    });

    it('no flow in the window: no group, a total of zeros', async () => {
      const res = await stats('?from=2025-01-01T00:00Z&to=2025-01-02T00:00Z');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        from: '2025-01-01T00:00:00.000Z',
        to: '2025-01-02T00:00:00.000Z',
        group_by: 'channel',
        groups: [],
        total: {
          flows: 0,
          messages: { viber: 0, sms: 0 },
          delivered: 0,
          verified: 0,
          conversion: 0,
          failover_rate: 0,
          sms_saved: 0,
          median_time_to_deliver_sec: null,
          median_time_to_verify_sec: null,
          cost: 0,
          cost_per_verified: null,
        },
      });
    });

    it('defaults: to is now, from 7 days before to', async () => {
      const recent = new Date(Date.now() - 3_600_000).toISOString();
      const old = new Date(Date.now() - 8 * 86_400_000).toISOString();
      await insertFlow(t.db, { ...FIXTURE.f1, at: recent });
      await insertFlow(t.db, { ...FIXTURE.f1, at: old });
      const before = Date.now();
      const res = await stats('');
      expect(res.status).toBe(200);
      const to = Date.parse(res.body.to);
      expect(to).toBeGreaterThanOrEqual(before);
      expect(to).toBeLessThanOrEqual(Date.now());
      expect(Date.parse(res.body.from)).toBe(to - 7 * 86_400_000);
      expect(res.body.total).toEqual(figures(1, 1, 0, 1, 1, 0, 0, 2, 10, 0.0093));
      // to alone: the 7 days before it (f1-f5 and the flow a millisecond before the 15th)
      const week = await stats('?to=2026-02-16T00:00Z');
      expect(week.body).toMatchObject({ from: '2026-02-09T00:00:00.000Z', total: { flows: 6 } });
      // from alone: up to now (f1-f10, the flow at 2026-02-17 and both just inserted)
      expect((await stats('?from=2026-02-15T00:00Z')).body.total.flows).toBe(13);
    });
  });

  describe('422 naming the query parameter', () => {
    it('an unknown group_by', async () => {
      const res = await stats('?group_by=week');
      expect(res.status).toBe(422);
      expect(res.body).toEqual({
        detail: [{ loc: ['query', 'group_by'], msg: 'group_by must be one of channel, country, day', type: 'isIn' }],
      });
    });

    it.each([
      ['group_by twice', '?group_by=day&group_by=country', 'group_by', 'isIn'],
      ['group_by in capitals', '?group_by=Channel', 'group_by', 'isIn'],
      ['from not a date', '?from=yesterday', 'from', 'isIsoInstant'],
      ['from a day that does not exist', '?from=2026-02-30', 'from', 'isIsoInstant'],
      ['to twice', '?to=2026-02-16&to=2026-02-17', 'to', 'isString'],
      ['to before from', '?from=2026-02-16T00:00Z&to=2026-02-15T00:00Z', 'to', 'isAfterFrom'],
      ['to equal to from', '?from=2026-02-16T00:00Z&to=2026-02-16T00:00Z', 'to', 'isAfterFrom'],
      ['from in the future, to absent (now)', '?from=2999-01-01T00:00Z', 'from', 'isBeforeNow'],
      ['an unknown parameter', '?channel=viber', 'channel', 'extra_forbidden'],
    ])('%s', async (_name, query, field, type) => {
      const res = await stats(query);
      expect(res.status).toBe(422);
      expect(res.body).toEqual({ detail: [{ loc: ['query', field], msg: expect.any(String), type }] });
    });
  });

  describe('the rollup (StatsStore.rollUp, the worker once a minute)', () => {
    const QUERIES = [
      `?${WINDOW}`,
      `?${WINDOW}&group_by=country`,
      `?${WINDOW}&group_by=day`,
      // partial hours at both ends: read from the flows, the whole hours between from the rollup
      '?from=2026-02-15T00:30Z&to=2026-02-16T02:30Z',
      '?from=2026-02-15T00:30Z&to=2026-02-16T02:30Z&group_by=day',
      '?from=2026-02-15T00:00:00.001Z&to=2026-02-17T00:00:00.001Z&group_by=country',
    ];
    const answers = () => Promise.all(QUERIES.map(async (q) => (await stats(q)).body));
    const rollUp = () => t.gateway.app.get(StatsStore).rollUp();
    // the fixture's flows are written with updated_at = created_at; these hours' flows as the engine writes them
    const writtenNow = (hour: number) =>
      t.db.query(
        `UPDATE flows SET updated_at = now() WHERE created_at >= $1 AND created_at < $1::timestamptz + interval '1 hour'`,
        [new Date(hour)],
      );
    const rolledRows = async () => (await t.db.query(`SELECT count(*)::int AS n FROM stats_hours`)).rows[0].n;

    it('rolled up, every answer is the same as read from the flows, and it is read from the rollup', async () => {
      const before = await answers();
      expect(await rolledRows()).toBe(0);
      const first = await rollUp();
      expect(first).toMatchObject({ ran: true, changed: 0, caughtUp: true });
      expect(first.added).toBeGreaterThan(24 * 2);
      // one row per hour, channel and country that has flows
      expect(await rolledRows()).toBeGreaterThan(10);
      expect(await answers()).toEqual(before);
      // a run with nothing new writes the open hour again (up to 30 seconds ago), nothing else
      expect(await rollUp()).toEqual({ ran: true, changed: 0, added: 1, caughtUp: true });

      // a figure changed in the rollup alone shows: the answer is the rollup's, whole days from stats_days,
      // whole hours from stats_hours, the rest from the flows
      await t.db.query(
        `UPDATE stats_days SET flows = flows + 100 WHERE day = '2026-02-15T00:00Z' AND channel = 'viber' AND country = 'GR'`,
      );
      await t.db.query(`UPDATE stats_hours SET flows = flows + 10 WHERE hour = '2026-02-15T01:00Z'`);
      expect((await stats(`?${WINDOW}`)).body.total.flows).toBe(110);
      expect((await stats('?from=2026-02-15T00:30Z&to=2026-02-17T00:00Z')).body.total.flows).toBe(19);
      expect((await stats('?from=2026-02-15T01:30Z&to=2026-02-17T00:00Z')).body.total.flows).toBe(8);
      await t.db.query(
        `UPDATE stats_days SET flows = flows - 100 WHERE day = '2026-02-15T00:00Z' AND channel = 'viber' AND country = 'GR'`,
      );
      await t.db.query(`UPDATE stats_hours SET flows = flows - 10 WHERE hour = '2026-02-15T01:00Z'`);
    });

    it('a flow written after its hour was rolled up is counted again at the next run', async () => {
      const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000;
      const at = new Date(hour + 60_000).toISOString();
      await insertFlow(t.db, { ...FIXTURE.f6, at });
      await writtenNow(hour);
      const window = `?from=${new Date(hour).toISOString()}&to=${new Date(hour + 3_600_000).toISOString()}`;
      await rollUp();
      expect((await stats(window)).body.total).toMatchObject({ flows: 1, verified: 0 });
      await t.db.query(
        `UPDATE flows SET verification_status = 'approved', verified_at = created_at + interval '12 seconds', updated_at = now()
          WHERE created_at = $1`,
        [at],
      );
      // the rollup still has the old figures until it runs
      expect((await stats(window)).body.total).toMatchObject({ flows: 1, verified: 0 });
      expect(await rollUp()).toMatchObject({ ran: true, changed: 1 });
      expect((await stats(window)).body.total).toMatchObject({ flows: 1, verified: 1, median_time_to_verify_sec: 12 });
    });

    it('times in one bin (two significant digits) give the median of the bin: its mean, within the bin', async () => {
      const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 5 * 3_600_000;
      const window = `?from=${new Date(hour).toISOString()}&to=${new Date(hour + 3_600_000).toISOString()}`;
      // 10.0, 10.1 and 10.4 s: one bin (10); the exact median is 10.1, the bin's mean 10.1667
      for (const [i, verifiedAfter] of [10, 10.1, 10.4].entries())
        await insertFlow(t.db, { ...FIXTURE.f1, at: new Date(hour + (i + 1) * 60_000).toISOString(), verifiedAfter });
      await writtenNow(hour);
      // a window inside the hour is read from the flows: their exact times
      const inside = `?from=${new Date(hour + 1).toISOString()}&to=${new Date(hour + 3_600_000).toISOString()}`;
      expect((await stats(inside)).body.total.median_time_to_verify_sec).toBe(10.1);
      await rollUp();
      expect((await stats(window)).body.total.median_time_to_verify_sec).toBe(10.167);
    });

    it('the open hour is rolled up to 30 seconds ago; flows written since are read from the flows', async () => {
      const now = Date.now();
      const hour = Math.floor((now - 60_000) / 3_600_000) * 3_600_000;
      const window = `?from=${new Date(hour).toISOString()}&to=${new Date(now + 60_000).toISOString()}`;
      const before = (await stats(window)).body.total.flows;
      await insertFlow(t.db, { ...FIXTURE.f1, at: new Date(now - 60_000).toISOString() });
      await insertFlow(t.db, { ...FIXTURE.f1, at: new Date(now - 5_000).toISOString() });
      await writtenNow(hour);
      await rollUp();
      const { rows } = await t.db.query(`SELECT rolled_through FROM stats_rollup`);
      expect(rows[0].rolled_through.getTime()).toBeGreaterThan(now - 60_000);
      expect(rows[0].rolled_through.getTime()).toBeLessThan(now - 5_000);
      expect((await stats(window)).body.total.flows).toBe(before + 2);
      // the one a minute old is read from the rollup (a change there shows), the other from the flows
      const tampered = await t.db.query(
        `UPDATE stats_hours SET flows = flows + 100 WHERE hour = $1 AND channel = 'viber' AND country = 'GR'`,
        [new Date(hour)],
      );
      expect(tampered.rowCount).toBe(1);
      expect((await stats(window)).body.total.flows).toBe(before + 102);
      await rollUp();
      expect((await stats(window)).body.total.flows).toBe(before + 2);
    });

    it('one run at a time: while another holds the lock, a run does nothing', async () => {
      const other = t.gateway.app.get(DataSource).createQueryRunner();
      try {
        await other.startTransaction();
        await other.query(`SELECT pg_advisory_xact_lock($1)`, [ROLLUP_LOCK]);
        expect(await rollUp()).toEqual({ ran: false, changed: 0, added: 0, caughtUp: false });
        await other.commitTransaction();
      } finally {
        await other.release();
      }
      expect((await rollUp()).ran).toBe(true);
    });

    it('migration StatsRollup: down() drops the rollup and restores the covering indexes, up() again; figures unchanged', async () => {
      const before = await answers();
      const objects = async () =>
        (
          await t.db.query(
            `SELECT relname FROM pg_class WHERE relname IN ('stats_hours', 'stats_days', 'stats_rollup', 'ix_flows_otp_created_at',
                    'ix_flows_otp_stats', 'ix_steps_primary_stats', 'ix_steps_failover_stats') ORDER BY relname`,
          )
        ).rows.map((r: { relname: string }) => r.relname);
      expect(await objects()).toEqual(['ix_flows_otp_created_at', 'stats_days', 'stats_hours', 'stats_rollup']);
      const migration = new StatsRollup1795660000000();
      // a later migration redefines ix_flows_otp_created_at: undone first, done again last, so that the schema is
      // left as the migrations leave it for the suites after this one
      const later = new PartialIndexesOffTheKeyPath1795820000000();
      const runner = t.gateway.app.get(DataSource).createQueryRunner();
      try {
        await runner.startTransaction();
        await later.down(runner);
        await migration.down(runner);
        await runner.commitTransaction();
        expect(await objects()).toEqual(['ix_flows_otp_stats', 'ix_steps_failover_stats', 'ix_steps_primary_stats']);
        await runner.startTransaction();
        await migration.up(runner);
        await later.up(runner);
        await runner.commitTransaction();
      } finally {
        await runner.release();
      }
      expect(await objects()).toEqual(['ix_flows_otp_created_at', 'stats_days', 'stats_hours', 'stats_rollup']);
      // an empty rollup again: everything from the flows, then rolled up anew
      expect(await answers()).toEqual(before);
      await rollUp();
      expect(await answers()).toEqual(before);
    });
  });

  it('needs a key', async () => {
    const none = await stats(`?${WINDOW}`, {});
    expect(none.status).toBe(403);
    expect(none.body).toEqual({ detail: 'Missing Bearer credentials' });
    const wrong = await stats(`?${WINDOW}`, { Authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ detail: 'Invalid or expired Bearer token' });
  });
});
