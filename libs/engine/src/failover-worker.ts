import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { FlowStore, IdempotencyStore, WorkQueueStore } from '@app/persistence';
import { ENGINE_OPTIONS, type EngineOptions } from './engine.options';
import { FlowEngine } from './flow-engine';

/** flows (or stranded sends) claimed per statement */
const BATCH_SIZE = 100;
/** stranded sends finished at once */
const CONCURRENCY = 10;
/** batches of due flows worked on at once */
const BATCH_LANES = 4;
/** how long one flow's refresh waits for Routee's tracking answers */
const REFRESH_BUDGET_MS = 1000;
const INTERVAL_NAME = 'failover-worker';
/** Idempotency-Key records are kept a day (README "Sending"), then purged */
const IDEMPOTENCY_RETENTION_MS = 24 * 3_600_000;
/** a replica purges them at most this often; records a minute past their day cost nothing */
const PURGE_EVERY_MS = 60_000;
/** records deleted per statement: a backlog (the first purge after an upgrade) goes in short statements */
const PURGE_BATCH = 5000;

export interface TickResult {
  /** flows refreshed and evaluated */
  flows: number;
  /** stranded sends finished */
  stranded: number;
}

/**
 * The scheduled side of the failover engine, every REFRESH_INTERVAL_MS:
 *
 * 1. sends that are due are claimed and sent (FlowEngine.resumeSend): those
 *    stranded by a dead replica (a step still `sending` whose claim ran out)
 *    and those queued while Routee's circuit was open;
 * 2. flows whose `next_check_at` has come are claimed in batches, their
 *    pending steps refreshed from Routee's tracking (all of a batch's calls at
 *    once), and evaluated together, in one transaction per batch: the
 *    failover fires on a trigger status, on a primary still pending `ttl`
 *    seconds after it was sent, and when a failoverOnDelivered window closes
 *    without SEEN (the evaluation sets `next_check_at` to the next poll or to
 *    the exact deadline, whichever is sooner, and to NULL once the flow is final);
 * 3. at most once a minute, Idempotency-Key records older than a day are
 *    purged (purgeIdempotencyRecords).
 *
 * Postgres is the only source of truth: the interval timer just says "look
 * now". Every claim is a `FOR UPDATE SKIP LOCKED` statement that leases the
 * rows it returns, so any number of replicas run this side by side and split
 * the work; a replica that dies mid-batch delays its leased flows by at most
 * the lease. A process runs one tick at a time (a slow tick is not stacked).
 */
@Injectable()
export class FailoverWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger(FailoverWorker.name);
  private running?: Promise<void>;
  private stopping = false;
  private nextPurgeAt = 0;

  constructor(
    private readonly engine: FlowEngine,
    private readonly queue: WorkQueueStore,
    private readonly flows: FlowStore,
    private readonly idempotency: IdempotencyStore,
    private readonly scheduler: SchedulerRegistry,
    @Inject(ENGINE_OPTIONS) private readonly options: EngineOptions,
  ) {}

  /** a replica that died holding a lease on a flow delays that flow by this much at most */
  get leaseMs(): number {
    return Math.max(2 * this.options.refreshIntervalMs, 5000);
  }

  onApplicationBootstrap(): void {
    if (!this.options.workerEnabled) {
      this.log.log('WORKER_ENABLED=false: this process does not poll Routee nor fire due failovers on its own');
      return;
    }
    const timer = setInterval(() => this.kick(), this.options.refreshIntervalMs);
    this.scheduler.addInterval(INTERVAL_NAME, timer);
    // work left due by a restart (or by other replicas) starts now, not one interval later
    this.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.scheduler.doesExist('interval', INTERVAL_NAME)) this.scheduler.deleteInterval(INTERVAL_NAME);
    await this.running;
  }

  /** Starts a tick unless one is running. */
  kick(): void {
    if (this.running || this.stopping) return;
    this.running = this.tick()
      .then(() => undefined)
      .catch((err: unknown) => this.log.error(`tick failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => (this.running = undefined));
  }

  /** One pass over the due work; public so that tests with the worker off can drive it by hand. */
  async tick(): Promise<TickResult> {
    const result: TickResult = { flows: 0, stranded: 0 };
    // stranded sends first: their flows wait on them
    for (;;) {
      const sends = await this.queue.claimDueSends(BATCH_SIZE, this.options.sendClaimMs);
      await forEachLimit(sends, CONCURRENCY, async ({ step, claimedFrom }) => {
        try {
          await this.engine.resumeSend(step, claimedFrom);
        } catch (err) {
          this.log.warn(
            `resuming the ${claimedFrom} send of step ${step.id} failed: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
      });
      result.stranded += sends.length;
      if (sends.length < BATCH_SIZE || this.stopping) break;
    }
    // a tick does not run forever at a backlog: after ~5 intervals it lets the next tick take over
    const stopClaimingAt = Date.now() + 5 * this.options.refreshIntervalMs;
    // a few batches at once: while one waits on Routee or Postgres, another has work for the CPU
    await Promise.all(
      Array.from({ length: BATCH_LANES }, async () => {
        for (;;) {
          const ids = await this.queue.claimDueFlows(BATCH_SIZE, this.leaseMs);
          try {
            // read in one query (what to track only), tracked concurrently, evaluated in one transaction (FlowEngine.refreshMany)
            await this.engine.refreshMany(await this.flows.loadTracked(ids), REFRESH_BUDGET_MS);
          } catch (err) {
            // the leases run out and the flows come due again
            this.log.warn(`refreshing ${ids.length} flows failed: ${err instanceof Error ? err.message : String(err)}`);
          }
          result.flows += ids.length;
          if (ids.length < BATCH_SIZE || this.stopping || Date.now() > stopClaimingAt) break;
        }
      }),
    );
    await this.purgeIdempotencyRecords();
    return result;
  }

  /**
   * Deletes the Idempotency-Key records older than a day, when a minute has
   * passed since this replica last did. Here rather than on the claim path:
   * a send pays nothing for it, and it runs whether sends come in or not.
   * Replicas do it side by side harmlessly (a purge that finds nothing is one
   * probe of ix_idempotency_records_created_at). A failure waits for the next
   * minute: the records only take space meanwhile.
   */
  async purgeIdempotencyRecords(): Promise<number> {
    if (Date.now() < this.nextPurgeAt) return 0;
    this.nextPurgeAt = Date.now() + PURGE_EVERY_MS;
    let purged = 0;
    try {
      for (;;) {
        const n = await this.idempotency.purgeOlderThan(IDEMPOTENCY_RETENTION_MS, PURGE_BATCH);
        purged += n;
        if (n < PURGE_BATCH || this.stopping) break;
      }
    } catch (err) {
      this.log.warn(`purging old Idempotency-Key records failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (purged > 0) this.log.debug(`${purged} Idempotency-Key records older than a day purged`);
    return purged;
  }
}

async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
