import { toFailoverTracking } from '@app/engine';
import { FAILOVER_SEARCH_COUNT_AHEAD, FlowStore } from '@app/persistence';
import { DataSource } from 'typeorm';
import { FailoverSearchTable1795700000000 } from '../libs/persistence/src/migrations/1795700000000-FailoverSearchTable';
import { AUTH, startTestGateway, type TestGateway } from './support/test-gateway';

/**
 * POST /failover/tracking: the search of Failover API flows (CONTRACT section 10; Routee's
 * track-multiple-failovers-with-filters-for-a-specific-time-range). Fixtures are written with SQL (the
 * search only reads what is stored); each content item is the flow's tracking object (toFailoverTracking).
 */

const T0 = Date.parse('2026-02-16T12:00:00.000Z');
const at = (ago: number) => new Date(T0 - ago * 60_000);
const SENDER_1 = 'b1a2c3d4-0000-4000-8000-000000000001';
const SENDER_2 = 'b1a2c3d4-0000-4000-8000-000000000002';

type Def = Record<string, unknown>;
const sms = (to: string, from: string, label?: string): Def => ({
  type: 'Sms',
  to,
  ttl: 72_000,
  ...(label !== undefined && { label }),
  failoverOnStatuses: ['Undelivered', 'Failed'],
  from,
  message: { body: 'Your code is 482913' },
});
const viber = (to: string, sender: string, label?: string): Def => ({
  type: 'Viber',
  to,
  ttl: 600,
  ...(label !== undefined && { label }),
  failoverOnStatuses: ['Expired', 'Failed', 'Undelivered'],
  senderInfoTrackingId: sender,
  expireOnDelivery: false,
  message: { text: 'Your code is 482913' },
});
const voice = (to: string, from: string): Def => ({
  type: 'Voice',
  to,
  ttl: 600,
  failoverOnStatuses: ['Busy', 'NoAnswer'],
  from,
  address: { phone: `+${to}` },
  dialPlan: { verbs: [{ type: 'SAY', message: { language: 'en-US', gender: 'female', text: 'Your code' } }] },
});

interface FlowFixture {
  id: string;
  ago: number;
  status: 'Queued' | 'InProgress' | 'Succeeded' | 'Failed';
  statusCode?: number;
  definition: Def[];
  /** the stored steps' statuses, in order (steps 1..n; the rest not sent yet) */
  steps: string[];
  kind?: 'otp' | 'failover';
}

// fixed ids so that the tie-break (id DESC) is known: f2 sorts before f1 (same createdAt)
const F = {
  a: 'a0000000-0000-4000-8000-00000000000a',
  b: 'a0000000-0000-4000-8000-00000000000b',
  c: 'a0000000-0000-4000-8000-00000000000c',
  d: 'a0000000-0000-4000-8000-00000000000d',
  e: 'a0000000-0000-4000-8000-00000000000e',
  f1: 'a0000000-0000-4000-8000-0000000000f1',
  f2: 'a0000000-0000-4000-8000-0000000000f2',
  otp: 'a0000000-0000-4000-8000-0000000000ff',
};
type Key = keyof typeof F;

