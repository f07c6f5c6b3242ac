import type { BeforeApplicationShutdown, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { SchedulerRegistry } from '@nestjs/schedule';

/**
 * A job the worker runs every `everyMs` in each process with WORKER_ENABLED
 * (the stats rollup, retention): one run at a time (a tick while a run is
 * under way is skipped), the first at start; at shutdown no new run begins
 * and the one under way is waited for (`stopping` lets a long run end early).
 */
export abstract class PeriodicJob implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running?: Promise<void>;
  protected stopping = false;

  protected constructor(
    private readonly name: string,
    protected readonly log: Logger,
    private readonly scheduler: SchedulerRegistry,
    private readonly enabled: boolean,
    private readonly everyMs: number,
  ) {}

  /** one run's work; what it throws is logged as a warning */
  protected abstract run(): Promise<void>;

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    this.scheduler.addInterval(
      this.name,
      setInterval(() => this.kick(), this.everyMs),
    );
    this.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.scheduler.doesExist('interval', this.name)) this.scheduler.deleteInterval(this.name);
    await this.running;
  }

  /** one run now (tests); a run already under way is joined */
  runOnce(): Promise<void> {
    this.kick();
    return this.running ?? Promise.resolve();
  }

  private kick(): void {
    if (this.running || this.stopping) return;
    this.running = this.run()
      .catch((err: unknown) =>
        this.log.warn(`${this.name} failed: ${err instanceof Error ? err.message : String(err)}`),
      )
      .finally(() => (this.running = undefined));
  }
}
