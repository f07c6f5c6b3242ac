import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The Failover API search's texts in a table of their own, written once per
 * flow, with the search's GIN indexes moved there from flows.
 *
 * On flows those indexes took a new entry for every row version, and a
 * Failover API flow is updated about three times (status, steps, final
 * status); no update is HOT, since each changes an indexed column. Six GIN
 * indexes (pg_trgm on to, from, label and the id; jsonb on to and type) took
 * every version, and the backend that overflowed a pending list flushed it
 * (~185 ms) in the middle of a send. A message's recipients, senders, labels
 * and types never change after the flow is written, so `failover_search` is
 * insert-only: an AFTER INSERT trigger on flows writes its row, ON DELETE
 * CASCADE removes it with the flow. Its values are plain columns, which
 * Postgres gathers ordinary statistics on (the expression indexes needed
 * extended statistics) and which cost nothing to read in a walk over the
 * newest flows (failover_search_text cost ~2 µs a row there).
 *
 * flows keeps (created_at DESC, id DESC), (status, …) and (termination_channel,
 * …): the filters on what changes. Built inside the migration's transaction
 * (a minute or so at 1M Failover API flows; writes to flows wait meanwhile).
 */
export class FailoverSearchTable1795700000000 implements MigrationInterface {
  name = 'FailoverSearchTable1795700000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
CREATE TABLE "failover_search" (
  "flow_id" uuid PRIMARY KEY REFERENCES "flows" ("id") ON DELETE CASCADE,
  "created_at" timestamptz NOT NULL,
  "to_numbers" jsonb NOT NULL,
  "types" jsonb NOT NULL,
  "to_text" text NOT NULL,
  "from_text" text NOT NULL,
  "label_text" text NOT NULL
)`);
    await queryRunner.query(ROW_FUNCTION);
    await queryRunner.query(TRIGGER_FUNCTION);
    await queryRunner.query(
      `CREATE TRIGGER "tr_flows_failover_search" AFTER INSERT ON "flows" FOR EACH ROW WHEN (NEW.kind = 'failover') EXECUTE FUNCTION failover_search_insert()`,
    );
    await queryRunner.query(
      `INSERT INTO failover_search SELECT r.* FROM flows f, failover_search_row(f.id, f.created_at, f.definition) r WHERE f.kind = 'failover'`,
    );
    for (const [table, field] of OLD_TEXT_INDEXES) {
      await queryRunner.query(`DROP STATISTICS IF EXISTS "public"."st_flows_failover_${field}"`);
      await queryRunner.query(`DROP INDEX IF EXISTS "public"."${table}"`);
    }
    await queryRunner.query(`DROP STATISTICS IF EXISTS "public"."st_flows_failover_to_values"`);
    await queryRunner.query(`DROP STATISTICS IF EXISTS "public"."st_flows_failover_type"`);
    await queryRunner.query(`DROP STATISTICS IF EXISTS "public"."st_flows_id_text"`);
    await queryRunner.query(`DROP INDEX IF EXISTS "public"."ix_flows_failover_to"`);
    await queryRunner.query(`DROP INDEX IF EXISTS "public"."ix_flows_failover_type"`);
    await queryRunner.query(`DROP INDEX IF EXISTS "public"."ix_flows_failover_id_trgm"`);
    for (const index of NEW_INDEXES) await queryRunner.query(index);
    // the id's text is an expression: its statistics are extended ones (an index over trigrams gathers none usable)
    await queryRunner.query(
      `CREATE STATISTICS "st_failover_search_id_text" ON (("flow_id"::text)) FROM "failover_search"`,
    );
    await queryRunner.query(`ANALYZE "failover_search"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "tr_flows_failover_search" ON "flows"`);
    await queryRunner.query(`DROP FUNCTION failover_search_insert()`);
    await queryRunner.query(`DROP FUNCTION failover_search_row(uuid, timestamptz, jsonb)`);
    await queryRunner.query(`DROP TABLE "failover_search"`);
    // FailoverSearchIndexes' indexes and statistics on flows, as that migration made them
    for (const [table, field] of OLD_TEXT_INDEXES) {
      await queryRunner.query(
        `CREATE INDEX "${table}" ON "flows" USING gin (failover_search_text("definition", '${field}') gin_trgm_ops) WHERE kind = 'failover'`,
      );
      await queryRunner.query(
        `CREATE STATISTICS "st_flows_failover_${field}" ON (failover_search_text("definition", '${field}')) FROM "flows"`,
      );
    }
    await queryRunner.query(
      `CREATE INDEX "ix_flows_failover_to" ON "flows" USING gin (jsonb_path_query_array("definition", '$[*].to') jsonb_path_ops) WHERE kind = 'failover'`,
    );
    await queryRunner.query(
      `CREATE STATISTICS "st_flows_failover_to_values" ON (jsonb_path_query_array("definition", '$[*].to')) FROM "flows"`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_flows_failover_type" ON "flows" USING gin (jsonb_path_query_array("definition", '$[*].type') jsonb_path_ops) WHERE kind = 'failover'`,
    );
    await queryRunner.query(
      `CREATE STATISTICS "st_flows_failover_type" ON (jsonb_path_query_array("definition", '$[*].type')) FROM "flows"`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_flows_failover_id_trgm" ON "flows" USING gin (("id"::text) gin_trgm_ops) WHERE kind = 'failover'`,
    );
    await queryRunner.query(`CREATE STATISTICS "st_flows_id_text" ON (("id"::text)) FROM "flows"`);
  }
}

