// A first-come, first-served lock for async work: run(fn) starts fn once
// every earlier holder has finished (whether it succeeded or threw).
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  private held = 0;

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    this.held++;
    try {
      await prev;
      return await fn();
    } finally {
      this.held--;
      release();
    }
  }

  /** Holders running or waiting (for tests and shutdown). */
  get pending(): number {
    return this.held;
  }
}
