import type { VerificationStatus } from '../entities/flow.entity';
import { FLOW_ID_BY_ANY_ID } from './flows.statements';
import { statement } from './statement';

/** a flow's code check (POST /otp/verify, POST /otp/failover/{id}/cancel): the flows table's verification columns */

export interface VerificationRow {
  flow_id: string;
  code_hash: string | null;
  code_expires_at: Date | null;
  verify_attempts: number;
  verification_status: VerificationStatus | null;
  verified_at: Date | null;
}

const COLUMNS = 'id AS flow_id, code_hash, code_expires_at, verify_attempts, verification_status, verified_at';
/** the Failover OTP flow a flowId or any step's trackingId names (FLOW_ID_BY_ANY_ID) */
const FLOW_NAMED = `id = (${FLOW_ID_BY_ANY_ID.text}) AND kind = 'otp'`;

export const VERIFICATION_OF = statement<[id: string], VerificationRow>(
  'verification_of',
  `SELECT ${COLUMNS} FROM flows WHERE ${FLOW_NAMED}`,
);

/**
 * One check counted, by the flow's or a step's id, only while the code may
 * still be checked: pending, in time, under the bound (a check's one round
 * trip, as a rule). Concurrent checks queue on the row's lock, so no more
 * than $2 are ever counted, across replicas.
 */
export const COUNT_ATTEMPT = statement<[id: string, maxAttempts: number], VerificationRow>(
  'count_verify_attempt',
  `UPDATE flows SET verify_attempts = verify_attempts + 1
    WHERE ${FLOW_NAMED} AND verification_status = 'pending' AND verify_attempts < $2
      AND (code_expires_at IS NULL OR code_expires_at > now())
    RETURNING ${COLUMNS}`,
);

/** the code matched: approved, under the row's lock (the evaluation reads it under the same lock) */
export const APPROVE = statement<[flowId: string], VerificationRow>(
  'approve_verification',
  `UPDATE flows SET verification_status = 'approved', verified_at = now(), updated_at = now()
    WHERE id = $1 AND verification_status = 'pending'
    RETURNING ${COLUMNS}`,
);

/** no further step: a flow still running, and not approved */
export const CANCEL = statement<[flowId: string], { id: string }>(
  'cancel_flow',
  `UPDATE flows SET verification_status = 'canceled', updated_at = now()
    WHERE id = $1 AND status IN ('Queued', 'InProgress') AND verification_status IS DISTINCT FROM 'approved'
    RETURNING id`,
);
