import { statement } from './statement';
import { FLOW_STEP_COLUMNS, type FlowStepRow, type TrackedStepRow } from './rows';

/** the flows table and reads of a flow with its steps */

const FLOW_WITH_STEPS = `SELECT ${FLOW_STEP_COLUMNS}
  FROM flows f JOIN steps s ON s.flow_id = f.id`;

/**
 * The database function (migration CreateFlowReturnsRows): the flow and its
 * primary step as written (one FlowStepRow), or, when the number is at its
 * per-phone limit, nothing written and one row of NULLs but retry_after_sec.
 */
export const CREATE_FLOW_WITH_PRIMARY = statement<
  [
    flowId: string,
    definition: string,
    failoverOnDelivered: boolean,
    callbackUrl: string | null,
    apiKeyId: string | null,
    channel: string,
    phone: string,
    label: string | null,
    status: string,
    claimMs: number,
    limit: number,
    windowSec: number,
    kind: string,
    callbackStrategy: string | null,
    codeHash: string | null,
    codeExpiresAt: Date | null,
    codeCiphertext: string | null,
  ],
  { retry_after_sec: number | null } & FlowStepRow
>(
  'create_flow_with_primary',
  `SELECT * FROM create_flow_with_primary($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
);

/** flows' evaluated state, one array per column, for unnest; each row's version as written (`xmin`: RECORD_FAILOVERS_SENT) */
export const UPDATE_FLOWS = statement<
  [
    ids: string[],
    statuses: string[],
    statusCodes: (number | null)[],
    nextCheckAt: (Date | null)[],
    errors: (string | null)[],
    webhookStates: (string | null)[],
  ],
  { id: string; version: string }
>(
  'update_flows',
  `UPDATE flows f SET status = v.status, status_code = v.status_code, next_check_at = v.next_check_at, error = v.error,
          webhook_state = v.webhook_state, updated_at = now(),
          -- the code is kept only while a step may still need it (CONTRACT section 11)
          code_ciphertext = CASE WHEN v.status IN ('Succeeded', 'Failed') THEN NULL ELSE f.code_ciphertext END,
          -- the last step's channel once final: the Failover API's terminationChannel (its search reads it indexed)
          termination_channel = CASE WHEN v.status IN ('Succeeded', 'Failed')
            THEN (SELECT s.channel FROM steps s WHERE s.flow_id = f.id ORDER BY s.step_order DESC LIMIT 1) END
     FROM unnest($1::uuid[], $2::text[], $3::smallint[], $4::timestamptz[], $5::text[], $6::text[])
       AS v(id, status, status_code, next_check_at, error, webhook_state)
    WHERE f.id = v.id
    RETURNING f.id, f.xmin::text AS version`,
);

/** the flows' row locks, in id order (two batches sharing flows cannot deadlock) */
export const LOCK_FLOWS = statement<[ids: string[]], { locked: 1 }>(
  'lock_flows',
  `SELECT 1 AS locked FROM flows WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
);

export const FLOW_BY_ID = statement<[id: string], FlowStepRow>('flow_by_id', `${FLOW_WITH_STEPS} WHERE f.id = $1`);

export const FLOWS_BY_IDS = statement<[ids: string[]], FlowStepRow>(
  'flows_by_ids',
  `${FLOW_WITH_STEPS} WHERE f.id = ANY($1::uuid[])`,
);

/**
 * What the worker needs to choose which steps to ask Routee about: the
 * flows' status and their steps' channel, status, send state and trackingId
 * (the evaluation reads the whole rows again under the lock). The whole
 * FlowStepRow costs pg a dozen timestamps and the definition's JSON a row.
 */
export const TRACKED_STEPS_OF_FLOWS = statement<[ids: string[]], TrackedStepRow>(
  'tracked_steps_of_flows',
  `SELECT f.id AS flow_id, f.status AS flow_status, s.id, s.channel, s.status, s.send_state, s.tracking_id
     FROM flows f JOIN steps s ON s.flow_id = f.id
    WHERE f.id = ANY($1::uuid[])`,
);

export const FLOW_ID_BY_TRACKING_ID = statement<[trackingId: string], { flow_id: string }>(
  'flow_id_by_tracking_id',
  `SELECT flow_id FROM steps WHERE tracking_id = $1 LIMIT 1`,
);

/**
 * The flow a flowId, a step's trackingId or a Voice call's messageId names
 * (the Failover API's tracking takes "the flow's or any message's id"; a
 * call's conversation id is its trackingId). flows.id is compared as a uuid
 * so the primary key serves it (`id::text = $1` read every flow: 125 ms at
 * 700k flows); an id that is no UUID can only be a trackingId
 * (FLOW_ID_BY_TRACKING_ID). Each branch is an index probe, run only while
 * the earlier ones found nothing.
 */
export const FLOW_ID_BY_ANY_ID = statement<[id: string], { flow_id: string }>(
  'flow_id_by_any_id',
  `SELECT id AS flow_id FROM flows WHERE id = $1::text::uuid
   UNION ALL SELECT flow_id FROM steps WHERE tracking_id = $1::text
   UNION ALL SELECT flow_id FROM steps WHERE message_id = $1::text LIMIT 1`,
);

export const FLOW_BY_TRACKING_ID = statement<[trackingId: string], FlowStepRow>(
  `flow_of_${FLOW_ID_BY_TRACKING_ID.name}`,
  `${FLOW_WITH_STEPS} WHERE f.id = (${FLOW_ID_BY_TRACKING_ID.text})`,
);

export const FLOW_BY_ANY_ID = statement<[id: string], FlowStepRow>(
  `flow_of_${FLOW_ID_BY_ANY_ID.name}`,
  `${FLOW_WITH_STEPS} WHERE f.id = (${FLOW_ID_BY_ANY_ID.text})`,
);
