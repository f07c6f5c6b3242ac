import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `create_flow_with_primary` (migration CreateFlowFunction) returns the rows
 * it wrote: the flow and its primary step, every column, in the shape of
 * the gateway's flow-with-steps reads (the flow's columns prefixed f_, then
 * the step's), so the caller maps them as any read and keeps no copy of the
 * defaults. The primary is written as step 1 (migration StepOrder). When the
 * number is at its per-phone limit, nothing is written and the one row has
 * only `retry_after_sec`. The limit and its locking are as before.
 *
 * The result's columns change, so the function is dropped and created again
 * (CREATE OR REPLACE cannot change a result type); down() restores the
 * previous one.
 */
export class CreateFlowReturnsRows1795590000000 implements MigrationInterface {
  name = 'CreateFlowReturnsRows1795590000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION create_flow_with_primary(${SIGNATURE})`);
    await queryRunner.query(`
CREATE FUNCTION create_flow_with_primary(
  p_flow_id uuid, p_definition jsonb, p_failover_on_delivered boolean, p_callback_url text, p_api_key_id text,
  p_channel text, p_phone text, p_label text, p_status text, p_claim_ms integer,
  p_limit integer, p_window_sec integer)
RETURNS TABLE (
  retry_after_sec integer,
  f_id uuid, f_status text, f_status_code smallint, f_definition jsonb, f_failover_on_delivered boolean, f_callback_url text,
  f_error text, f_api_key_id text, f_next_check_at timestamptz, f_webhook_state text, f_created_at timestamptz, f_updated_at timestamptz,
  id uuid, flow_id uuid, step_order integer, role text, channel text, phone_number text, label text, tracking_id text, status text,
  send_state text, send_error text, claimed_until timestamptz, detailed_status text, error_message text, price double precision,
  latency_ms integer, country text, operator text, created_at timestamptz, sent_at timestamptz, delivered_at timestamptz,
  status_updated_at timestamptz, checked_at timestamptz)
LANGUAGE plpgsql VOLATILE AS $fn$
#variable_conflict use_column
DECLARE
  v_retry integer;
  v_flow flows;
  v_step steps;
  v_claim timestamptz := clock_timestamp() + make_interval(secs => p_claim_ms / 1000.0);
BEGIN
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
  END IF;
  INSERT INTO flows AS f (id, status, definition, failover_on_delivered, callback_url, api_key_id, next_check_at)
  VALUES (p_flow_id, 'InProgress', p_definition, p_failover_on_delivered, p_callback_url, p_api_key_id, v_claim)
  RETURNING f.* INTO v_flow;
  INSERT INTO steps AS s (flow_id, step_order, role, channel, phone_number, label, status, send_state, claimed_until)
  VALUES (p_flow_id, 1, 'primary', p_channel, p_phone, p_label, p_status, 'sending', v_claim)
  RETURNING s.* INTO v_step;
  RETURN QUERY SELECT NULL::integer,
    v_flow.id, v_flow.status, v_flow.status_code, v_flow.definition, v_flow.failover_on_delivered, v_flow.callback_url,
    v_flow.error, v_flow.api_key_id, v_flow.next_check_at, v_flow.webhook_state, v_flow.created_at, v_flow.updated_at,
    v_step.id, v_step.flow_id, v_step.step_order, v_step.role, v_step.channel, v_step.phone_number, v_step.label, v_step.tracking_id, v_step.status,
    v_step.send_state, v_step.send_error, v_step.claimed_until, v_step.detailed_status, v_step.error_message, v_step.price,
    v_step.latency_ms, v_step.country, v_step.operator, v_step.created_at, v_step.sent_at, v_step.delivered_at,
    v_step.status_updated_at, v_step.checked_at;
END
$fn$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION create_flow_with_primary(${SIGNATURE})`);
    // as migration CreateFlowFunction created it
    await queryRunner.query(`
CREATE OR REPLACE FUNCTION create_flow_with_primary(
  p_flow_id uuid, p_definition jsonb, p_failover_on_delivered boolean, p_callback_url text, p_api_key_id text,
  p_channel text, p_phone text, p_label text, p_status text, p_claim_ms integer,
  p_limit integer, p_window_sec integer)
RETURNS TABLE (step_id uuid, flow_created_at timestamptz, retry_after_sec integer)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_retry integer;
  v_created timestamptz;
  v_step uuid;
  v_claim timestamptz := clock_timestamp() + make_interval(secs => p_claim_ms / 1000.0);
BEGIN
  IF p_limit > 0 THEN
    PERFORM pg_advisory_xact_lock(72834620, hashtext(p_phone));
    SELECT ceil(extract(epoch FROM s.created_at + make_interval(secs => p_window_sec) - clock_timestamp()))::int INTO v_retry
      FROM steps s
     WHERE s.role = 'primary' AND s.phone_number = p_phone AND s.created_at > clock_timestamp() - make_interval(secs => p_window_sec)
     ORDER BY s.created_at DESC
    OFFSET p_limit - 1 LIMIT 1;
    IF FOUND THEN
      RETURN QUERY SELECT NULL::uuid, NULL::timestamptz, greatest(1, v_retry);
      RETURN;
    END IF;
  END IF;
  INSERT INTO flows AS f (id, status, definition, failover_on_delivered, callback_url, api_key_id, next_check_at)
  VALUES (p_flow_id, 'InProgress', p_definition, p_failover_on_delivered, p_callback_url, p_api_key_id, v_claim)
  RETURNING f.created_at INTO v_created;
  INSERT INTO steps AS s (flow_id, role, channel, phone_number, label, status, send_state, claimed_until)
  VALUES (p_flow_id, 'primary', p_channel, p_phone, p_label, p_status, 'sending', v_claim)
  RETURNING s.id INTO v_step;
  RETURN QUERY SELECT v_step, v_created, NULL::integer;
END
$fn$`);
  }
}

/** the parameters' types, which name the function (unchanged) */
const SIGNATURE = 'uuid, jsonb, boolean, text, text, text, text, text, text, integer, integer, integer';
