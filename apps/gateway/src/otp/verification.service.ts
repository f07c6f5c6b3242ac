import { Inject, Injectable } from '@nestjs/common';
import type { GatewayConfig } from '@app/config';
import { codeMatches, FlowEngine, RequestLogger } from '@app/engine';
import { GatewayMetrics } from '@app/metrics';
import { attemptsLeft, checkGate, type VerificationAnswer } from '@app/flow';
import { VerificationStore, type StoredVerification, type VerificationStatus } from '@app/persistence';
import { GatewayError } from '../common/gateway-error';
import { GATEWAY_CONFIG } from '../gateway-config.provider';
import type { VerifyResponseDto } from './dto/verify.dto';
import { TRACKABLE_ID } from './tracking.service';

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
  private readonly log = new RequestLogger('Verification');

  constructor(
    private readonly store: VerificationStore,
    private readonly engine: FlowEngine,
    private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    // startGateway resolves it (CODE_SECRET, or the one kept in DATA_DIR)
    if (!config.verification.codeSecret) throw new Error('the code secret was not resolved');
    this.secret = config.verification.codeSecret;
  }

  private readonly secret: string;

  async verify(id: string, code: string, requestId?: string): Promise<VerifyResponseDto> {
    // the usual check is one statement: counted (if it may be) and read back together
    const counted = TRACKABLE_ID.test(id) ? await this.store.countAttempt(id, this.maxAttempts) : null;
    if (!counted) return this.uncounted(id, code);
    // retention erased the code hash of a code without expiry: counted, nothing to compare it with
    if (counted.status !== null && counted.codeHash === null) return this.answer(counted, 'expired');
    const state = checkable(counted);
    if (!this.matches(code, state)) return this.answer(state, 'denied');
    const approved = await this.store.approve(state.flowId);
    // approved or canceled meanwhile by a concurrent check: answered as it now stands
    if (!approved) return this.uncounted(id, code);
    this.log.for(requestId).log(`flow ${state.flowId}: code approved after ${approved.attempts} check(s)`);
    // ends the flow (Succeeded) now, so that no further step is sent and the webhook tells it
    await this.engine.evaluate(state.flowId, new Date(), { requestId });
    return this.answer(checkable(approved), 'approved');
  }

  /** a check that was not counted: no such flow, or the verification answers without counting (checkGate) */
  private async uncounted(id: string, code: string): Promise<VerifyResponseDto> {
    const stored = await this.stateOrFail(id);
    const { status } = stored;
    if (status === null) throw new GatewayError('not_found', `flow ${stored.flowId} has no code to verify`);
    const gate = checkGate({ ...stored, status }, new Date(), this.maxAttempts);
    // retention erased the code hash (RETENTION_SECRETS_HOURS, never before the code expired): the gate still
    // answers canceled, too_many_attempts or expired; approved stays approved (final, CONTRACT 11); only a check
    // that would compare or count the code, now that there is nothing to compare, answers expired
    if (stored.codeHash === null) {
      if (gate === 'compare') return this.answer(stored, status === 'approved' ? 'approved' : 'expired');
      if (gate === 'count')
        return this.answer(stored, stored.attempts >= this.maxAttempts ? 'too_many_attempts' : 'expired');
      return this.answer(stored, gate);
    }
    const state = checkable(stored);
    if (gate === 'compare') return this.answer(state, this.matches(code, state) ? 'approved' : 'denied');
    // countable by this clock, not by Postgres' (or the last attempt just went to another check): expired at its boundary
    if (gate === 'count')
      return this.answer(state, state.attempts >= this.maxAttempts ? 'too_many_attempts' : 'expired');
    return this.answer(state, gate);
  }

  /** No further step: the flow ends as its steps stand (Succeeded if one did, else Failed 2). */
  async cancel(id: string, requestId?: string): Promise<void> {
    const { flowId } = await this.stateOrFail(id);
    if (await this.store.cancel(flowId)) {
      this.log.for(requestId).log(`flow ${flowId}: canceled, no further step is sent`);
      await this.engine.evaluate(flowId, new Date(), { requestId });
    }
  }

  /** the Failover OTP flow the path or body id names (its id or a step's trackingId), or the 404 */
  private async stateOrFail(id: string): Promise<StoredVerification> {
    const stored = TRACKABLE_ID.test(id) ? await this.store.stateOf(id) : null;
    if (!stored) throw new GatewayError('not_found', 'tracking not found');
    return stored;
  }

  private matches(code: string, state: Checkable): boolean {
    return codeMatches(this.secret, state.flowId, code, state.codeHash);
  }

  private get maxAttempts(): number {
    return this.config.verification.maxAttempts;
  }

  /** every check's answer: counted in otp_verifications_total */
  private answer(state: StoredVerification, status: VerificationAnswer): VerifyResponseDto {
    this.metrics.verified(status);
    return {
      flowId: state.flowId,
      verification: {
        status,
        attemptsLeft: attemptsLeft(state.attempts, this.maxAttempts),
        expiresAt: state.expiresAt?.toISOString() ?? null,
      },
    };
  }
}

/** a flow's verification that has a code to check */
type Checkable = StoredVerification & { codeHash: string; status: VerificationStatus };

function checkable(state: StoredVerification): Checkable {
  if (!state.codeHash || state.status === null)
    throw new GatewayError('not_found', `flow ${state.flowId} has no code to verify`);
  return state as Checkable;
}