const FIXTURES: Record<Key, FlowFixture> = {
  // Viber expired, the Sms delivered: ends on Sms
  a: {
    id: F.a,
    ago: 60,
    status: 'Succeeded',
    definition: [viber('306911110001', SENDER_1, 'login'), sms('306911110001', 'Acme', 'login')],
    steps: ['EXPIRED', 'Delivered'],
  },
  // one Sms, undelivered: the last step's failure
  b: {
    id: F.b,
    ago: 50,
    status: 'Failed',
    statusCode: 2,
    definition: [sms('306922220002', 'AcmeBank', 'signup')],
    steps: ['Undelivered'],
  },
  // Sms undelivered, the call completed: ends on Voice
  c: {
    id: F.c,
    ago: 40,
    status: 'Succeeded',
    definition: [sms('306933330003', 'Shop24', 'Password-Reset'), voice('306933330003', '302101234567')],
    steps: ['Undelivered', 'Completed'],
  },
  // in progress on its Viber step; Sms and Voice not reached
  d: {
    id: F.d,
    ago: 30,
    status: 'InProgress',
    definition: [
      viber('35799123456', SENDER_2, 'checkout_50%'),
      sms('35799123456', 'Acme', 'checkout_50%'),
      voice('35799123456', '302101234567'),
    ],
    steps: ['QUEUED'],
  },
  // accepted, step 1 not handed to Routee yet (written with the flow, as create_flow_with_primary does)
  e: { id: F.e, ago: 20, status: 'Queued', definition: [sms('306955550005', 'Acme', 'login')], steps: ['Queued'] },
  // two flows created at the same instant
  f1: {
    id: F.f1,
    ago: 10,
    status: 'Succeeded',
    definition: [viber('306966660006', SENDER_1, 'promo')],
    steps: ['DELIVERED'],
  },
  f2: {
    id: F.f2,
    ago: 10,
    status: 'Failed',
    statusCode: 3,
    definition: [sms('306966660007', 'ACME', 'Login')],
    steps: ['Rejected'],
  },
  // a Failover OTP flow to A's number and label: never in this search
  otp: {
    id: F.otp,
    ago: 5,
    status: 'InProgress',
    kind: 'otp',
    definition: [
      {
        type: 'ViberOtp',
        to: '306911110001',
        ttl: 60,
        label: 'login',
        senderInfoTrackingId: SENDER_1,
        templateId: '0aac888f-2ee2-4112-9659-1755a951966a',
      },
    ],
    steps: ['QUEUED'],
  },
};

/** every Failover API fixture, newest first, ties by id descending */
const NEWEST_FIRST: Key[] = ['f2', 'f1', 'e', 'd', 'c', 'b', 'a'];

async function insertFlow(t: TestGateway, f: FlowFixture): Promise<void> {
  const definition: Def[] = f.definition.map((d, i) => ({ ...d, order: i + 1 }));
  await t.db.query(
    `INSERT INTO flows (id, kind, status, status_code, definition, api_key_id, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, 'key-1', $6, $6)`,
    [f.id, f.kind ?? 'failover', f.status, f.statusCode ?? null, JSON.stringify(definition), at(f.ago)],
  );
  for (const [i, status] of f.steps.entries()) {
    const def = definition[i];
    const channel = def.type === 'Sms' ? 'sms' : def.type === 'Voice' ? 'voice' : 'viber';
    await t.db.query(
      `INSERT INTO steps (flow_id, step_order, role, channel, phone_number, label, tracking_id, status, send_state, price,
                          created_at, sent_at, status_updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'sent', 0.01, $9, $9, $9)`,
      [
        f.id,
        i + 1,
        i === 0 ? 'primary' : 'failover',
        channel,
        def.to as string,
        (def.label as string | undefined) ?? null,
        `trk-${f.id.slice(-2)}-${i + 1}`,
        status,
        at(f.ago - i),
      ],
    );
  }
  // what the engine writes with a final status (migration TerminationChannel): the last step's channel
  await t.db.query(
    `UPDATE flows f SET termination_channel = (SELECT channel FROM steps WHERE flow_id = f.id ORDER BY step_order DESC LIMIT 1)
      WHERE f.id = $1 AND f.status IN ('Succeeded', 'Failed')`,
    [f.id],
  );
}

const filter = (fieldName: string, searchOperator: string, searchTerm: unknown) => ({
  fieldName,
  searchOperator,
  searchTerm,
});

