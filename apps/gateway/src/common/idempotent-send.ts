import { createHash, randomUUID } from 'node:crypto';
import type { FlowStore, FlowWithSteps, IdempotencyClaim, IdempotencyStore } from '@app/persistence';
import { GatewayError } from './gateway-error';

/** what a send under an Idempotency-Key needs of the surface that sends */
export interface IdempotentSend<R> {
  /** starts the flow under this id and answers it */
  start(flowId: string): Promise<R>;
  /** the answer for a flow that a first request, which then died, had created */
  answer(created: FlowWithSteps): R;
}

export interface IdempotencyDeps {
  idempotency: IdempotencyStore;
  flows: FlowStore;
  /** IDEMPOTENCY_CLAIM_MS and IDEMPOTENCY_WAIT_MS */
  claimMs: number;
  waitMs: number;
}

/** 1 to 255 characters, else the 4xx naming the header */
export function checkIdempotencyKey(key: string): void {
  if (key.length === 0 || key.length > 255) {
    throw GatewayError.field(['header', 'Idempotency-Key'], 'Idempotency-Key must be 1 to 255 characters');
  }
}

/** the digest a repeat's request is compared by */
export function requestHashOf(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

/**
 * A send under an Idempotency-Key (CONTRACT section 3, both surfaces): the
 * first request with the key runs the flow, a repeat gets its answer, waiting
 * up to IDEMPOTENCY_WAIT_MS while the first still runs. A first request that
 * died leaves its claim unanswered: once it is IDEMPOTENCY_CLAIM_MS old, a
 * retry takes it over.
 */
export async function sendOnce<R>(
  deps: IdempotencyDeps,
  keyId: string,
  key: string,
  requestHash: string,
  send: IdempotentSend<R>,
): Promise<R> {
  const deadline = Date.now() + deps.waitMs;
  for (;;) {
    const claim = await deps.idempotency.claim(keyId, key, requestHash, randomUUID(), deps.claimMs);
    switch (claim.kind) {
      case 'mismatch':
        throw new GatewayError(
          'idempotency_mismatch',
          'Idempotency-Key was already used with a different request body',
        );
      case 'replay':
        return claim.response as R;
      case 'claimed':
      case 'taken_over':
        return answerClaim(deps, keyId, key, claim, send);
      case 'in_progress':
        // the first request with this key is still running: wait for its answer
        if (Date.now() > deadline)
          throw new GatewayError(
            'idempotency_in_progress',
            'a request with this Idempotency-Key is still being processed',
          );
        await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * The answer for a key this request holds, stored for the repeats: from the
 * flow the claim names when a first request that died had created it, else
 * from starting that flow now, under that id.
 */
async function answerClaim<R>(
  deps: IdempotencyDeps,
  keyId: string,
  key: string,
  claim: Extract<IdempotencyClaim, { flowId: string }>,
  send: IdempotentSend<R>,
): Promise<R> {
  let response: R;
  try {
    const created = claim.kind === 'taken_over' ? await deps.flows.load(claim.flowId) : null;
    response = created ? send.answer(created) : await send.start(claim.flowId);
  } catch (err) {
    await deps.idempotency.release(keyId, key, claim.flowId).catch(() => undefined);
    throw err;
  }
  await deps.idempotency.complete(keyId, key, claim.flowId, 200, response);
  return response;
}