const OLD_TEXT_INDEXES = [
  ['ix_flows_failover_to_trgm', 'to'],
  ['ix_flows_failover_from_trgm', 'from'],
  ['ix_flows_failover_label_trgm', 'label'],
] as const;

/**
 * The search's indexes (docs/failover-search.md has their plans at 1M flows):
 * the order (newest first, the id breaking ties) for no filter, the negated
 * operators and common terms; pg_trgm for `contains` (and, for from and label,
 * `is`: one whole JSON string `"term"` within the array's text); jsonb_path_ops
 * for `to is` (one number by value: through trigrams it read the lists every
 * number shares) and for `type`; pg_trgm on the id's text for `trackingId contains`.
 */
const NEW_INDEXES = [
  `CREATE INDEX "ix_failover_search_created_at" ON "failover_search" ("created_at" DESC, "flow_id" DESC)`,
  `CREATE INDEX "ix_failover_search_to_text" ON "failover_search" USING gin ("to_text" gin_trgm_ops)`,
  `CREATE INDEX "ix_failover_search_from_text" ON "failover_search" USING gin ("from_text" gin_trgm_ops)`,
  `CREATE INDEX "ix_failover_search_label_text" ON "failover_search" USING gin ("label_text" gin_trgm_ops)`,
  `CREATE INDEX "ix_failover_search_to_numbers" ON "failover_search" USING gin ("to_numbers" jsonb_path_ops)`,
  `CREATE INDEX "ix_failover_search_types" ON "failover_search" USING gin ("types" jsonb_path_ops)`,
  `CREATE INDEX "ix_failover_search_id_text" ON "failover_search" USING gin (("flow_id"::text) gin_trgm_ops)`,
];

/**
 * A flow's search row from its definition: every message's `to` (digits) and
 * `type` as JSON arrays, and the lower-cased text of the arrays of its `to`,
 * senders (Sms and Voice `from`, Viber `senderInfoTrackingId`) and labels
 * (failover_search_text, migration FailoverSearchIndexes). The trigger and the
 * backfill share it (and the bench's bulk load).
 */
const ROW_FUNCTION = `
CREATE FUNCTION failover_search_row(p_flow_id uuid, p_created_at timestamptz, p_definition jsonb) RETURNS failover_search
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT p_flow_id, p_created_at,
         jsonb_path_query_array(p_definition, '$[*].to'), jsonb_path_query_array(p_definition, '$[*].type'),
         failover_search_text(p_definition, 'to'), failover_search_text(p_definition, 'from'),
         failover_search_text(p_definition, 'label')
$fn$`;

const TRIGGER_FUNCTION = `
CREATE FUNCTION failover_search_insert() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO failover_search SELECT * FROM failover_search_row(NEW.id, NEW.created_at, NEW.definition);
  RETURN NULL;
END
$fn$`;
