import { Injectable, type OnModuleDestroy } from '@nestjs/common';

/**
 * Every timer of the sandbox goes through here: unref'd so they never keep a
 * process (or jest) alive, cleared on reset and on close.
 */
@Injectable()
export class SandboxTimers implements OnModuleDestroy {
  private readonly scheduled = new Set<NodeJS.Timeout>();
  private readonly sleepers = new Set<() => void>();

  /** run fn after ms, unless reset or closed first */
  after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.scheduled.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.scheduled.add(timer);
  }

  /**
   * Runs each step at its atMs, and never one before those listed ahead of it.
   * Node keeps one timer list per duration, so after a stall a later step's
   * timer can fire before an earlier one's (a 25 ms timer of a list created
   * earlier before a 1 ms one); here a step that fires first runs the earlier
   * ones before itself.
   */
  sequence(steps: ReadonlyArray<{ atMs: number; run: () => void }>): void {
    let next = 0;
    steps.forEach((step, index) =>
      this.after(step.atMs, () => {
        while (next <= index) steps[next++].run();
      }),
    );
  }

  /** resolves after ms, or at once when the sandbox closes */
  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.sleepers.add(wake);
    });
  }

  cancelScheduled(): void {
    for (const timer of this.scheduled) clearTimeout(timer);
    this.scheduled.clear();
  }

  /** before the HTTP server closes: requests held by a latency fault are let go so close() does not wait for them */
  onModuleDestroy(): void {
    this.cancelScheduled();
    for (const wake of [...this.sleepers]) wake();
  }
}
