import { Inject, Injectable, Logger } from '@nestjs/common';
import type { StatusReport } from '@app/flow';
import { FlowStore, type FlowWithSteps, type StepEntity, type TrackedFlow } from '@app/persistence';
import { RouteeClient, type RouteeTracking } from '@app/routee';
import { ROUTEE_CLIENT } from './engine.options';
import { FlowEvaluator, type Evaluation } from './flow-evaluator';
import { isFinal, loadFlowOrFail, mayChange } from './flow-rules';

/** what asking Routee about a step takes */
type Tracking = Pick<StepEntity, 'channel' | 'trackingId'>;

/** one step's tracking answer, or null when the call failed */
interface Tracked {
  flowId: string;
  trackingId: string;
  report: StatusReport | null;
}

/**
 * Asks Routee's tracking about steps (`GET /viber/tracking/{id}`,
 * `GET /sms/tracking/single/{id}`), all of a batch's calls at once, waiting
 * for the answers at most a budget, and has the flows evaluated with them
 * (FlowEvaluator): the worker's batches, a read's stale steps, a multipart
 * SMS report. An answer that comes after the budget is applied on its own.
 */
@Injectable()
export class TrackingRefresher {
  private readonly log = new Logger(TrackingRefresher.name);

  constructor(
    private readonly store: FlowStore,
    @Inject(ROUTEE_CLIENT) private readonly routee: RouteeClient,
    private readonly evaluator: FlowEvaluator,
  ) {}

  /**
   * Asks Routee for the status of the flow's steps that may still change
   * (`flow`: its id, or the flow as just loaded), applies the answers, and
   * re-evaluates. Gives up waiting after `budgetMs` (the stored story is then
   * what the caller gets; late answers still land). `only`: as for refreshMany;
   * `requestId`: the request it is done for, if any (its log lines name it).
   */
  async refresh(
    flow: string | FlowWithSteps,
    budgetMs: number,
    only?: ReadonlySet<string>,
    requestId?: string,
  ): Promise<FlowWithSteps> {
    const current = typeof flow === 'string' ? await loadFlowOrFail(this.store, flow) : flow;
    const [refreshed] = await this.refreshMany([current], budgetMs, only, requestId);
    return refreshed ?? current;
  }

  /**
   * refresh for a set of flows as just loaded (the worker's batch): every
   * tracking call at once, then one evaluation of them all
   * (FlowEvaluator.evaluateBatch). A final flow with nothing left to hear
   * from Routee is answered as stored: evaluating it takes the flow's row
   * lock and writes, which queued concurrent reads of one flow behind each
   * other (bench: get). `only`: the ids of the steps to ask about (a read's
   * stale ones); without it, every step that may still change. The flows
   * need only what that choice reads (TrackedFlow: the worker's batch loads no more).
   */
  async refreshMany<F extends TrackedFlow>(
    flows: F[],
    budgetMs: number,
    only?: ReadonlySet<string>,
    requestId?: string,
  ): Promise<(F | FlowWithSteps)[]> {
    const asStored: F[] = [];
    const toEvaluate: string[] = [];
    const calls: Promise<Tracked>[] = [];
    for (const current of flows) {
      // Routee is held for down: the stored story, without waiting on calls the circuit would refuse anyway
      // (a read's `only` is chosen with the same test)
      const stale = current.steps.filter((step) =>
        only ? only.has(step.id) : this.routee.isAvailable(step.channel) && mayChange(step, current.flow.status),
      );
      if (stale.length === 0 && isFinal(current.flow.status)) {
        asStored.push(current);
        continue;
      }
      toEvaluate.push(current.flow.id);
      calls.push(...stale.map((step) => this.trackOf(current.flow.id, step)));
    }
    const { inTime, late } = await splitByBudget(calls, budgetMs);
    for (const answer of late) void answer.then((tracked) => this.applyLate(tracked));
    if (toEvaluate.length === 0) return asStored;
    const items: Evaluation[] = toEvaluate.map((flowId) => ({
      flowId,
      reports: inTime.flatMap((t) =>
        t.flowId === flowId && t.report ? [{ trackingId: t.trackingId, report: t.report }] : [],
      ),
    }));
    return [...asStored, ...(await this.evaluator.evaluateBatch(items, requestId)).map((e) => e.flow)];
  }

