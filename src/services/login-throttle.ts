// Login throttling (issue 11): guessing passwords must cost the guesser time.
// Failures are counted per peer address and per (user, peer). A few are free
// (typos); after that each failure closes the door for twice as long as the
// last, up to 5 minutes, and attempts inside that time are refused at once,
// RESOURCE_EXHAUSTED with RetryInfo, without checking the password. A login
// that succeeds clears its (user, peer) count. Other peers are not affected,
// so the right password from elsewhere still works while one address guesses.
// In memory: per process, which is what a guesser talks to.

export const FREE_FAILURES_PER_USER = 5;
export const FREE_FAILURES_PER_PEER = 20;
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 5 * 60_000;
/** A count nobody added to for this long starts again from nothing. */
const FORGET_AFTER_MS = 15 * 60_000;
const MAX_ENTRIES = 10_000;

interface Count {
  failures: number;
  last: number;
}

function delayFor(c: Count, free: number): number {
  const excess = c.failures - free;
  if (excess <= 0) return 0;
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(excess - 1, 20));
}

export class LoginThrottle {
  private readonly counts = new Map<string, Count>();

  constructor(private readonly now: () => number = Date.now) {}

  private get(key: string): Count | undefined {
    const c = this.counts.get(key);
    if (c && this.now() - c.last > FORGET_AFTER_MS) {
      this.counts.delete(key);
      return undefined;
    }
    return c;
  }

  /** Milliseconds until `user` may try again from `peer`; 0 when now. */
  retryAfterMs(user: string, peer: string): number {
    const t = this.now();
    let wait = 0;
    for (const [key, free] of [
      [`p\u0000${peer}`, FREE_FAILURES_PER_PEER],
      [`u\u0000${user}\u0000${peer}`, FREE_FAILURES_PER_USER],
    ] as const) {
      const c = this.get(key);
      if (c) wait = Math.max(wait, c.last + delayFor(c, free) - t);
    }
    return Math.max(0, wait);
  }

  /** Counts a failure; returns the failures now counted for (user, peer). */
  failed(user: string, peer: string): number {
    const t = this.now();
    if (this.counts.size > MAX_ENTRIES) {
      for (const [k, c] of this.counts) if (t - c.last > FORGET_AFTER_MS) this.counts.delete(k);
      if (this.counts.size > MAX_ENTRIES) this.counts.clear();
    }
    let n = 0;
    for (const key of [`p\u0000${peer}`, `u\u0000${user}\u0000${peer}`]) {
      const c = this.get(key) ?? { failures: 0, last: t };
      c.failures += 1;
      c.last = t;
      this.counts.set(key, c);
      n = c.failures;
    }
    return n;
  }

  succeeded(user: string, peer: string): void {
    this.counts.delete(`u\u0000${user}\u0000${peer}`);
  }
}
