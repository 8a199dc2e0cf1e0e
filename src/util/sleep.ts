// One sleep for the whole code base: it wakes early (without throwing) when
// the signal aborts, so a stopping worker, a closed stream or a stopped agent
// never waits out a timer.

/** Sleeps `ms`; resolves at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
