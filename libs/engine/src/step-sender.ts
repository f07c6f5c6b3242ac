import { Injectable } from '@nestjs/common';
import { FlowStore, type FlowEntity, type SendState, type StepEntity } from '@app/persistence';
import { loadFlowOrFail } from './flow-rules';
import { maskPhone } from './mask';
import { RequestLogger } from './request-logger';
import { StepCaller } from './step-caller';

/** a failover step claimed under its flow's lock (FlowEvaluator), for this process to send */
export interface FailoverSend {
  step: StepEntity;
  flow: FlowEntity;
}

/**
 * Sends steps this process has claimed and records Routee's answers: a
 * stranded or queued step the worker took over, and the failover steps an
 * evaluation claimed (a batch's in one statement). The call itself, its
 * heartbeat and its refusals are StepCaller's.
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
    const recorded = await this.caller.recordOutcome(() =>
      this.store.markStepsSent([
        {
          id: step.id,
          trackingId: sent.result.trackingId,
          status: sent.result.status || step.status,
          sentAt: sent.sentAt,
        },
      ]),
    );
    if (recorded.size === 0) this.caller.warnResentElsewhere(step, sent.result.trackingId);
  }

  /**
   * Sends claimed failover steps concurrently, and records the ones Routee
   * took in one statement. A send that failed in some other way (its failure
   * could not be recorded) does not keep the others' answers from being
   * recorded; its step stays claimed and the worker takes it over.
   * `requestId`: the request they are sent for, if any (its log lines name it).
   */
  async sendFailovers(claimed: FailoverSend[], requestId?: string): Promise<void> {
    const log = this.log.for(requestId);
    // a worker's batch is one line at the default level (one a flow at a thousand a second would flood the log)
    if (claimed.length > 1) log.log(`${claimed.length} flows: failover steps claimed, sending`);
    const settled = await Promise.allSettled(
      claimed.map(async ({ step, flow }) => {
        const line = `flow ${flow.id}: failover to ${step.channel} ${maskPhone(step.phoneNumber)}`;
        if (claimed.length > 1) log.debug(line);
        else log.log(line);
        const def = flow.definition[step.order - 1];
        const sent = await this.caller.call(step, def, flow, flow.definition[step.order], requestId);
        return (
          sent && {
            id: step.id,
            trackingId: sent.result.trackingId,
            status: sent.result.status || step.status,
            sentAt: sent.sentAt,
          }
        );
      }),
    );
    const took = settled.flatMap((s) => (s.status === 'fulfilled' && s.value ? [s.value] : []));
    const recorded = await this.caller.recordOutcome(() => this.store.markStepsSent(took));
    for (const s of took)
      if (!recorded.has(s.id))
        this.caller.warnResentElsewhere(claimed.find((c) => c.step.id === s.id)!.step, s.trackingId, requestId);
    settled.forEach((s, i) => {
      if (s.status === 'rejected')
        log.warn(
          `flow ${claimed[i].flow.id}: failover send failed: ${s.reason instanceof Error ? s.reason.message : String(s.reason)}`,
        );
    });
  }
}
