/** A counting semaphore: at most `limit` holders at once, FIFO waiters. */
export class Semaphore {
  private active = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly limit: number) {}

  async acquire(): Promise<() => void> {
    if (this.active < this.limit) {
      this.active++;
    } else {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.active--;
    };
  }

  get inUse(): number {
    return this.active;
  }
}

/**
 * Graph allows 4 concurrent requests per app and mailbox (SPEC §12). Several provider instances for one mailbox
 * (a run plus a subscription renewal, say) share one semaphore through this registry.
 */
const perMailbox = new Map<string, Semaphore>();

export function mailboxSemaphore(key: string, limit = 4): Semaphore {
  let s = perMailbox.get(key);
  if (!s) {
    s = new Semaphore(limit);
    perMailbox.set(key, s);
  }
  return s;
}
