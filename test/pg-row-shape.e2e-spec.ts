import { Client } from 'pg';
import Result from 'pg/lib/result.js';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { useShapedRows } from '@app/persistence';
import { startTestGateway, type TestGateway } from './support/test-gateway';

type Answer = { rows: Record<string, unknown>[] } & Pick<Result, '_prebuiltEmptyResultObject'>;

/** pg's rows with the empty row built once per column list (pg-row-shape.ts): the same rows as pg's own */
describe('shaped result rows', () => {
  const originalAddFields = Result.prototype.addFields;
  let t: TestGateway;
  let db: Client;
  /** the same statement with pg's own row builder, then with the shaped one (installed once, for the process) */
  const bothWays = async (sql: string) => {
    const patched = Result.prototype.addFields;
    Result.prototype.addFields = originalAddFields;
    const before = (await db.query(sql)) as unknown as Answer;
    Result.prototype.addFields = patched;
    return { before, after: (await db.query(sql)) as unknown as Answer };
  };

  beforeAll(async () => {
    // the gateway installs it (PersistenceModule), for the whole process
    t = await startTestGateway({ env: { WORKER_ENABLED: 'false' } });
    db = new Client({ connectionString: process.env.TEST_DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  it("is installed by the gateway, once, and serves the stores' pool", async () => {
    const installed = Result.prototype.addFields;
    expect(installed).not.toBe(originalAddFields);
    useShapedRows();
    expect(Result.prototype.addFields).toBe(installed);
    const pool = (t.gateway.app.get(DataSource).driver as PostgresDriver).master as {
      query(sql: string): Promise<Answer>;
    };
    const first = await pool.query(`SELECT id, status FROM flows LIMIT 0`);
    const again = await pool.query(`SELECT id, status FROM flows LIMIT 0`);
    expect(again._prebuiltEmptyResultObject).toBe(first._prebuiltEmptyResultObject);
  });

  it.each([
    [
      'types and NULLs',
      `SELECT 1 AS a, 'x'::text AS b, NULL::int AS c, '2026-12-02T00:00:00Z'::timestamptz AS at, '{"k":[1]}'::jsonb AS j`,
    ],
    ['a repeated name (the last value, the first position)', `SELECT 1 AS a, 2 AS b, 3 AS a`],
    ['integer-like names', `SELECT 1 AS "2", 2 AS "1", 3 AS x`],
    // in SQL a quoted name doubles its quotes; U+2028 ends a line in JavaScript source (before ES2019: in strings too)
    ['names that read as code', `SELECT 1 AS "a""}); throw new Error('x'); ({""", 2 AS "\u2028'\\", 3 AS "\${x}"`],
    ['no row', `SELECT 1 AS a WHERE false`],
    ['no column', `SELECT FROM (VALUES (1), (2)) v`],
  ])('answers as pg does: %s', async (_name, sql) => {
    const { before, after } = await bothWays(sql);
    expect(after.rows).toEqual(before.rows);
    for (const [i, row] of after.rows.entries()) {
      expect(Object.keys(row)).toEqual(Object.keys(before.rows[i]));
      expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    }
  });

  it('keeps a column named __proto__ an own property: nothing reaches Object.prototype', async () => {
    const { rows } = await db.query(`SELECT '{"polluted": true}'::jsonb AS "__proto__", 'x' AS constructor`);
    expect(Object.getOwnPropertyNames(rows[0])).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(rows[0], '__proto__')?.value).toEqual({ polluted: true });
  });

  it('builds one empty row per column list', async () => {
    const first = (await db.query(`SELECT 1 AS one, 2 AS two`)) as unknown as Answer;
    const again = (await db.query(`SELECT 3 AS one, 4 AS two`)) as unknown as Answer;
    const other = (await db.query(`SELECT 1 AS two, 2 AS one`)) as unknown as Answer;
    expect(again._prebuiltEmptyResultObject).toBe(first._prebuiltEmptyResultObject);
    expect(other._prebuiltEmptyResultObject).not.toBe(first._prebuiltEmptyResultObject);
    expect(first._prebuiltEmptyResultObject).toEqual({ one: null, two: null });
  });
});
