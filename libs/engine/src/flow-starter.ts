import { Inject, Injectable } from '@nestjs/common';
import { initialStatus } from '@app/flow';
import {
  FlowEntity,
  FlowStore,
  type CallbackStrategy,
  type FlowKind,
  type FlowWithSteps,
  type StepDefinition,
} from '@app/persistence';
import { GatewayMetrics } from '@app/metrics';
import { codeHash, sealCode } from './code';
import { ENGINE_OPTIONS, type EngineOptions } from './engine.options';
import { FlowEvaluator } from './flow-evaluator';
import { decide, nextCheckAt } from './flow-rules';
import { channelOf } from './step-mapping';
import { StepCaller, type SentStep } from './step-caller';
import { sentStepOf } from './step-sender';
import { WebhookService } from './webhooks/webhook.service';

export interface NewFlow {
  /** chosen by the caller: an Idempotency-Key record names the flow before it exists (a second start with the id fails on the primary key) */
  id: string;
  /** Failover OTP (`/otp/*`) or the Failover API (`/failover`) */
  kind: FlowKind;
  /** the steps in `order`: Failover OTP's [primary, failover?], the Failover API's 1 to N */
  definition: StepDefinition[];
  callbackUrl: string | null;
  /** the Failover API's callback.strategy; null on Failover OTP flows */
  callbackStrategy: CallbackStrategy | null;
  apiKeyId: string | null;
  /**
   * the code the user types (the pin, or one the gateway drew), which POST
   * /otp/verify checks for `ttlSec`; the steps carry it as CODE_PLACEHOLDER.
   * Stored as its HMAC and its seal only. None on Failover API flows.
   */
  code?: { value: string; ttlSec: number };
  /** the request that starts it, if any: the lines logged for it name the request */
  requestId?: string;
}

/** what recording the first send wrote: the step, and the flow's answer when the shortcut wrote the flow too */
interface FirstSendRecorded {
  stepRecorded: boolean;
  flow: FlowWithSteps | null;
}

/**
 * Starts a flow (POST /otp/send/failover): stores it with its primary step
 * claimed, sends the primary within the call, and answers the flow's state
 * (a failover due at once is sent first). The usual end of a send takes the
 * shortcut of recordFirstSend; every other outcome goes through the locked
 * evaluation (FlowEvaluator).
 */
@Injectable()
export class FlowStarter {
  constructor(
    private readonly store: FlowStore,
    private readonly caller: StepCaller,
    private readonly evaluator: FlowEvaluator,
    private readonly webhooks: WebhookService,
    private readonly metrics: GatewayMetrics,
    @Inject(ENGINE_OPTIONS) private readonly options: EngineOptions,
  ) {}

  /** Persists the flow, sends its primary step within the call, and fails over at once when due. */
  async start(input: NewFlow): Promise<FlowWithSteps> {
    const { id } = input;
    const [primaryDef, nextDef] = input.definition;
    const channel = channelOf(primaryDef);
    // should this process die mid-send, the worker picks the flow up after the claim
    const created = await this.store.createFlowWithPrimary(
      {
        id,
        kind: input.kind,
        definition: input.definition,
        failoverOnDelivered: primaryDef.type === 'ViberOtp' && primaryDef.failoverOnDelivered === true,
        callbackUrl: input.callbackUrl,
        callbackStrategy: input.callbackStrategy,
        apiKeyId: input.apiKeyId,
        codeHash: input.code ? codeHash(this.options.codeSecret, id, input.code.value) : null,
        codeExpiresAt: input.code ? new Date(Date.now() + input.code.ttlSec * 1000) : null,
        codeCiphertext: input.code ? sealCode(this.options.codeSecret, id, input.code.value) : null,
      },
      {
        flowId: id,
        role: 'primary',
        channel,
        phoneNumber: primaryDef.to,
        label: primaryDef.label ?? null,
        status: initialStatus(channel),
      },
      this.options.sendClaimMs,
    );
    const [primary] = created.steps;
    const { requestId } = input;
    const sent = await this.caller.call(primary, primaryDef, created.flow, nextDef, requestId);
    const recorded = sent && (await this.caller.recordOutcome(() => this.recordFirstSend(created, sent)));
    if (sent && recorded && !recorded.stepRecorded)
      this.caller.warnResentElsewhere(primary, sent.result.trackingId, requestId);
    // the state the send response reports is the initial one: no webhook for it
    const answer = recorded?.flow ?? (await this.evaluator.evaluate(id, new Date(), { initial: true, requestId }));
    this.metrics.flowStarted(input.kind, answer.flow.status);
    return answer;
  }

  /**
   * The usual end of a send: Routee took the primary and the flow waits for
   * its report. The step and the flow's state are then written in one
   * statement, without the evaluation's lock and reloads, and the answer is
   * built from what was written. Nothing else can have moved the flow
   * meanwhile: no report can name a trackingId not stored yet, the worker
   * leaves the flow alone while the send's claim runs, and a concurrent read
   * that evaluated it saw the primary still sending, which keeps it
   * InProgress too. Any other outcome (Routee's answer is already final, a
   * failover is due) is recorded as usual and left to the evaluation (flow: null).
   */
  private async recordFirstSend(created: FlowWithSteps, sent: SentStep): Promise<FirstSendRecorded> {
    const { sentAt } = sent;
    const primary = sentStepOf(created.steps[0], sent);
    const decision = decide({ flow: created.flow, steps: [primary] }, sentAt);
    if (decision.status !== 'InProgress' || decision.next.kind === 'send_step') {
      return { stepRecorded: (await this.store.markStepsSent([primary])).size > 0, flow: null };
    }
    const change = {
      status: decision.status,
      statusCode: decision.statusCode,
      nextCheckAt: nextCheckAt(decision, sentAt, this.options.refreshIntervalMs),
      error: null,
    };
    const after: FlowWithSteps = { flow: Object.assign(new FlowEntity(), created.flow, change), steps: [primary] };
    after.flow.webhookState = this.webhooks.stateOf(after, true).webhookState;
    const written = await this.store.markPrimarySent(primary, change, after.flow.webhookState);
    return { stepRecorded: written.stepRecorded, flow: written.flowRecorded ? after : null };
  }
}
