// Login throttling (issue 11): guessing passwords must cost the guesser time.
// Failures are counted three ways:
//   - per peer address (any users): 20 free;
//   - per (user, peer): 5 free;
//   - per user, from every address together: 50 free, which is what slows a
//     guesser who spreads one account's guesses over many addresses.
// Past its free failures, each failure of a count closes the door for twice
// as long as the last (1 s, 2 s, ... up to 5 minutes), and attempts inside
// that time are refused at once, RESOURCE_EXHAUSTED with RetryInfo, without
// checking the password.
//
// The per-user count does not close the door for addresses that user logged
// in from successfully before (in the last 30 days): the right password from
// the user's usual places still works while others guess. The per-peer
// counts never affect other addresses. A login that succeeds clears its
// (user, peer) count. In memory, per process: what a guesser talks to.

export const FREE_FAILURES_PER_USER = 5;
export const FREE_FAILURES_PER_PEER = 20;
export const FREE_FAILURES_PER_USER_ALL_PEERS = 50;
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 5 * 60_000;
/** A count nobody added to for this long starts again from nothing. */
const FORGET_AFTER_MS = 15 * 60_000;
/** How long a successful (user, peer) stays trusted against the per-user count. */
const TRUST_FOR_MS = 30 * 24 * 3600_000;
const MAX_ENTRIES = 10_000;
const MAX_TRUSTED = 10_000;

interface Count {
  failures: number;
  last: number;
}

function delayFor(c: Count, free: number): number {
  const excess = c.failures - free;
  if (excess <= 0) return 0;
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(excess - 1, 20));
}

const peerKey = (peer: string) => `p\u0000${peer}`;
const pairKey = (user: string, peer: string) => `u\u0000${user}\u0000${peer}`;
const userKey = (user: string) => `a\u0000${user}`;

export class LoginThrottle {
  private readonly counts = new Map<string, Count>();
  /** (user, peer) pairs that logged in, and when: insertion order is age order. */
  private readonly trusted = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  private get(key: string): Count | undefined {
    const c = this.counts.get(key);
    if (c && this.now() - c.last > FORGET_AFTER_MS) {
      this.counts.delete(key);
      return undefined;
    }
    return c;
  }

  private isTrusted(user: string, peer: string): boolean {
    const at = this.trusted.get(pairKey(user, peer));
    return at !== undefined && this.now() - at < TRUST_FOR_MS;
  }

  /** Milliseconds until `user` may try again from `peer`; 0 when now. */
  retryAfterMs(user: string, peer: string): number {
    const t = this.now();
    const counts: [string, number][] = [
      [peerKey(peer), FREE_FAILURES_PER_PEER],
      [pairKey(user, peer), FREE_FAILURES_PER_USER],
    ];
    if (!this.isTrusted(user, peer)) counts.push([userKey(user), FREE_FAILURES_PER_USER_ALL_PEERS]);
    let wait = 0;
    for (const [key, free] of counts) {
      const c = this.get(key);
      if (c) wait = Math.max(wait, c.last + delayFor(c, free) - t);
    }
    return Math.max(0, wait);
  }

  /** Counts a failure; returns the failures now counted for (user, peer) and for the user from anywhere. */
  failed(user: string, peer: string): { fromPeer: number; fromAll: number } {
    const t = this.now();
    if (this.counts.size > MAX_ENTRIES) {
      for (const [k, c] of this.counts) if (t - c.last > FORGET_AFTER_MS) this.counts.delete(k);
      if (this.counts.size > MAX_ENTRIES) this.counts.clear();
    }
    const bump = (key: string) => {
      const c = this.get(key) ?? { failures: 0, last: t };
      c.failures += 1;
      c.last = t;
      this.counts.set(key, c);
      return c.failures;
    };
    bump(peerKey(peer));
    return { fromPeer: bump(pairKey(user, peer)), fromAll: bump(userKey(user)) };
  }

  succeeded(user: string, peer: string): void {
    const key = pairKey(user, peer);
    this.counts.delete(key);
    this.trusted.delete(key);
    this.trusted.set(key, this.now());
    // Oldest first: drop what is past its time, then the oldest if still too many.
    for (const [k, at] of this.trusted) {
      if (this.trusted.size <= MAX_TRUSTED && this.now() - at < TRUST_FOR_MS) break;
      this.trusted.delete(k);
    }
  }
}
