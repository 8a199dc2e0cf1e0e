// Small helpers for making waits cancellable. Server-side waits must always be
// abortable: a cancelled call or a draining server must never leave a promise
// (and the call's memory) parked forever.

/** Settle with `promise`, or reject with the signal's reason as soon as it aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined); // it may still reject later; nobody listens any more
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/** Iterate `source` until it ends or `stop` aborts, whichever comes first; stopping is a normal end. */
export async function* until<T>(source: AsyncIterable<T>, stop: AbortSignal | undefined): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (stop?.aborted) return;
      let next: IteratorResult<T>;
      try {
        next = stop ? await raceAbort(it.next(), stop) : await it.next();
      } catch (err) {
        if (stop?.aborted) return;
        throw err;
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    void it.return?.()?.catch(() => undefined);
  }
}