describe('POST /failover/tracking (search Failover flows)', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ env: { WORKER_ENABLED: 'false' } });
    for (const f of Object.values(FIXTURES)) await insertFlow(t, f);
  });
  afterAll(() => t.close());

  const search = (body: unknown, query = '', headers: Record<string, string> = AUTH) =>
    t.http
      .post(`/failover/tracking${query}`)
      .set(headers)
      .send(body as object);
  const ids = (body: { content: { trackingId: string }[] }) => body.content.map((c) => c.trackingId);
  const keys = (...k: Key[]) => k.map((key) => F[key]);
  /** the tracking object each flow must come back as: the one GET /failover/tracking/{id} builds from it */
  const tracking = async (key: Key) => toFailoverTracking((await t.gateway.app.get(FlowStore).load(F[key]))!);

  it('answers the whole page: Spring page keys around the tracking objects, newest first', async () => {
    const res = await search([]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      content: await Promise.all(NEWEST_FIRST.map(tracking)),
      totalPages: 1,
      totalElements: 7,
      number: 0,
      size: 20,
      numberOfElements: 7,
      first: true,
      last: true,
    });
  });

  it('pins the tracking object of one flow (the shape GET /failover/tracking/{id} answers)', async () => {
    const res = await search([filter('trackingId', 'is', F.a)]);
    expect(res.status).toBe(200);
    expect(res.body.content).toHaveLength(1);
    expect(res.body.content[0]).toMatchObject({
      trackingId: F.a,
      status: 'Succeeded',
      statusCode: null,
      terminationChannel: 'Sms',
      originatingService: 'Failover',
      applicationId: 'key-1',
      createdAt: at(60).toISOString(),
      messages: [
        { type: 'Viber', order: 1, to: '+306911110001', from: SENDER_1, label: 'login', status: { name: 'EXPIRED' } },
        { type: 'Sms', order: 2, to: '+306911110001', from: 'Acme', label: 'login', status: { name: 'Delivered' } },
      ],
    });
  });

  it('no body at all reads as no filter', async () => {
    const res = await t.http.post('/failover/tracking').set(AUTH);
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(keys(...NEWEST_FIRST));
  });

  // each field with each operator; case-insensitive terms
  const cases: [string, string, string, Key[]][] = [
    ['to', 'is', '+306911110001', ['a']],
    ['to', 'is', '306911110001', ['a']],
    ['to', 'is_not', '+306911110001', ['f2', 'f1', 'e', 'd', 'c', 'b']],
    ['to', 'contains', '3069', ['f2', 'f1', 'e', 'c', 'b', 'a']],
    ['to', 'contains', '9123', ['d']],
    ['to', 'not_contains', '3069', ['d']],
    ['from', 'is', 'acme', ['f2', 'e', 'd', 'a']],
    ['from', 'is_not', 'Acme', ['f1', 'c', 'b']],
    ['from', 'contains', 'ACME', ['f2', 'e', 'd', 'b', 'a']],
    ['from', 'not_contains', 'acme', ['f1', 'c']],
    ['from', 'is', '302101234567', ['d', 'c']],
    ['type', 'is', 'voice', ['d', 'c']],
    ['type', 'is', 'Viber', ['f1', 'd', 'a']],
    ['type', 'is_not', 'Voice', ['f2', 'f1', 'e', 'b', 'a']],
    ['type', 'contains', 'v', ['f1', 'd', 'c', 'a']],
    ['type', 'not_contains', 'v', ['f2', 'e', 'b']],
    ['type', 'is', 'Fax', []],
    ['status', 'is', 'failed', ['f2', 'b']],
    ['status', 'is', 'QUEUED', ['e']],
    ['status', 'is_not', 'Succeeded', ['f2', 'e', 'd', 'b']],
    ['status', 'contains', 'in', ['d']],
    ['status', 'not_contains', 'e', []],
    ['label', 'is', 'LOGIN', ['f2', 'e', 'a']],
    ['label', 'is_not', 'login', ['f1', 'd', 'c', 'b']],
    ['label', 'contains', 'reset', ['c']],
    ['label', 'not_contains', 'in', ['f1', 'd', 'c', 'b']],
    ['trackingId', 'is', F.c.toUpperCase(), ['c']],
    ['trackingId', 'is', 'trk-0c-1', []],
    ['trackingId', 'is_not', F.c, ['f2', 'f1', 'e', 'd', 'b', 'a']],
    ['trackingId', 'contains', '00000000000', ['e', 'd', 'c', 'b', 'a']],
    ['trackingId', 'not_contains', '-0000000000f', ['e', 'd', 'c', 'b', 'a']],
    ['terminationChannel', 'is', 'Voice', ['c']],
    ['terminationChannel', 'is', 'sms', ['f2', 'b', 'a']],
    ['terminationChannel', 'contains', 'e', ['f1', 'c']],
    ['terminationChannel', 'not_contains', 'e', ['f2', 'e', 'd', 'b', 'a']],
  ];
  it.each(cases)('%s %s %j', async (field, operator, term, expected) => {
    const res = await search([filter(field, operator, term)]);
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(keys(...expected));
    expect(res.body.totalElements).toBe(expected.length);
  });

  it('field names and operators are case-insensitive too', async () => {
    const res = await search([filter('TerminationChannel', 'IS', 'voice')]);
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(keys('c'));
  });

  it("ANDs the filters (Routee's example: to one number, no Voice message)", async () => {
    const both = await search([filter('to', 'is', '+306933330003'), filter('type', 'is_not', 'Voice')]);
    expect(both.status).toBe(200);
    expect(ids(both.body)).toEqual([]);
    const res = await search([filter('from', 'contains', 'acme'), filter('status', 'is', 'Failed')]);
    expect(ids(res.body)).toEqual(keys('f2', 'b'));
  });

  it("takes LIKE's wildcards in a term literally", async () => {
    expect(ids((await search([filter('label', 'contains', '_50%')])).body)).toEqual(keys('d'));
    expect(ids((await search([filter('label', 'contains', '%')])).body)).toEqual(keys('d'));
    expect(ids((await search([filter('label', 'contains', 'l_gin')])).body)).toEqual([]);
  });

  it('pages: number, size, first, last, totalPages, numberOfElements', async () => {
    const p0 = await search([], '?page=0&size=3');
    expect({ ...p0.body, content: ids(p0.body) }).toEqual({
      content: keys('f2', 'f1', 'e'),
      totalPages: 3,
      totalElements: 7,
      number: 0,
      size: 3,
      numberOfElements: 3,
      first: true,
      last: false,
    });
    const p1 = await search([], '?page=1&size=3');
    expect({ ...p1.body, content: ids(p1.body) }).toEqual({
      content: keys('d', 'c', 'b'),
      totalPages: 3,
      totalElements: 7,
      number: 1,
      size: 3,
      numberOfElements: 3,
      first: false,
      last: false,
    });
    const p2 = await search([], '?page=2&size=3');
    expect({ ...p2.body, content: ids(p2.body) }).toEqual({
      content: keys('a'),
      totalPages: 3,
      totalElements: 7,
      number: 2,
      size: 3,
      numberOfElements: 1,
      first: false,
      last: true,
    });
    // past the end: an empty page, still counted
    const p9 = await search([], '?page=9&size=3');
    expect(p9.body).toEqual({
      content: [],
      totalPages: 3,
      totalElements: 7,
      number: 9,
      size: 3,
      numberOfElements: 0,
      first: false,
      last: true,
    });
    // no match at all
    const none = await search([filter('to', 'is', '+30000')]);
    expect(none.body).toMatchObject({ content: [], totalPages: 0, totalElements: 0, first: true, last: true });
  });

  it('orders flows with the same createdAt by trackingId, descending, the same on every page', async () => {
    const first = await search([], '?page=0&size=1');
    const second = await search([], '?page=1&size=1');
    expect(ids(first.body)).toEqual(keys('f2'));
    expect(ids(second.body)).toEqual(keys('f1'));
    for (let i = 0; i < 3; i++) expect(ids((await search([], '?size=2')).body)).toEqual(keys('f2', 'f1'));
  });

  it('DECISION: dateStart is inclusive, dateEnd exclusive (windows tile); an offset-less time is UTC', async () => {
    const from40 = await search([], `?dateStart=${at(40).toISOString()}`);
    expect(ids(from40.body)).toEqual(keys('f2', 'f1', 'e', 'd', 'c'));
    const before20 = await search([], `?dateEnd=${at(20).toISOString()}`);
    expect(ids(before20.body)).toEqual(keys('d', 'c', 'b', 'a'));
    const window = await search(
      [filter('type', 'is', 'Voice')],
      `?dateStart=${at(40).toISOString()}&dateEnd=${at(20).toISOString()}`,
    );
    expect(ids(window.body)).toEqual(keys('d', 'c'));
    // Routee's example format (minutes, Z), an offset, no offset (UTC), a bare date
    expect(ids((await search([], '?dateStart=2026-02-16T11:20Z&dateEnd=2026-02-16T11:40Z')).body)).toEqual(
      keys('d', 'c'),
    );
    expect(ids((await search([], `?dateStart=${encodeURIComponent('2026-02-16T12:20+01:00')}`)).body)).toEqual(
      keys('f2', 'f1', 'e', 'd', 'c'),
    );
    expect(ids((await search([], '?dateStart=2026-02-16T11:50:00')).body)).toEqual(keys('f2', 'f1'));
    expect(ids((await search([], '?dateEnd=2026-02-16')).body)).toEqual([]);
    expect(ids((await search([], '?dateStart=2026-02-16&dateEnd=2026-02-17')).body)).toEqual(keys(...NEWEST_FIRST));
  });

  it('DECISION: to, from, type and label look at every message of the definition, sent or not yet', async () => {
    // D is on its Viber step: its Sms and Voice messages are planned, not sent (its messages[] has one entry)
    const res = await search([filter('type', 'is', 'Voice'), filter('status', 'is', 'InProgress')]);
    expect(ids(res.body)).toEqual(keys('d'));
    expect(res.body.content[0].messages.map((m: { type: string }) => m.type)).toEqual(['Viber']);
    // C's Voice message came after an Sms: any message matches, whatever its order
    expect(
      ids((await search([filter('from', 'is', '302101234567'), filter('label', 'is', 'password-reset')])).body),
    ).toEqual(keys('c'));
  });

  it("DECISION: a Viber message's from is its senderInfoTrackingId (Routee shows a sender name, never known here)", async () => {
    expect(ids((await search([filter('from', 'is', SENDER_1.toUpperCase())])).body)).toEqual(keys('f1', 'a'));
    expect(ids((await search([filter('from', 'contains', '-000000000002')])).body)).toEqual(keys('d'));
  });

  it('DECISION: is_not / not_contains keep exactly the flows is / contains leave out; a flow not ended has no terminationChannel, so it is_not Sms', async () => {
    for (const [field, term] of [
      ['type', 'Voice'],
      ['label', 'login'],
      ['terminationChannel', 'Sms'],
      ['from', 'acme'],
    ]) {
      const is = ids((await search([filter(field, 'is', term)])).body);
      const isNot = ids((await search([filter(field, 'is_not', term)])).body);
      expect([...is, ...isNot].sort()).toEqual(keys(...NEWEST_FIRST).sort());
      expect(is.filter((id) => isNot.includes(id))).toEqual([]);
    }
    expect(ids((await search([filter('terminationChannel', 'is_not', 'Sms')])).body)).toEqual(
      keys('f1', 'e', 'd', 'c'),
    );
  });

  it("DECISION: status, trackingId and terminationChannel are the flow's; trackingId is the flow's id, not a message's", async () => {
    // a message's status is no flow status; a message's id finds nothing (GET /failover/tracking/{id} takes it)
    expect(ids((await search([filter('status', 'is', 'Delivered')])).body)).toEqual([]);
    expect(ids((await search([filter('trackingId', 'is', 'trk-0a-2')])).body)).toEqual([]);
  });

  it("DECISION: the page object has exactly the keys Routee's reference shows (no sort, pageable or empty)", async () => {
    const res = await search([]);
    expect(Object.keys(res.body).sort()).toEqual(
      ['content', 'first', 'last', 'number', 'numberOfElements', 'size', 'totalElements', 'totalPages'].sort(),
    );
  });

  it('reads only: the flows and steps are as they were, and Routee was not asked', async () => {
    const snapshot = async () =>
      (
        await t.db.query(
          `SELECT f.id, f.status, f.updated_at, s.status AS s_status, s.checked_at FROM flows f LEFT JOIN steps s ON s.flow_id = f.id ORDER BY 1, 4`,
        )
      ).rows;
    const before = await snapshot();
    await search([filter('status', 'is', 'InProgress')]);
    await search([]);
    expect(await snapshot()).toEqual(before);
  });

  describe("400 in Routee's platform body, one property per bad field", () => {
    const bad = async (body: unknown, query = '') => {
      const res = await search(body, query);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: '400000000', developerMessage: expect.any(String) });
      return res.body.properties as Record<string, string>;
    };

    it('an unknown field or operator names [i].fieldName / [i].searchOperator', async () => {
      const props = await bad([filter('to', 'is', '+30'), filter('country', 'is', 'GR'), filter('to', 'like', 'x')]);
      expect(Object.keys(props).sort()).toEqual(['[1].fieldName', '[2].searchOperator']);
      expect(props['[1].fieldName']).toBe(
        'must be one of to, from, type, status, label, trackingId, terminationChannel',
      );
      expect(props['[2].searchOperator']).toBe('must be one of is, is_not, contains, not_contains');
    });

    it('a missing, empty, too long or non-string term, or one with control characters, names [i].searchTerm', async () => {
      const props = await bad([
        { fieldName: 'to', searchOperator: 'is' },
        filter('label', 'is', ''),
        filter('label', 'is', 'x'.repeat(351)),
        filter('label', 'is', 42),
        filter('label', 'is', 'a\u0007b'),
        filter('label', 'contains', 'x'.repeat(350)),
      ]);
      expect(props).toEqual({
        '[0].searchTerm': 'must be a string',
        '[1].searchTerm': 'must be 1 to 350 characters',
        '[2].searchTerm': 'must be 1 to 350 characters',
        '[3].searchTerm': 'must be a string',
        '[4].searchTerm': 'must not contain control characters',
      });
    });

    it('a body that is no array, an item that is no object, an unknown key', async () => {
      expect(Object.keys(await bad(filter('to', 'is', '+30')))).toEqual(['body']);
      expect(await bad(['to'])).toEqual({ '[0]': 'must be an object {fieldName, searchOperator, searchTerm}' });
      expect(await bad([{ ...filter('to', 'is', '+30'), extra: 1 }])).toEqual({ '[0].extra': 'unknown property' });
    });

    it('an unreadable dateStart or dateEnd names it; dateEnd before dateStart names dateEnd', async () => {
      for (const value of ['yesterday', '2026-02-30T10:00Z', '2026-02-16T25:00Z', '16/02/2026', '2026-W07']) {
        const props = await bad([], `?dateStart=${encodeURIComponent(value)}`);
        expect(Object.keys(props)).toEqual(['dateStart']);
      }
      expect(Object.keys(await bad([], '?dateEnd=soon'))).toEqual(['dateEnd']);
      expect(await bad([], '?dateStart=2026-02-16T12:00Z&dateEnd=2026-02-16T11:00Z')).toEqual({
        dateEnd: 'must not be before dateStart',
      });
    });

    it('page < 0, size outside 1-200, a non-integer, an unknown parameter name it', async () => {
      expect(Object.keys(await bad([], '?page=-1'))).toEqual(['page']);
      expect(Object.keys(await bad([], '?size=0'))).toEqual(['size']);
      expect(Object.keys(await bad([], '?size=201'))).toEqual(['size']);
      expect(Object.keys(await bad([], '?size=abc'))).toEqual(['size']);
      expect(Object.keys(await bad([], '?page=1.5'))).toEqual(['page']);
      expect(Object.keys(await bad([], '?sort=createdAt'))).toEqual(['sort']);
      expect((await search([], '?size=200')).status).toBe(200);
    });
  });

  it('is documented in the OpenAPI document: query, body and answer, each field with a description and an example', async () => {
    const doc = (await t.http.get('/docs-json')).body;
    const op = doc.paths['/failover/tracking'].post;
    expect(op.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['dateEnd', 'dateStart', 'page', 'size']);
    for (const p of op.parameters)
      expect(p).toMatchObject({ in: 'query', required: false, description: expect.any(String) });
    expect(Object.keys(op.requestBody.content['application/json'].examples)).toHaveLength(4);
    const missing: string[] = [];
    for (const name of ['FailoverSearchFilterDto', 'FailoverSearchPageDto']) {
      const schema = doc.components.schemas[name] as { properties: Record<string, { description?: string }> };
      for (const [field, prop] of Object.entries(schema.properties)) {
        if (!prop.description) missing.push(`${name}.${field} description`);
        if (!('example' in prop)) missing.push(`${name}.${field} example`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('migration FailoverSearchTable: down() puts the indexes back on flows, up() moves them again and fills the table from the flows there', async () => {
    const objects = async () =>
      (
        await t.db.query(
          `SELECT name FROM (SELECT indexname AS name FROM pg_indexes
                              WHERE (indexname LIKE 'ix_flows_failover%' AND indexname <> 'ix_flows_failover_termination_created_at')
                                 OR tablename = 'failover_search'
             UNION ALL SELECT stxname FROM pg_statistic_ext WHERE stxname LIKE 'st_flows_%' OR stxname LIKE 'st_failover_search%'
             UNION ALL SELECT proname FROM pg_proc WHERE proname LIKE 'failover_search%'
             UNION ALL SELECT tgname FROM pg_trigger WHERE tgname = 'tr_flows_failover_search') o ORDER BY name`,
        )
      ).rows.map((r: { name: string }) => r.name);
    const made = await objects();
    expect(made).toEqual([
      'failover_search_insert',
      'failover_search_pkey',
      'failover_search_row',
      'failover_search_text',
      'ix_failover_search_created_at',
      'ix_failover_search_from_text',
      'ix_failover_search_id_text',
      'ix_failover_search_label_text',
      'ix_failover_search_to_numbers',
      'ix_failover_search_to_text',
      'ix_failover_search_types',
      'ix_flows_failover_created_at_id',
      'ix_flows_failover_status_created_at',
      'st_failover_search_id_text',
      'tr_flows_failover_search',
    ]);
    // one row a Failover API flow, none for the Failover OTP flow
    const { rows } = await t.db.query(
      `SELECT flow_id::text AS id FROM failover_search ORDER BY created_at DESC, flow_id DESC`,
    );
    expect(rows.map((r: { id: string }) => r.id)).toEqual(NEWEST_FIRST.map((k) => F[k]));
    const before = (await search([filter('label', 'contains', 'reset')])).body;
    const migration = new FailoverSearchTable1795700000000();
    const runner = t.gateway.app.get(DataSource).createQueryRunner();
    try {
      await runner.startTransaction();
      await migration.down(runner);
      await runner.commitTransaction();
      // FailoverSearchIndexes' objects, as that migration left them
      expect(await objects()).toEqual([
        'failover_search_text',
        'ix_flows_failover_created_at_id',
        'ix_flows_failover_from_trgm',
        'ix_flows_failover_id_trgm',
        'ix_flows_failover_label_trgm',
        'ix_flows_failover_status_created_at',
        'ix_flows_failover_to',
        'ix_flows_failover_to_trgm',
        'ix_flows_failover_type',
        'st_flows_failover_from',
        'st_flows_failover_label',
        'st_flows_failover_to',
        'st_flows_failover_to_values',
        'st_flows_failover_type',
        'st_flows_id_text',
      ]);
      await runner.startTransaction();
      await migration.up(runner);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    expect(await objects()).toEqual(made);
    // the flows written before the table existed are found through it
    expect((await search([filter('label', 'contains', 'reset')])).body).toEqual(before);
    expect(ids((await search([])).body)).toEqual(NEWEST_FIRST.map((k) => F[k]));
    expect(ids((await search([filter('to', 'is', '+306911110001')])).body)).toEqual(keys('a'));
  });

  describe('auth', () => {
    it('no Bearer credentials: 403; an unknown key: 401 (platform body)', async () => {
      const none = await t.http.post('/failover/tracking').send([]);
      expect(none.status).toBe(403);
      expect(none.body).toEqual({ code: '403000000', developerMessage: 'Missing Bearer credentials' });
      const wrong = await search([], '', { Authorization: 'Bearer not-a-key' });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual({ code: '401000000', developerMessage: 'Invalid or expired Bearer token' });
    });
  });

  describe('DECISION: totalElements is counted up to 200 past the end of the page, a lower bound beyond', () => {
    const MANY = 1_100;
    const OLD = `dateEnd=${at(1000).toISOString()}`;

    beforeAll(async () => {
      await t.db.query(
        `INSERT INTO flows (id, kind, status, definition, created_at, updated_at)
         SELECT gen_random_uuid(), 'failover', 'Queued', '[{"type":"Sms","to":"306900000000","order":1,"ttl":60,"from":"Bulk","message":{"body":"x"}}]',
                $1::timestamptz - g * interval '1 second', $1::timestamptz
           FROM generate_series(1, ${MANY}) g`,
        [at(1000)],
      );
      await t.db.query(
        `INSERT INTO steps (flow_id, step_order, role, channel, phone_number, status, send_state, created_at)
         SELECT id, 1, 'primary', 'sms', '306900000000', 'Queued', 'sending', created_at FROM flows WHERE created_at < $1`,
        [at(1000)],
      );
    });

    it('page 0 of 20: at least 220, not the last page; the bound moves on with the page; the last page counts them all', async () => {
      const p0 = await search([], `?${OLD}`);
      expect(p0.body).toMatchObject({
        totalElements: 20 + FAILOVER_SEARCH_COUNT_AHEAD,
        totalPages: 11,
        numberOfElements: 20,
        first: true,
        last: false,
      });
      const p10 = await search([], `?${OLD}&page=10`);
      expect(p10.body).toMatchObject({ totalElements: 220 + FAILOVER_SEARCH_COUNT_AHEAD, totalPages: 21, last: false });
      const end = await search([], `?${OLD}&page=54`);
      expect(end.body).toMatchObject({ totalElements: MANY, totalPages: 55, numberOfElements: 20, last: true });
      // a filter the extra flows do not match is exact again
      expect((await search([filter('from', 'is', 'Acme')], '')).body.totalElements).toBe(4);
    });
  });
});
