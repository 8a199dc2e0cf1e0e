// Group commit for small, frequent writes (agents' status reports, their
// connections coming and going). A hundred agents switching controllers at
// once make a few hundred such writes in the same second; one transaction
// each queues them behind one another on the store's single writer, and the
// reports users care about wait behind them. Jobs that arrive while a batch
// is being written go into the next one, so a lone write waits for nothing
// and a burst costs a few transactions.
import { ConnectError } from "@connectrpc/connect";
import type { Repos, Store } from "../store/index.js";

interface Job {
  fn: (tx: Repos) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** Jobs per transaction, at most: a burst of thousands is written in parts, each short enough (tens of ms) not to hold the event loop for long. */
const MAX_BATCH = 50;

export class GroupCommit {
  private queue: Job[] = [];
  private running = false;

  constructor(private readonly store: Store) {}

  /**
   * Runs `fn` in a transaction shared with other jobs. A job refuses by
   * throwing a ConnectError before it writes anything (that job alone fails);
   * any other error fails the shared transaction, and then every job of it is
   * run again in a transaction of its own, so one bad job costs the others
   * nothing but time. Like Store.write, `fn` may run more than once.
   */
  run<T>(fn: (tx: Repos) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.running) {
        this.running = true;
        // Whatever else arrives in this turn of the event loop joins the first batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, MAX_BATCH);
        await this.commit(batch);
      }
    } finally {
      this.running = false;
    }
  }

  private async commit(batch: Job[]): Promise<void> {
    if (batch.length === 1) {
      const [j] = batch;
      await this.store.write(j!.fn).then(j!.resolve, j!.reject);
      return;
    }
    let outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      await this.store.write(async (tx) => {
        outcomes = [];
        for (const j of batch) {
          try {
            outcomes.push({ ok: true, value: await j.fn(tx) });
          } catch (error) {
            if (!(error instanceof ConnectError)) throw error;
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch {
      // Something went wrong below the jobs' own refusals (a failed
      // statement, say): each on its own, so only the guilty one fails.
      await Promise.all(batch.map((j) => this.store.write(j.fn).then(j.resolve, j.reject)));
      return;
    }
    batch.forEach((j, i) => {
      const o = outcomes[i]!;
      if (o.ok) j.resolve(o.value);
      else j.reject(o.error);
    });
  }
}
