import { Injectable } from '@nestjs/common';
import { FlowStore, StepEntity, type FailoverSentRecord, type FlowWithSteps, type SendState } from '@app/persistence';
import { loadFlowOrFail } from './flow-rules';
import { maskPhone } from './mask';
import { RequestLogger } from './request-logger';
import { StepCaller, type SentStep } from './step-caller';

/** a failover step claimed under its flow's lock (FlowEvaluator), for this process to send */
export interface FailoverSend {
  step: StepEntity;
  /** the flow as the claim wrote it, with its steps (the claimed one last) */
  current: FlowWithSteps;
  /**
   * the flow row's version the claim wrote (FlowStore.updateFlows): the state
   * after the send is written only on it; null when not known (the flow's row
   * was not written), which leaves that state to the locked evaluation
   */
  version: string | null;
}

/** a claimed failover step Routee took: `step` as its answer is to be recorded */
export interface SentFailover {
  send: FailoverSend;
  step: StepEntity;
}

/** the claimed step as Routee's answer records it (FlowStore.markStepsSent, recordFailoversSent) */
export function sentStepOf(sending: StepEntity, { result, sentAt }: SentStep): StepEntity {
  return Object.assign(new StepEntity(), sending, {
    trackingId: result.trackingId,
    status: result.status || sending.status,
    sendState: 'sent',
    sentAt,
    statusUpdatedAt: sentAt,
    claimedUntil: null,
    errorMessage: null,
  });
}

/**
 * Sends steps this process has claimed and records Routee's answers: a
 * stranded or queued step the worker took over, and the failover steps an
 * evaluation claimed (a batch's in one statement, with the flows' states the
 * evaluation derived). The call itself, its heartbeat and its refusals are
 * StepCaller's.
 */
@Injectable()
export class StepSender {
  private readonly log = new RequestLogger(StepSender.name);

  constructor(
    private readonly store: FlowStore,
    private readonly caller: StepCaller,
  ) {}

  /**
   * Sends a step the worker has just claimed (one replica only): a queued one
   * (`claimedFrom` queued: Routee's circuit was open) whose time has come, or
   * one whose claim ran out: the replica that claimed it died or froze
   * between writing the claim and recording Routee's answer. That one is sent again: we cannot ask
   * Routee whether the first attempt got through (there is no trackingId to
   * ask about), and a login code that never arrives is worse than one that
   * arrives twice. So this is at-least-once in that one window (Routee took
   * the message, then the process died before the UPDATE recording it); every
   * other path is exactly once. See docs/architecture.md, "Unknown send outcomes".
   */
  async resume(step: StepEntity, claimedFrom: SendState): Promise<void> {
    const current = await loadFlowOrFail(this.store, step.flowId);
    const def = current.flow.definition[step.order - 1];
    if (!def || step.sendState !== 'sending') return;
    if (claimedFrom === 'queued') {
      this.log.debug(`flow ${step.flowId}: sending the queued ${step.role} ${step.channel} step`);
    } else {
      this.log.warn(
        `flow ${step.flowId}: ${step.role} ${step.channel} send to ${maskPhone(step.phoneNumber)} was stranded mid-send, sending it again`,
      );
    }
    // the next step, which a refused send may move on to at once (StepCaller)
    const fallback = current.flow.definition[step.order];
    const sent = await this.caller.call(step, def, current.flow, fallback);
    if (!sent) return;
    const recorded = await this.caller.recordOutcome(() => this.store.markStepsSent([sentStepOf(step, sent)]));
    if (recorded.size === 0) this.caller.warnResentElsewhere(step, sent.result.trackingId);
  }

  /**
   * Sends claimed failover steps concurrently: the ones Routee took, for
   * recordFailovers. A send that failed in some other way (its failure could
   * not be recorded) does not keep the others' answers from being recorded;
   * its step stays claimed and the worker takes it over. `requestId`: the
   * request they are sent for, if any (its log lines name it).
   */
  async sendFailovers(claimed: FailoverSend[], requestId?: string): Promise<SentFailover[]> {
    const log = this.log.for(requestId);
    // a worker's batch is one line at the default level (one a flow at a thousand a second would flood the log)
    if (claimed.length > 1) log.log(`${claimed.length} flows: failover steps claimed, sending`);
    const settled = await Promise.allSettled(
      claimed.map(async (send) => {
        const { step } = send;
        const { flow } = send.current;
        const line = `flow ${flow.id}: failover to ${step.channel} ${maskPhone(step.phoneNumber)}`;
        if (claimed.length > 1) log.debug(line);
        else log.log(line);
        const def = flow.definition[step.order - 1];
        const sent = await this.caller.call(step, def, flow, flow.definition[step.order], requestId);
        return sent && { send, step: sentStepOf(step, sent) };
      }),
    );
    settled.forEach((s, i) => {
      if (s.status === 'rejected')
        log.warn(
          `flow ${claimed[i].current.flow.id}: failover send failed: ${s.reason instanceof Error ? s.reason.message : String(s.reason)}`,
        );
    });
    return settled.flatMap((s) => (s.status === 'fulfilled' && s.value ? [s.value] : []));
  }

  /**
   * Records the answers sendFailovers brought, each with its flow's new state
   * when the caller derived one, in one statement (FlowStore.recordFailoversSent).
   * Returns, for each step recorded, its flow's `updatedAt` when the flow's
   * state was written with it, else null.
   */
  async recordFailovers(
    records: (FailoverSentRecord & { step: StepEntity })[],
    requestId?: string,
  ): Promise<Map<string, Date | null>> {
    const recorded = await this.caller.recordOutcome(() => this.store.recordFailoversSent(records));
    for (const { step } of records)
      if (!recorded.has(step.id) && step.trackingId) this.caller.warnResentElsewhere(step, step.trackingId, requestId);
    return recorded;
  }
}
