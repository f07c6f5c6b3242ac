import { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/**
 * One SQL statement: its text, the parameters it takes (`$1` … in order) and
 * the rows it answers, as pg hands them over (snake_case columns; uuid, text
 * and bigint as strings, timestamptz as Date, jsonb parsed). The types exist
 * for the compiler only.
 *
 * `name` makes it a named prepared statement: Postgres parses and plans it
 * once per connection instead of on every call (bench: the read behind
 * GET /otp/failover/{id} went from 0.49 to 0.89 of the baseline). A name
 * must always go with the same text. `null` is for a statement whose best
 * plan depends on its values (the deliveries list's patterns): it is parsed
 * and planned on every call.
 */
export interface Statement<Params extends readonly unknown[], Row> {
  readonly name: string | null;
  readonly text: string;
  /** never set: carries Params and Row for the compiler */
  readonly types?: { params: Params; row: Row };
}

export function statement<Params extends readonly unknown[], Row = never>(
  name: string | null,
  text: string,
): Statement<Params, Row> {
  return { name, text };
}

/** any pool connection (the data source) or a transaction's connection (its manager) */
export type Executor = DataSource | EntityManager;

interface PgQueryable {
  query(config: { name?: string; text: string; values: readonly unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * The one way the stores run SQL: the statement's rows, whatever the
 * statement (a SELECT, or an INSERT/UPDATE/DELETE … RETURNING). TypeORM's
 * query runner is skipped: the rows come back as pg gives them.
 */
export async function run<Params extends readonly unknown[], Row>(
  on: Executor,
  sql: Statement<Params, Row>,
  params: Params,
): Promise<Row[]> {
  // a transaction's query runner holds its pg client (protected in TypeORM's typings)
  const client: PgQueryable =
    on instanceof EntityManager
      ? (on.queryRunner as unknown as { databaseConnection: PgQueryable }).databaseConnection
      : (on.driver as PostgresDriver).master;
  const { rows } = await client.query({ name: sql.name ?? undefined, text: sql.text, values: params });
  return rows as Row[];
}
