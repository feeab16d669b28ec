/** The calls a server is serving right now, and waiting for none to be left (draining). */
export class InFlight {
  private count = 0;
  private idleWaiters: Array<() => void> = [];

  /** Calls being served. */
  get active(): number {
    return this.count;
  }

  /** One more call is being served. */
  enter(): void {
    this.count += 1;
  }

  /** One call finished; wakes the idle waiters when none is left. */
  leave(): void {
    this.count -= 1;
    if (this.count === 0 && this.idleWaiters.length > 0) this.releaseWaiters();
  }

  /** Resolves true once no call is in flight, or with the answer at `timeoutMs`. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== onIdle);
        resolve(this.count === 0);
      }, timeoutMs);
      timer.unref();
      const onIdle = (): void => {
        clearTimeout(timer);
        resolve(this.count === 0);
      };
      this.idleWaiters.push(onIdle);
    });
  }

  /** Wakes every waiter now (on shutdown). */
  releaseWaiters(): void {
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
