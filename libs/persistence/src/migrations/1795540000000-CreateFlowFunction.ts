import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A new flow in one round trip: `create_flow_with_primary` admits it under
 * the per-phone limit (PHONE_RATE_LIMIT) and inserts the flow and its
 * primary step, claimed for sending, in the caller's (single-statement)
 * transaction. It replaces five statements sent one by one (lock, count,
 * two inserts, commit) on the send path, the gateway's hottest.
 *
 * The limit: under a transaction-scoped advisory lock on the number,
 * concurrent sends to one number (any replica) queue on the lock, and each
 * counts after the previous one committed (each statement of a volatile
 * plpgsql function reads a fresh snapshot), so exactly `limit` get through.
 * The count reads at most `limit` entries of ix_steps_primary_phone_created_at.
 * When the number is at its limit nothing is written and `retry_after_sec`
 * says when the oldest counted flow leaves the window (database clock, shared
 * by all replicas).
 */
export class CreateFlowFunction1795540000000 implements MigrationInterface {
  name = 'CreateFlowFunction1795540000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
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

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DROP FUNCTION IF EXISTS create_flow_with_primary(uuid, jsonb, boolean, text, text, text, text, text, text, integer, integer, integer)`,
    );
  }
}
