// The store every layer above src/store/ sees: asynchronous, engine-blind.
// read() runs a function on one consistent snapshot, write() runs it in one
// serialised transaction; both hand it the repositories (./repos/). Two
// engines implement it: ./sqlite/ (the embedded default) and ./postgres/
// (several ferryd processes on one database are one controller).
import type { ChangeHub } from "./changes.js";
import type { ModelSnapshot } from "./model-tables.js";
import type { Repos } from "./repos/index.js";

/** A lease a write is made for: it commits only while `holder` still holds `name` at `epoch`. */
export interface Fence {
  name: string;
  holder: string;
  epoch: number;
}

export interface WriteOptions {
  /** Fences the write (singular work done under a lease); a moved lease fails it with LeaseLost. */
  fence?: Fence;
}

export interface ReadOptions {
  /**
   * A hint that fn usually issues a single statement (a lookup on every
   * call: a token, a model with its grant, a cached status). One statement
   * is a snapshot by itself, so the PostgreSQL engine then runs it without
   * a transaction around it (saving BEGIN and COMMIT round trips); when fn
   * issues a second statement the engine stops it there and runs it again
   * from the start in a REPEATABLE READ transaction. fn must therefore keep
   * side effects until after its reads (as every read should).
   */
  oneStatement?: boolean;
}

/** The lease a fenced write was made for has moved to another holder (or epoch): nothing was written. */
export class LeaseLost extends Error {
  constructor(readonly fence: Fence) {
    super(`lease ${fence.name} (epoch ${fence.epoch}) is no longer held by ${fence.holder}`);
    this.name = "LeaseLost";
  }
}

/** A file a backup archive carries for the store. */
export interface StoreBackupFile {
  /** Name inside the archive. */
  name: string;
  /** Where the consistent copy was written. */
  path: string;
  /** Models in the copy. */
  modelCount: number;
}

export interface Store {
  readonly engine: "sqlite" | "postgres";
  /** Where the data lives, for logs and messages (never a password). */
  readonly location: string;
  /** Whether several nodes (ferryd processes) may share this store. */
  readonly shared: boolean;
  /** Changes of models committed by this node and, on a shared store, by the others. */
  readonly changes: ChangeHub;
  /** Runs fn on one consistent snapshot (no writes). */
  read<T>(fn: (tx: Repos) => Promise<T>, opts?: ReadOptions): Promise<T>;
  /**
   * Runs fn in one transaction, serialised with every other write that
   * conflicts with it; all or nothing. fn may run more than once (a
   * PostgreSQL serialization failure is retried): keep side effects out of it.
   */
  write<T>(fn: (tx: Repos) => Promise<T>, opts?: WriteOptions): Promise<T>;
  /** One model as of now, on a connection of its own, for a migration export. */
  openModelSnapshot(modelUuid: string): Promise<ModelSnapshot>;
  /** Writes a consistent copy of the whole store into `dir` for a backup archive. */
  backupFile(dir: string): Promise<StoreBackupFile>;
  /** Waits for running transactions, then closes every connection. Idempotent. */
  close(): Promise<void>;
}

/** Whether `err` (or what caused it) is a violated unique index or primary key, on either engine. */
export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "23505") return true;
  }
  return false;
}
