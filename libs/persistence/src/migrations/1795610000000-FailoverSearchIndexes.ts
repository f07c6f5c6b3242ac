import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes behind POST /failover/tracking (the Failover API's search),
 * checked with EXPLAIN ANALYZE at 1M Failover API flows (docs/failover-search.md).
 * Those on flows are partial on `kind = 'failover'`: the search never reads
 * Failover OTP flows.
 *
 * - failover_search_text(definition, field): the `to`, `from` (a Viber
 *   message's senderInfoTrackingId) or `label` of every message of the
 *   definition, as a lower-cased JSON array's text (`["login", "signup"]`).
 *   A SQL function of one expression, which Postgres inlines (in the query and
 *   in the index alike): a walk over the newest flows pays ~2 µs a row for it,
 *   where a function with a FROM (jsonb_array_elements) cost 12–20 µs.
 *   pg_trgm GIN on each: `contains` (`LIKE '%term%'`) and, for from and label,
 *   `is` (`LIKE '%"term"%'`: one whole JSON string) of three characters or more;
 * - extended statistics on the same expressions: an index over trigrams
 *   gathers no usable statistics of its own (its key type is integer), and
 *   without them the planner took '%3069%' (every phone number) for 1 % of the
 *   rows and read 1M index entries (290 ms) instead of the newest flows (2 ms);
 * - GIN jsonb_path_ops on the definition's `to` values, and statistics on
 *   them: `to is` one number. Through trigrams it read the lists of the
 *   trigrams every number shares (`306`, `069`: 26 ms); by value it is 0.2 ms.
 *   Without the statistics the planner took a number for 1 % of the flows and
 *   walked all 1M of them (1.6 s);
 * - GIN jsonb_path_ops on the definition's `type` values (2.4 MB), and
 *   statistics on them: a type few flows hold is read from it; a common one
 *   walks the order below (and terminationChannel tests it before a probe);
 * - (created_at DESC, id DESC): the order (newest first, id breaks ties), read
 *   from the index and stopped at the page, for no filter, the negated
 *   operators and common terms;
 * - (status, created_at DESC, id DESC): the flow's status;
 * - pg_trgm GIN on id::text: `trackingId contains` (`is` uses the primary key).
 *   (terminationChannel has its own column and index: migration TerminationChannel.)
 *
 * Built inside the migration's transaction (writes to flows and steps wait
 * meanwhile, ~1 min at 1M flows); IF NOT EXISTS lets an operator build the
 * indexes beforehand with CREATE INDEX CONCURRENTLY (same names and
 * definitions), as for DeliveryListIndexes.
 */
export class FailoverSearchIndexes1795610000000 implements MigrationInterface {
  name = 'FailoverSearchIndexes1795610000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await queryRunner.query(SEARCH_TEXT_FUNCTION);
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "ix_flows_failover_created_at_id" ON "flows" ("created_at" DESC, "id" DESC) WHERE kind = 'failover'`,
    );
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "ix_flows_failover_status_created_at" ON "flows" ("status", "created_at" DESC, "id" DESC) WHERE kind = 'failover'`,
    );
    for (const field of TEXT_FIELDS) {
      await queryRunner.query(
        `CREATE INDEX IF NOT EXISTS "ix_flows_failover_${field}_trgm" ON "flows" USING gin (failover_search_text("definition", '${field}') gin_trgm_ops) WHERE kind = 'failover'`,
      );
      await queryRunner.query(
        `CREATE STATISTICS IF NOT EXISTS "st_flows_failover_${field}" ON (failover_search_text("definition", '${field}')) FROM "flows"`,
      );
    }
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "ix_flows_failover_to" ON "flows" USING gin (jsonb_path_query_array("definition", '$[*].to') jsonb_path_ops) WHERE kind = 'failover'`,
    );
    await queryRunner.query(
      `CREATE STATISTICS IF NOT EXISTS "st_flows_failover_to_values" ON (jsonb_path_query_array("definition", '$[*].to')) FROM "flows"`,
    );
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "ix_flows_failover_type" ON "flows" USING gin (jsonb_path_query_array("definition", '$[*].type') jsonb_path_ops) WHERE kind = 'failover'`,
    );
    await queryRunner.query(
      `CREATE STATISTICS IF NOT EXISTS "st_flows_failover_type" ON (jsonb_path_query_array("definition", '$[*].type')) FROM "flows"`,
    );
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "ix_flows_failover_id_trgm" ON "flows" USING gin (("id"::text) gin_trgm_ops) WHERE kind = 'failover'`,
    );
    await queryRunner.query(`CREATE STATISTICS IF NOT EXISTS "st_flows_id_text" ON (("id"::text)) FROM "flows"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP STATISTICS "public"."st_flows_id_text"`);
    await queryRunner.query(`DROP INDEX "public"."ix_flows_failover_id_trgm"`);
    await queryRunner.query(`DROP STATISTICS "public"."st_flows_failover_type"`);
    await queryRunner.query(`DROP INDEX "public"."ix_flows_failover_type"`);
    await queryRunner.query(`DROP STATISTICS "public"."st_flows_failover_to_values"`);
    await queryRunner.query(`DROP INDEX "public"."ix_flows_failover_to"`);
    for (const field of [...TEXT_FIELDS].reverse()) {
      await queryRunner.query(`DROP STATISTICS "public"."st_flows_failover_${field}"`);
      await queryRunner.query(`DROP INDEX "public"."ix_flows_failover_${field}_trgm"`);
    }
    await queryRunner.query(`DROP INDEX "public"."ix_flows_failover_status_created_at"`);
    await queryRunner.query(`DROP INDEX "public"."ix_flows_failover_created_at_id"`);
    await queryRunner.query(`DROP FUNCTION failover_search_text(jsonb, text)`);
    // pg_trgm stays: the deliveries list's indexes use it (DeliveryListIndexes)
  }
}

const TEXT_FIELDS = ['to', 'from', 'label'] as const;

/**
 * One field of every message of a definition, lower-cased: the text of a JSON
 * array of strings (`[]` when no message has it). `from` is a Viber message's
 * senderInfoTrackingId (the sender's name, which Routee shows, is never known
 * here). One SELECT of one expression, not STRICT, immutable builtins only: the
 * conditions for Postgres to inline it.
 */
const SEARCH_TEXT_FUNCTION = `
CREATE OR REPLACE FUNCTION failover_search_text(p_definition jsonb, p_field text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT lower(CASE p_field
    WHEN 'to' THEN jsonb_path_query_array(p_definition, '$[*].to')
    WHEN 'label' THEN jsonb_path_query_array(p_definition, '$[*].label')
    WHEN 'from' THEN jsonb_path_query_array(p_definition, '$[*].from') || jsonb_path_query_array(p_definition, '$[*].senderInfoTrackingId')
  END::text)
$fn$`;
