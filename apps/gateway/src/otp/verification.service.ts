import { Inject, Injectable, Logger } from '@nestjs/common';
import type { GatewayConfig } from '@app/config';
import { FlowEngine } from '@app/engine';
import { attemptsLeft, checkGate, type VerificationAnswer } from '@app/flow';
import { FlowStore, VerificationStore, type StoredVerification, type VerificationStatus } from '@app/persistence';
import { GatewayError } from '../common/gateway-error';
import { GATEWAY_CONFIG } from '../gateway-config.provider';
import { codeMatches } from '@app/engine';
import type { VerifyResponseDto } from './dto/verify.dto';
import { findFlowOrFail } from './tracking.service';

/**
 * POST /otp/verify and POST /otp/failover/{id}/cancel (CONTRACT section 11).
 * A check is counted in Postgres before the code is compared (a single
 * conditional UPDATE: at most VERIFY_MAX_ATTEMPTS, across replicas, however
 * many arrive at once), compared in constant time against the stored HMAC,
 * and an approval is written under the flow's row lock and the flow then
 * evaluated: no further step is sent, and it ends Succeeded.
 */
@Injectable()
export class VerificationService {
  private readonly log = new Logger('Verification');

  constructor(
    private readonly flows: FlowStore,
    private readonly store: VerificationStore,
    private readonly engine: FlowEngine,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    // startGateway resolves it (CODE_SECRET, or the one kept in DATA_DIR)
    if (!config.verification.codeSecret) throw new Error('the code secret was not resolved');
    this.secret = config.verification.codeSecret;
  }

  private readonly secret: string;

  async verify(id: string, code: string): Promise<VerifyResponseDto> {
    const flowId = await findFlowOrFail(this.flows, id);
    const { maxAttempts } = this.config.verification;
    // at most one read again: a check that lost a race for the row (the last attempt taken, the flow approved or
    // canceled meanwhile) is answered from the row as it then is
    for (let round = 0; ; round++) {
      const state = checkable(flowId, await this.store.stateOf(flowId));
      const gate = checkGate(state, new Date(), maxAttempts);
      if (gate === 'compare')
        return this.answer(flowId, state, this.matches(flowId, code, state) ? 'approved' : 'denied');
      if (gate !== 'count') return this.answer(flowId, state, gate);
      const counted = await this.store.countAttempt(flowId, maxAttempts);
      if (!counted) {
        // still countable by this clock, not by Postgres': the code expired at its boundary
        if (round > 0) return this.answer(flowId, state, 'expired');
        continue;
      }
      const after = checkable(flowId, counted);
      if (!this.matches(flowId, code, after)) return this.answer(flowId, after, 'denied');
      const approved = await this.store.approve(flowId);
      if (!approved) continue;
      this.log.log(`flow ${flowId}: code approved after ${approved.attempts} check(s)`);
      // ends the flow (Succeeded) now, so that no further step is sent and the webhook tells it
      await this.engine.evaluate(flowId);
      return this.answer(flowId, approved, 'approved');
    }
  }

  /** No further step: the flow ends as its steps stand (Succeeded if one did, else Failed 2). */
  async cancel(id: string): Promise<void> {
    const flowId = await findFlowOrFail(this.flows, id);
    if (await this.store.cancel(flowId)) {
      this.log.log(`flow ${flowId}: canceled, no further step is sent`);
      await this.engine.evaluate(flowId);
    }
  }

  private matches(flowId: string, code: string, state: Checkable): boolean {
    return codeMatches(this.secret, flowId, code, state.codeHash);
  }

  private answer(flowId: string, state: StoredVerification, status: VerificationAnswer): VerifyResponseDto {
    return {
      flowId,
      verification: {
        status,
        attemptsLeft: attemptsLeft(state.attempts, this.config.verification.maxAttempts),
        expiresAt: state.expiresAt?.toISOString() ?? null,
      },
    };
  }
}

/** a flow's verification that has a code to check */
type Checkable = StoredVerification & { codeHash: string; status: VerificationStatus };

function checkable(flowId: string, state: StoredVerification | null): Checkable {
  if (!state?.codeHash || state.status === null)
    throw new GatewayError('not_found', `flow ${flowId} has no code to verify`);
  return state as Checkable;
}
