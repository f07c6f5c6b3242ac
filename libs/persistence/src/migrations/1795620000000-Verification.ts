import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CREATE_FUNCTION as FAILOVER_API_FUNCTION } from './1795600000000-FailoverApi';

/**
 * Code verification (CONTRACT section 11, issue 15): a flow keeps the HMAC
 * of its code (`code_hash`, never the code), until when it may be checked
 * (`code_expires_at`), how many checks were made (`verify_attempts`, counted
 * in Postgres so the bound is exact across replicas), and where it stands
 * (`verification_status`: pending, approved or canceled; NULL when the flow
 * has no code, as Failover API flows) with `verified_at`; and the code
 * itself, sealed (`code_ciphertext`, AES-256-GCM under a key derived from
 * CODE_SECRET) for the steps still to send, erased once the flow is final.
 *
 * create_flow_with_primary writes the first four with the flow and returns
 * the new columns (it is dropped and created again: its result changes).
 */
export class Verification1795620000000 implements MigrationInterface {
  name = 'Verification1795620000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "flows" ADD "code_hash" text`);
    await queryRunner.query(`ALTER TABLE "flows" ADD "code_expires_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "flows" ADD "verify_attempts" integer NOT NULL DEFAULT 0`);
    await queryRunner.query(`ALTER TABLE "flows" ADD "verification_status" text`);
    await queryRunner.query(`ALTER TABLE "flows" ADD "verified_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "flows" ADD "code_ciphertext" text`);
    await queryRunner.query(
      `ALTER TABLE "flows" ADD CONSTRAINT "ck_flows_verification_status" CHECK (verification_status IN ('pending', 'approved', 'canceled'))`,
    );
    await queryRunner.query(`DROP FUNCTION create_flow_with_primary(${PREVIOUS_SIGNATURE})`);
    await queryRunner.query(FUNCTION);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION create_flow_with_primary(${PREVIOUS_SIGNATURE}, text, timestamptz, text)`);
    await queryRunner.query(`ALTER TABLE "flows" DROP CONSTRAINT "ck_flows_verification_status"`);
    for (const column of [
      'code_ciphertext',
      'verified_at',
      'verification_status',
      'verify_attempts',
      'code_expires_at',
      'code_hash',
    ])
      await queryRunner.query(`ALTER TABLE "flows" DROP COLUMN "${column}"`);
    await queryRunner.query(FAILOVER_API_FUNCTION);
  }
}

/** the function's parameter types after migration FailoverApi */
const PREVIOUS_SIGNATURE =
  'uuid, jsonb, boolean, text, text, text, text, text, text, integer, integer, integer, text, text';

const FUNCTION = `
CREATE FUNCTION create_flow_with_primary(
  p_flow_id uuid, p_definition jsonb, p_failover_on_delivered boolean, p_callback_url text, p_api_key_id text,
  p_channel text, p_phone text, p_label text, p_status text, p_claim_ms integer,
  p_limit integer, p_window_sec integer, p_kind text, p_callback_strategy text,
  p_code_hash text, p_code_expires_at timestamptz, p_code_ciphertext text)
RETURNS TABLE (
  retry_after_sec integer,
  f_id uuid, f_status text, f_status_code smallint, f_definition jsonb, f_failover_on_delivered boolean, f_callback_url text,
  f_error text, f_api_key_id text, f_next_check_at timestamptz, f_webhook_state text, f_created_at timestamptz, f_updated_at timestamptz,
  f_kind text, f_callback_strategy text,
  f_code_hash text, f_code_expires_at timestamptz, f_verify_attempts integer, f_verification_status text, f_verified_at timestamptz,
  f_code_ciphertext text,
  id uuid, flow_id uuid, step_order integer, role text, channel text, phone_number text, label text, tracking_id text, status text,
  send_state text, send_error text, claimed_until timestamptz, detailed_status text, error_message text, price double precision,
  latency_ms integer, country text, operator text, created_at timestamptz, sent_at timestamptz, delivered_at timestamptz,
  status_updated_at timestamptz, checked_at timestamptz,
  message_id text, duration_sec integer, answered_by text)
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
  INSERT INTO flows AS f (id, status, definition, failover_on_delivered, callback_url, api_key_id, next_check_at, kind, callback_strategy,
                          code_hash, code_expires_at, verification_status, code_ciphertext)
  VALUES (p_flow_id, CASE p_kind WHEN 'failover' THEN 'Queued' ELSE 'InProgress' END, p_definition, p_failover_on_delivered,
          p_callback_url, p_api_key_id, v_claim, p_kind, p_callback_strategy,
          p_code_hash, p_code_expires_at, CASE WHEN p_code_hash IS NULL THEN NULL ELSE 'pending' END, p_code_ciphertext)
  RETURNING f.* INTO v_flow;
  INSERT INTO steps AS s (flow_id, step_order, role, channel, phone_number, label, status, send_state, claimed_until)
  VALUES (p_flow_id, 1, 'primary', p_channel, p_phone, p_label, p_status, 'sending', v_claim)
  RETURNING s.* INTO v_step;
  RETURN QUERY SELECT NULL::integer,
    v_flow.id, v_flow.status, v_flow.status_code, v_flow.definition, v_flow.failover_on_delivered, v_flow.callback_url,
    v_flow.error, v_flow.api_key_id, v_flow.next_check_at, v_flow.webhook_state, v_flow.created_at, v_flow.updated_at,
    v_flow.kind, v_flow.callback_strategy,
    v_flow.code_hash, v_flow.code_expires_at, v_flow.verify_attempts, v_flow.verification_status, v_flow.verified_at,
    v_flow.code_ciphertext,
    v_step.id, v_step.flow_id, v_step.step_order, v_step.role, v_step.channel, v_step.phone_number, v_step.label, v_step.tracking_id, v_step.status,
    v_step.send_state, v_step.send_error, v_step.claimed_until, v_step.detailed_status, v_step.error_message, v_step.price,
    v_step.latency_ms, v_step.country, v_step.operator, v_step.created_at, v_step.sent_at, v_step.delivered_at,
    v_step.status_updated_at, v_step.checked_at,
    v_step.message_id, v_step.duration_sec, v_step.answered_by;
END
$fn$`;
