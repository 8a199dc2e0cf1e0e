// Helpers of MigrationTargetService: who may call (the migration token's
// model), one operation at a time per model, reading header-then-chunks
// streams, and turning store errors into clear status codes (caller mistakes
// are never INTERNAL).
import { Code, type ConnectError, type HandlerContext } from "@connectrpc/connect";
import { DescriptionError } from "../domain/description.js";
import { MAX_CHUNK } from "../migration/export.js";
import { ImportConflictError, ImportSuperseded } from "../store/index.js";
import { principalOf, type Principal } from "./context.js";
import { badField, ferryError, permissionDenied } from "./errors.js";

/** Largest model description accepted (a 100k-unit model with full history is ~150 MB). */
export const MAX_DOCUMENT = 4 * 1024 * 1024 * 1024;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The caller's migration principal, which must be bound to `modelUuid`:
 * a migration token opens one model's migration and no other.
 */
export function migrationCaller(ctx: HandlerContext, modelUuid: string, field = "model_uuid"): Principal {
  const p = principalOf(ctx);
  if (p.kind !== "migration") {
    throw permissionDenied("MigrationTargetService needs a migration token", "TOKEN_SCOPE");
  }
  if (!modelUuid) throw badField(field, "a model UUID is required");
  if (!UUID_RE.test(modelUuid)) throw badField(field, "must be a lower-case model UUID");
  if (modelUuid !== p.modelUuid) {
    throw permissionDenied(`migration token is not valid for model ${modelUuid}`, "TOKEN_MODEL_MISMATCH");
  }
  return p;
}

/** Checks a migration id ("<model-uuid>:<attempt>") names this model. */
export function checkMigrationId(id: string, modelUuid: string, field = "migration_id"): void {
  const m = /^([0-9a-f-]{36}):(\d+)$/.exec(id);
  if (!m) throw badField(field, 'must be "<model-uuid>:<attempt>"');
  if (m[1] !== modelUuid) throw badField(field, `migration ${id} is not a migration of model ${modelUuid}`);
}

export function checkSha256(hex: string, field: string): void {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw badField(field, "must be a lower-case hex SHA-256");
}

export function checkChunk(chunk: Uint8Array): void {
  if (chunk.length > MAX_CHUNK) {
    throw badField("chunk", `chunks must be at most ${MAX_CHUNK} bytes (got ${chunk.length})`);
  }
}

/** Maps the store's import errors to status codes; anything else is passed on. */
export function importError(err: unknown): unknown {
  if (err instanceof DescriptionError) {
    return err.reason === "invalid"
      ? ferryError(Code.InvalidArgument, "INVALID_DESCRIPTION", err.message)
      : ferryError(Code.DataLoss, "DESCRIPTION_MISMATCH", err.message);
  }
  if (err instanceof ImportSuperseded) return cancelled(err.message);
  if (err instanceof ImportConflictError) {
    switch (err.conflict) {
      case "uuid-exists":
        return ferryError(Code.AlreadyExists, "MODEL_UUID_EXISTS", err.message);
      case "name-exists":
        return ferryError(Code.AlreadyExists, "MODEL_NAME_EXISTS", err.message);
      case "activated":
        return ferryError(Code.FailedPrecondition, "MODEL_ACTIVATED", err.message);
      case "not-imported":
        return ferryError(Code.FailedPrecondition, "NOT_IMPORTED", err.message);
    }
  }
  return err;
}

export function cancelled(message: string): ConnectError {
  return ferryError(Code.Aborted, "IMPORT_SUPERSEDED", message);
}

/**
 * Serialises the operations on one model (import, uploads, validation,
 * activation, abort). A running import can be pre-empted: a retried Import
 * (the source reconnected while the old stream has not failed yet) or an
 * Abort cancels it rather than waiting behind a stream that may never end.
 */
export class ModelLocks {
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly imports = new Map<string, { ac: AbortController; migrationId: string }>();

  /** Runs fn when every earlier operation on the model has finished. */
  async run<T>(modelUuid: string, fn: () => Promise<T> | T): Promise<T> {
    const prev = this.tails.get(modelUuid) ?? Promise.resolve();
    const mine = prev.catch(() => undefined).then(fn);
    const tail = mine.catch(() => undefined);
    this.tails.set(modelUuid, tail);
    try {
      return await mine;
    } finally {
      if (this.tails.get(modelUuid) === tail) this.tails.delete(modelUuid);
    }
  }

  /**
   * Cancels the model's running import, if any; given a migration id, only
   * an import of that migration (an abort of one attempt leaves another
   * attempt's import running).
   */
  preempt(modelUuid: string, migrationId?: string): void {
    const running = this.imports.get(modelUuid);
    if (running && (!migrationId || running.migrationId === migrationId)) running.ac.abort();
  }

  /** Registers a running import; the returned signal fires when it is pre-empted. */
  importStarted(modelUuid: string, migrationId = ""): { signal: AbortSignal; done: () => void } {
    const entry = { ac: new AbortController(), migrationId };
    this.imports.set(modelUuid, entry);
    return {
      signal: entry.ac.signal,
      done: () => {
        if (this.imports.get(modelUuid) === entry) this.imports.delete(modelUuid);
      },
    };
  }
}

/**
 * The messages of a client stream after the first, ending early (with
 * ABORTED) when `signal` fires, even while waiting for a message that may
 * never come.
 */
export async function* untilAborted<T>(it: AsyncIterator<T>, signal: AbortSignal, what: string): AsyncGenerator<T> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(cancelled(`${what} was cancelled by a newer request for the same model`));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    for (;;) {
      if (signal.aborted) throw cancelled(`${what} was cancelled by a newer request for the same model`);
      const r = await Promise.race([it.next(), aborted]);
      if (r.done) return;
      yield r.value;
    }
  } finally {
    signal.removeEventListener("abort", onAbort!);
    void it.return?.();
  }
}
