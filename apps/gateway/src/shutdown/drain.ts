/**
 * Where a shutdown stands, and how many requests are being answered: shared
 * by the request hooks (which count them and, once `refusing`, answer new ones
 * 503), the readiness check (503 once `draining`) and the shutdown sequence
 * (graceful-shutdown.ts), which waits for `idle()`.
 */
export class Drain {
  /** readiness answers 503: the load balancer is to stop sending requests here */
  draining = false;
  /** new requests (but the health checks) are answered 503 at once */
  refusing = false;
  private active = 0;
  private waiters: (() => void)[] = [];

  get inFlight(): number {
    return this.active;
  }

  enter(): void {
    this.active += 1;
  }

  leave(): void {
    this.active -= 1;
    if (this.active === 0 && this.waiters.length > 0) {
      for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** true once no request is in flight, false when `timeoutMs` passed first */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.active === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
