import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Routee's Failover API on the same tables (issue 14):
 *
 * - flows.kind (`otp` | `failover`: which surface made the flow) and
 *   flows.callback_strategy (the Failover API's `OnStep` | `OnCompletion`);
 * - steps.channel may be `voice`; a Voice step keeps its call's message id
 *   (indexed: a flow is tracked by it too), duration and who answered
 *   (message_id, duration_sec, answered_by);
 * - a flow has 1 to N steps: (flow_id, step_order) is the unique key each
 *   next step's exactly-once claim inserts against, and uq_steps_flow_role
 *   goes (steps 2 to N all have the role `failover`);
 * - create_flow_with_primary takes the kind and the callback strategy, writes
 *   a Failover API flow as `Queued` (no step handed to Routee yet), and
 *   returns the new columns.
 *
 * No rolling upgrade across this migration: the previous version's claim
 * names uq_steps_flow_role (docs/operations.md, "Upgrading").
 */
export class FailoverApi1795600000000 implements MigrationInterface {
  name = 'FailoverApi1795600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "flows" ADD "kind" text NOT NULL DEFAULT 'otp'`);
    await queryRunner.query(`ALTER TABLE "flows" ADD CONSTRAINT "ck_flows_kind" CHECK (kind IN ('otp', 'failover'))`);
    await queryRunner.query(`ALTER TABLE "flows" ADD "callback_strategy" text`);
    await queryRunner.query(
      `ALTER TABLE "flows" ADD CONSTRAINT "ck_flows_callback_strategy" CHECK (callback_strategy IN ('OnStep', 'OnCompletion'))`,
    );
    await queryRunner.query(`ALTER TABLE "steps" DROP CONSTRAINT "ck_steps_channel"`);
    await queryRunner.query(
      `ALTER TABLE "steps" ADD CONSTRAINT "ck_steps_channel" CHECK (channel IN ('viber', 'sms', 'voice'))`,
    );
    await queryRunner.query(`ALTER TABLE "steps" ADD "message_id" text`);
    await queryRunner.query(`ALTER TABLE "steps" ADD "duration_sec" integer`);
    await queryRunner.query(`ALTER TABLE "steps" ADD "answered_by" text`);
    // GET /failover/tracking/{id} takes a call's messageId too
    await queryRunner.query(
      `CREATE INDEX "ix_steps_message_id" ON "steps" ("message_id") WHERE message_id IS NOT NULL`,
    );
    await queryRunner.query(`ALTER TABLE "steps" DROP CONSTRAINT "uq_steps_flow_role"`);
    await queryRunner.query(`DROP FUNCTION create_flow_with_primary(${OLD_SIGNATURE})`);
    await queryRunner.query(CREATE_FUNCTION);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // the Failover API's flows go: the previous version reads neither their steps 3 to N nor Voice
    await queryRunner.query(`DELETE FROM "flows" WHERE kind = 'failover'`);
    await queryRunner.query(`DROP FUNCTION create_flow_with_primary(${OLD_SIGNATURE}, text, text)`);
    await queryRunner.query(`ALTER TABLE "steps" ADD CONSTRAINT "uq_steps_flow_role" UNIQUE ("flow_id", "role")`);
    await queryRunner.query(`DROP INDEX "ix_steps_message_id"`);
    await queryRunner.query(`ALTER TABLE "steps" DROP COLUMN "answered_by"`);
    await queryRunner.query(`ALTER TABLE "steps" DROP COLUMN "duration_sec"`);
    await queryRunner.query(`ALTER TABLE "steps" DROP COLUMN "message_id"`);
    await queryRunner.query(`ALTER TABLE "steps" DROP CONSTRAINT "ck_steps_channel"`);
    await queryRunner.query(
      `ALTER TABLE "steps" ADD CONSTRAINT "ck_steps_channel" CHECK (channel IN ('viber', 'sms'))`,
    );
    await queryRunner.query(`ALTER TABLE "flows" DROP CONSTRAINT "ck_flows_callback_strategy"`);
    await queryRunner.query(`ALTER TABLE "flows" DROP COLUMN "callback_strategy"`);
    await queryRunner.query(`ALTER TABLE "flows" DROP CONSTRAINT "ck_flows_kind"`);
    await queryRunner.query(`ALTER TABLE "flows" DROP COLUMN "kind"`);
    await queryRunner.query(PREVIOUS_FUNCTION);
  }
}

/** the previous function's parameter types, which name it */
const OLD_SIGNATURE = 'uuid, jsonb, boolean, text, text, text, text, text, text, integer, integer, integer';

