import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { run } from './sql/statement';
import { APPROVE, CANCEL, COUNT_ATTEMPT, VERIFICATION_OF, type VerificationRow } from './sql/verification.statements';
import type { VerificationStatus } from './entities/flow.entity';

export interface StoredVerification {
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

  async stateOf(flowId: string): Promise<StoredVerification | null> {
    return verificationOf((await run(this.db, VERIFICATION_OF, [flowId]))[0]);
  }

  /** the state after counting one check; null when it could not be counted (expired, used up, no longer pending) */
  async countAttempt(flowId: string, maxAttempts: number): Promise<StoredVerification | null> {
    return verificationOf((await run(this.db, COUNT_ATTEMPT, [flowId, maxAttempts]))[0]);
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
    codeHash: row.code_hash,
    expiresAt: row.code_expires_at,
    attempts: row.verify_attempts,
    status: row.verification_status,
    verifiedAt: row.verified_at,
  };
}
