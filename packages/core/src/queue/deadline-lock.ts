type Release = () => void;

/**
 * A FIFO lock whose waiters give up at a deadline. RedisQueue uses it so concurrent dequeues take
 * turns on the one blocking connection (a BRPOP blocks its connection), while each caller still
 * gets null at its own timeout instead of waiting behind another caller's BRPOP.
 */
export class DeadlineLock {
  private held = false;
  private readonly waiters: Array<{ grant(release: Release | null): void }> = [];

  /** A release function, or null when the deadline passed (or cancel() ran) first. */
  acquire(deadline: number): Promise<Release | null> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => {
      const waiter = {
        grant: (release: Release | null) => {
          clearTimeout(timer);
          resolve(release);
        },
      };
      const timer = setTimeout(
        () => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          resolve(null);
        },
        Math.max(0, deadline - Date.now()),
      );
      this.waiters.push(waiter);
    });
  }

  /** Every waiter gets null now (closing). */
  cancel(): void {
    for (const waiter of this.waiters.splice(0)) waiter.grant(null);
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Hand over directly, so nobody can slip in between.
      const next = this.waiters.shift();
      if (next) next.grant(this.releaser());
      else this.held = false;
    };
  }
}
