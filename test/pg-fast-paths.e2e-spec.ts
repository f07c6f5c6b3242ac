import { Client } from 'pg';
import Result from 'pg/lib/result.js';
import utils from 'pg/lib/utils.js';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { useCheapQueryConfigs, useShapedRows } from '@app/persistence';
import { startTestGateway, type TestGateway } from './support/test-gateway';

type Answer = { rows: Record<string, unknown>[] } & Pick<Result, '_prebuiltEmptyResultObject'>;

// pg's own, before the gateway replaces them (libs/persistence/src/pg)
const originalAddFields = Result.prototype.addFields;
const originalNormalize = utils.normalizeQueryConfig;

describe("pg's fast paths", () => {
  let t: TestGateway;
  let db: Client;
  beforeAll(async () => {
    // the gateway installs them (PersistenceModule), for the whole process
    t = await startTestGateway({ env: { WORKER_ENABLED: 'false' } });
    db = new Client({ connectionString: process.env.TEST_DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  /** pg's rows with each column list's row built by one function (persistence/src/pg/row-shape.ts): the same rows as pg's own */
  describe('shaped result rows', () => {
    /** the same statement with pg's own row builder, then with the shaped one (installed once, for the process) */
    const bothWays = async (sql: string) => {
      const patched = Result.prototype.addFields;
      Result.prototype.addFields = originalAddFields;
      const before = (await db.query(sql)) as unknown as Answer;
      Result.prototype.addFields = patched;
      return { before, after: (await db.query(sql)) as unknown as Answer };
    };

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

  /** pg's copy of a query's config, a spread for an object literal (persistence/src/pg/query-config.ts) */
  describe('cheap query configs', () => {
    const callback = () => undefined;
    const forms: [string, () => [Record<string, unknown>, unknown?, unknown?]][] = [
      ['the config alone', () => [{ name: 'n', text: 'SELECT $1', values: [1] }]],
      ['with values', () => [{ text: 'SELECT $1' }, [2]]],
      ['with a callback for values', () => [{ text: 'SELECT 1', rowMode: 'array' }, callback]],
      ['with values and a callback', () => [{ text: 'SELECT $1' }, [3], callback]],
    ];

    it('is installed by the gateway, once', () => {
      const installed = utils.normalizeQueryConfig;
      expect(installed).not.toBe(originalNormalize);
      useCheapQueryConfigs();
      expect(utils.normalizeQueryConfig).toBe(installed);
    });

    it.each(forms)("copies as pg does, leaving the caller's object as it was: %s", (_name, args) => {
      const [config, values, callback] = args();
      const before = { ...config };
      const copy = utils.normalizeQueryConfig(config, values, callback);
      expect(copy).toEqual(originalNormalize(args()[0], values, callback));
      expect(copy).not.toBe(config);
      expect(config).toEqual(before);
    });

    it("leaves a config of a class, with its accessors, to pg's copy", () => {
      class Named {
        get text() {
          return 'SELECT 1';
        }
      }
      const copy = utils.normalizeQueryConfig(new Named() as unknown as Record<string, unknown>, [1]);
      expect(copy).toBeInstanceOf(Named);
      expect(copy.text).toBe('SELECT 1');
      expect(copy.values).toEqual([1]);
    });

    it('leaves a string to pg', () => {
      expect(utils.normalizeQueryConfig('SELECT 1', [1])).toEqual({ text: 'SELECT 1', values: [1] });
    });
  });
});