  /**
   * Re-reads one step from Routee's tracking, whatever its status, and
   * re-evaluates its flow: for reports that say too little on their own (one
   * part of a multipart SMS). Null when no step has this trackingId.
   */
  async refreshTracking(trackingId: string, budgetMs: number, requestId?: string): Promise<FlowWithSteps | null> {
    const flowId = await this.store.findFlowIdByTrackingId(trackingId);
    if (!flowId) return null;
    const { steps } = await loadFlowOrFail(this.store, flowId);
    const step = steps.find((s) => s.trackingId === trackingId && s.sendState === 'sent');
    const report =
      step && this.routee.isAvailable(step.channel) ? await withinBudget(this.track(step), budgetMs) : null;
    return this.evaluator.evaluate(flowId, new Date(), {
      ...(report && { report: { trackingId, report } }),
      requestId,
    });
  }

  /** an answer after the budget, applied on its own */
  private applyLate({ flowId, trackingId, report }: Tracked): void {
    if (!report) return;
    this.evaluator
      .evaluate(flowId, new Date(), { report: { trackingId, report } })
      .catch((err: unknown) => this.log.debug(`late report for ${trackingId}: ${String(err)}`));
  }

  private async trackOf(flowId: string, step: Tracking): Promise<Tracked> {
    return { flowId, trackingId: step.trackingId!, report: await this.track(step) };
  }

  private trackingOf(channel: StepEntity['channel'], trackingId: string): Promise<RouteeTracking> {
    switch (channel) {
      case 'viber':
        return this.routee.getViberTracking(trackingId);
      case 'sms':
        return this.routee.getSmsTracking(trackingId);
      case 'voice':
        return this.routee.getVoiceTracking(trackingId);
    }
  }

  /** Reads one step from Routee's tracking: the report, or null when that failed. */
  private async track(step: Tracking): Promise<StatusReport | null> {
    try {
      return reportOf(await this.trackingOf(step.channel, step.trackingId!));
    } catch (err) {
      this.log.debug(
        `refresh of ${step.channel} ${step.trackingId} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
      return null;
    }
  }
}

/** Routee's tracking answer (or callback) as the report applyReportTo takes */
export function reportOf(tracking: RouteeTracking): StatusReport {
  const date = tracking.statusDate ? new Date(tracking.statusDate) : undefined;
  return {
    status: tracking.status,
    statusDate: date && !Number.isNaN(date.getTime()) ? date : undefined,
    detailedStatus: tracking.detailedStatus,
    description: tracking.description,
    price: tracking.price,
    latencyMs: tracking.latencyMs,
    country: tracking.country,
    operator: tracking.operator,
    messageId: tracking.messageId,
    durationSec: tracking.duration,
    answeredBy: tracking.answeredBy,
  };
}

/** waits for `work` at most `budgetMs` (the work itself goes on): its result, or undefined when the time ran out */
async function withinBudget<T>(work: Promise<T>, budgetMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), budgetMs)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const PENDING = Symbol('pending');

/** `works` waited for at most `budgetMs`, split into the results in by then and the works still running */
async function splitByBudget<T>(works: Promise<T>[], budgetMs: number): Promise<{ inTime: T[]; late: Promise<T>[] }> {
  if (works.length === 0) return { inTime: [], late: [] };
  await withinBudget(Promise.all(works), budgetMs);
  // a settled work wins a race against an already resolved promise listed after it
  const states = await Promise.all(works.map((work) => Promise.race([work, Promise.resolve(PENDING)])));
  return {
    inTime: states.flatMap((s) => (s === PENDING ? [] : [s as T])),
    late: works.filter((_, i) => states[i] === PENDING),
  };
}