const FLOW_RESULT = `f_id uuid, f_status text, f_status_code smallint, f_definition jsonb, f_failover_on_delivered boolean, f_callback_url text,
  f_error text, f_api_key_id text, f_next_check_at timestamptz, f_webhook_state text, f_created_at timestamptz, f_updated_at timestamptz`;
const STEP_RESULT = `id uuid, flow_id uuid, step_order integer, role text, channel text, phone_number text, label text, tracking_id text, status text,
  send_state text, send_error text, claimed_until timestamptz, detailed_status text, error_message text, price double precision,
  latency_ms integer, country text, operator text, created_at timestamptz, sent_at timestamptz, delivered_at timestamptz,
  status_updated_at timestamptz, checked_at timestamptz`;
const FLOW_VALUES = `v_flow.id, v_flow.status, v_flow.status_code, v_flow.definition, v_flow.failover_on_delivered, v_flow.callback_url,
    v_flow.error, v_flow.api_key_id, v_flow.next_check_at, v_flow.webhook_state, v_flow.created_at, v_flow.updated_at`;
const STEP_VALUES = `v_step.id, v_step.flow_id, v_step.step_order, v_step.role, v_step.channel, v_step.phone_number, v_step.label, v_step.tracking_id, v_step.status,
    v_step.send_state, v_step.send_error, v_step.claimed_until, v_step.detailed_status, v_step.error_message, v_step.price,
    v_step.latency_ms, v_step.country, v_step.operator, v_step.created_at, v_step.sent_at, v_step.delivered_at,
    v_step.status_updated_at, v_step.checked_at`;
const PHONE_LIMIT = `
  IF p_limit > 0 THEN
    PERFORM pg_advisory_xact_lock(72834620, hashtext(p_phone));
    SELECT ceil(extract(epoch FROM s.created_at + make_interval(secs => p_window_sec) - clock_timestamp()))::int INTO v_retry
      FROM steps s
     WHERE s.role = 'primary' AND s.phone_number = p_phone AND s.created_at > clock_timestamp() - make_interval(secs => p_window_sec)
     ORDER BY s.created_at DESC
    OFFSET p_limit - 1 LIMIT 1;
    IF FOUND THEN
      retry_after_sec := greatest(1, v_retry);
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;`;

function createFunction(kind: 'new' | 'previous'): string {
  const isNew = kind === 'new';
  return `
CREATE FUNCTION create_flow_with_primary(
  p_flow_id uuid, p_definition jsonb, p_failover_on_delivered boolean, p_callback_url text, p_api_key_id text,
  p_channel text, p_phone text, p_label text, p_status text, p_claim_ms integer,
  p_limit integer, p_window_sec integer${isNew ? ', p_kind text, p_callback_strategy text' : ''})
RETURNS TABLE (
  retry_after_sec integer,
  ${FLOW_RESULT},${isNew ? '\n  f_kind text, f_callback_strategy text,' : ''}
  ${STEP_RESULT}${isNew ? ',\n  message_id text, duration_sec integer, answered_by text' : ''})
LANGUAGE plpgsql VOLATILE AS $fn$
#variable_conflict use_column
DECLARE
  v_retry integer;
  v_flow flows;
  v_step steps;
  v_claim timestamptz := clock_timestamp() + make_interval(secs => p_claim_ms / 1000.0);
BEGIN${PHONE_LIMIT}
  INSERT INTO flows AS f (id, status, definition, failover_on_delivered, callback_url, api_key_id, next_check_at${isNew ? ', kind, callback_strategy' : ''})
  VALUES (p_flow_id, ${isNew ? "CASE p_kind WHEN 'failover' THEN 'Queued' ELSE 'InProgress' END" : "'InProgress'"}, p_definition, p_failover_on_delivered,
          p_callback_url, p_api_key_id, v_claim${isNew ? ', p_kind, p_callback_strategy' : ''})
  RETURNING f.* INTO v_flow;
  INSERT INTO steps AS s (flow_id, step_order, role, channel, phone_number, label, status, send_state, claimed_until)
  VALUES (p_flow_id, 1, 'primary', p_channel, p_phone, p_label, p_status, 'sending', v_claim)
  RETURNING s.* INTO v_step;
  RETURN QUERY SELECT NULL::integer,
    ${FLOW_VALUES},${isNew ? '\n    v_flow.kind, v_flow.callback_strategy,' : ''}
    ${STEP_VALUES}${isNew ? ',\n    v_step.message_id, v_step.duration_sec, v_step.answered_by' : ''};
END
$fn$`;
}

/** the function as this migration creates it (migration Verification's down() restores it) */
export const CREATE_FUNCTION = createFunction('new');
/** as migration CreateFlowReturnsRows created it */
const PREVIOUS_FUNCTION = createFunction('previous');
