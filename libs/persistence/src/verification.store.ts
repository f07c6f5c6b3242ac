import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { run } from './sql/statement';
import { APPROVE, CANCEL, COUNT_ATTEMPT, VERIFICATION_OF, type VerificationRow } from './sql/verification.statements';
import type { VerificationStatus } from './entities/flow.entity';

export interface StoredVerification {
  flowId: string;
  codeHash: string | null;
  expiresAt: Date | null;
  attempts: number;
  status: VerificationStatus | null;
  verifiedAt: Date | null;
}

/** A flow's code check, in Postgres: the count and the approval are single conditional UPDATEs on the flow's row. */
@Injectable()
export class VerificationStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** the Failover OTP flow `id` names (its id or a step's trackingId); null when none */
  async stateOf(id: string): Promise<StoredVerification | null> {
    return verificationOf((await run(this.db, VERIFICATION_OF, [id]))[0]);
  }

  /** as stateOf, after counting one check; null when none was counted (no such flow, expired, used up, not pending) */
  async countAttempt(id: string, maxAttempts: number): Promise<StoredVerification | null> {
    return verificationOf((await run(this.db, COUNT_ATTEMPT, [id, maxAttempts]))[0]);
  }

  /** null when it was no longer pending (approved or canceled meanwhile) */
  async approve(flowId: string): Promise<StoredVerification | null> {
    return verificationOf((await run(this.db, APPROVE, [flowId]))[0]);
  }

  /** false when the flow had ended or was approved */
  async cancel(flowId: string): Promise<boolean> {
    return (await run(this.db, CANCEL, [flowId])).length > 0;
  }
}

function verificationOf(row: VerificationRow | undefined): StoredVerification | null {
  if (!row) return null;
  return {
    flowId: row.flow_id,
    codeHash: row.code_hash,
    expiresAt: row.code_expires_at,
    attempts: row.verify_attempts,
    status: row.verification_status,
    verifiedAt: row.verified_at,
  };
}
