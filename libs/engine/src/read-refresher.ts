import { Inject, Injectable } from '@nestjs/common';
import { FlowStore, type FlowWithSteps, type StepEntity } from '@app/persistence';
import { RouteeClient } from '@app/routee';
import { ENGINE_OPTIONS, ROUTEE_CLIENT, type EngineOptions } from './engine.options';
import { isFinal, mayChange, wouldChange } from './flow-rules';
import { TrackingRefresher } from './tracking-refresher';

/**
 * Refreshes a flow for a read (GET /otp/failover/{id}) without a Routee call
 * per read (bench: reads of a pending flow ran at 0.07 of the baseline when
 * each one asked Routee):
 *
 * - only steps that nobody (the poller, a delivery report, another read, in
 *   any replica) checked with Routee within REFRESH_INTERVAL_MS are asked
 *   about. Their check is claimed in Postgres first (FlowStore.claimStepChecks),
 *   so replicas reading one flow at once ask once between them, and a call
 *   that fails or times out counts as a check too;
 * - concurrent reads of one flow in this process share one refresh (its
 *   Routee calls and its evaluation) and its outcome;
 * - a flow with nothing to ask about is evaluated only when that would change
 *   it (a failover due by the primary's ttl), else answered as stored.
 */
@Injectable()
export class ReadRefresher {
  /** the refresh under way per flowId, dropped when it settles */
  private readonly inFlight = new Map<string, Promise<FlowWithSteps>>();

  constructor(
    private readonly tracking: TrackingRefresher,
    private readonly store: FlowStore,
    @Inject(ROUTEE_CLIENT) private readonly routee: RouteeClient,
    @Inject(ENGINE_OPTIONS) private readonly options: EngineOptions,
  ) {}

  /**
   * The flow as just loaded, refreshed where it is stale; Routee's answers are waited for at most `budgetMs`.
   * `requestId`: the read's (a refresh shared by concurrent reads names the first one's in its log lines).
   */
  refresh(current: FlowWithSteps, budgetMs: number, requestId?: string): Promise<FlowWithSteps> {
    const flowId = current.flow.id;
    const running = this.inFlight.get(flowId);
    if (running) return running;
    const now = new Date();
    const stale = this.staleSteps(current, now);
    // a final flow with nothing left to hear from Routee is answered as stored, as is a pending one with nothing due
    if (stale.length === 0 && (isFinal(current.flow.status) || !wouldChange(current, now))) {
      return Promise.resolve(current);
    }
    const refresh = this.claimAndRefresh(current, stale, now, budgetMs, requestId).finally(() =>
      this.inFlight.delete(flowId),
    );
    this.inFlight.set(flowId, refresh);
    return refresh;
  }

  /** the steps Routee may still say something new about, not checked within REFRESH_INTERVAL_MS, whose circuit lets a call out */
  private staleSteps(current: FlowWithSteps, now: Date): StepEntity[] {
    const staleBefore = now.getTime() - this.options.refreshIntervalMs;
    return current.steps.filter(
      (step) =>
        (step.checkedAt === null || step.checkedAt.getTime() <= staleBefore) &&
        this.routee.isAvailable(step.channel) &&
        mayChange(step, current.flow.status),
    );
  }

  private async claimAndRefresh(
    current: FlowWithSteps,
    stale: StepEntity[],
    now: Date,
    budgetMs: number,
    requestId: string | undefined,
  ): Promise<FlowWithSteps> {
    const staleBefore = new Date(now.getTime() - this.options.refreshIntervalMs);
    const claimed = await this.store.claimStepChecks(
      stale.map((step) => step.id),
      now,
      staleBefore,
    );
    // someone checked them since this read loaded the flow: its answer is in the store, or soon will be
    if (claimed.size === 0 && !wouldChange(current, new Date())) return current;
    return this.tracking.refresh(current, Math.max(0, budgetMs - (Date.now() - now.getTime())), claimed, requestId);
  }
}
