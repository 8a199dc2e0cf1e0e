// Notifications of model changes, so streams (status watches, log follows,
// migration watches) wake up on a change instead of polling the store. The
// store publishes here after every commit that changed a model (the
// repositories record what each write touches), and, on an engine several
// nodes share, for the commits of the other nodes too: a listener that reads
// the store then sees the change.
import type { ModelChangeKind } from "./session.js";

export type { ModelChangeKind };

export interface ModelChange {
  modelUuid: string;
  kinds: readonly ModelChangeKind[];
}

export type ChangeListener = (change: ModelChange) => void;

export interface ChangeHub {
  /** Listens to one model's changes; call the returned function to stop. */
  subscribe(modelUuid: string, listener: ChangeListener): () => void;
  /** Listens to every model's changes. */
  subscribeAll(listener: ChangeListener): () => void;
  /** Tells listeners that a model changed. Never throws. */
  publish(modelUuid: string, ...kinds: ModelChangeKind[]): void;
  /**
   * Tells every listener that its model may have changed in every way (the
   * feed of other nodes' changes was interrupted, so some may be missed).
   */
  publishEverything(): void;
  /** Listeners currently registered (for a model, or in total): leak checks. */
  listenerCount(modelUuid?: string): number;
}

export interface ChangeHubOptions {
  /** Where a throwing listener is reported; it never breaks the publisher. */
  onListenerError?: (err: unknown) => void;
}

export function createChangeHub(opts: ChangeHubOptions = {}): ChangeHub {
  const byModel = new Map<string, Set<ChangeListener>>();
  const global = new Set<ChangeListener>();

  const call = (l: ChangeListener, change: ModelChange): void => {
    try {
      l(change);
    } catch (err) {
      opts.onListenerError?.(err);
    }
  };

  return {
    subscribe(modelUuid, listener) {
      let set = byModel.get(modelUuid);
      if (!set) byModel.set(modelUuid, (set = new Set()));
      // Wrap so the same function subscribed twice gets two independent subscriptions.
      const entry: ChangeListener = (c) => listener(c);
      set.add(entry);
      return () => {
        const s = byModel.get(modelUuid);
        if (!s) return;
        s.delete(entry);
        if (s.size === 0) byModel.delete(modelUuid);
      };
    },
    subscribeAll(listener) {
      const entry: ChangeListener = (c) => listener(c);
      global.add(entry);
      return () => void global.delete(entry);
    },
    publish(modelUuid, ...kinds) {
      if (!kinds.length) return;
      const change: ModelChange = { modelUuid, kinds };
      // Copy first: a listener may unsubscribe (itself or others) while we iterate.
      for (const l of [...(byModel.get(modelUuid) ?? [])]) call(l, change);
      for (const l of [...global]) call(l, change);
    },
    publishEverything() {
      const kinds: ModelChangeKind[] = ["status", "migration", "units", "workload", "config", "log"];
      for (const [modelUuid, set] of [...byModel]) {
        for (const l of [...set]) call(l, { modelUuid, kinds });
      }
      for (const l of [...global]) call(l, { modelUuid: "*", kinds });
    },
    listenerCount(modelUuid) {
      if (modelUuid !== undefined) return byModel.get(modelUuid)?.size ?? 0;
      let n = global.size;
      for (const s of byModel.values()) n += s.size;
      return n;
    },
  };
}
