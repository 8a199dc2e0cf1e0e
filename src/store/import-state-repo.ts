// The life of an imported model on the destination of a migration, after
// its rows arrived (import-repo): binaries, validation, activation (the
// commit point), removal on abort, and the log transfer cursor. The stage is
// kept in the model row itself (migration_mode, status message,
// activated_at), so it survives a restart and every step is one transaction.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "./db.js";
import { findModelByUuid, type ModelRow } from "./access-repo.js";
import { deleteModelData } from "./model-repo.js";
import { deleteRedirect } from "./redirect-repo.js";
import { charms, logEntries, logTransfers, models, statusHistory } from "./schema.js";

/**
 * Status messages of a model while it is imported (status "busy"; nobody
 * sees them: the model is invisible until activated). They double as the
 * import's persisted stage.
 */
export const IMPORT_STATUS = {
  importing: "importing",
  imported: "imported, waiting for validation",
  validated: "validated, waiting for activation",
} as const;

/** Where an imported model stands. "native": a model of this controller, not an import. */
export type ImportStage = "importing" | "imported" | "validated" | "activated" | "native";

export function importStage(m: ModelRow): ImportStage {
  if (m.migrationMode !== "importing") return m.importMigrationId && m.activatedAt ? "activated" : "native";
  if (m.statusMessage === IMPORT_STATUS.validated) return "validated";
  if (m.statusMessage === IMPORT_STATUS.imported) return "imported";
  return "importing";
}

/** The model is already there in a way an import may not touch. */
export class ImportConflictError extends Error {
  constructor(
    readonly conflict: "uuid-exists" | "name-exists" | "activated" | "not-imported",
    message: string,
  ) {
    super(message);
    this.name = "ImportConflictError";
  }
}

/** Removes a model with all its rows and its log transfer cursor. Call inside store.tx. */
export function removeModelRows(db: Db, modelUuid: string): void {
  deleteModelData(db, modelUuid);
  db.delete(logTransfers).where(eq(logTransfers.modelUuid, modelUuid)).run();
}

/**
 * Removes a model that was imported but not activated (an abort). Returns
 * false when there is nothing to remove; refuses an activated import and a
 * model that was never an import.
 */
export function removeImportedModel(db: Db, modelUuid: string, migrationId?: string): boolean {
  const m = findModelByUuid(db, modelUuid);
  if (!m) return false;
  const stage = importStage(m);
  // Another attempt's import (a late cleanup of an earlier attempt): not ours to remove.
  if (migrationId && stage !== "native" && m.importMigrationId !== migrationId) return false;
  if (stage === "activated") {
    throw new ImportConflictError("activated", "model was already activated on the destination controller");
  }
  if (stage === "native") {
    throw new ImportConflictError("not-imported", "model on the destination controller is not a migration import");
  }
  removeModelRows(db, modelUuid);
  return true;
}

/** Charms of the model whose archive has not been uploaded (length differs from the recorded size). */
export function missingBinaries(db: Db, modelUuid: string): string[] {
  return db
    .select({ url: charms.url })
    .from(charms)
    .where(and(eq(charms.modelUuid, modelUuid), sql`length(${charms.archive}) <> ${charms.size}`))
    .orderBy(charms.url)
    .all()
    .map((r) => r.url);
}

/** A charm as the imported description recorded it. */
export function importedCharm(db: Db, modelUuid: string, url: string): { sha256: string; size: number } | undefined {
  return db
    .select({ sha256: charms.sha256, size: charms.size })
    .from(charms)
    .where(and(eq(charms.modelUuid, modelUuid), eq(charms.url, url)))
    .get();
}

/** Stores a verified charm archive into the imported model's charm row. */
export function storeCharmArchive(db: Db, modelUuid: string, url: string, archive: Buffer): void {
  db.update(charms)
    .set({ archive })
    .where(and(eq(charms.modelUuid, modelUuid), eq(charms.url, url)))
    .run();
}

/** Records the outcome of a validation: validated, or back to imported. */
export function setValidated(db: Db, modelUuid: string, ok: boolean): void {
  db.update(models)
    .set({ statusMessage: ok ? IMPORT_STATUS.validated : IMPORT_STATUS.imported })
    .where(and(eq(models.uuid, modelUuid), eq(models.migrationMode, "importing")))
    .run();
}

/**
 * Activates a validated import: the commit point of the migration, one
 * transaction (migration mode none, activation time, status available with
 * its history row). Idempotent: activating again returns the first
 * activation time. Throws ImportConflictError when the model is not a
 * validated import of `migrationId`.
 */
export function activateImport(db: Db, modelUuid: string, migrationId: string, now: number): number {
  const m = findModelByUuid(db, modelUuid);
  if (!m) throw new ImportConflictError("not-imported", "no imported model to activate");
  if (m.importMigrationId !== migrationId) {
    throw new ImportConflictError(
      "not-imported",
      `model was imported by migration ${m.importMigrationId ?? "(none)"}, not ${migrationId}`,
    );
  }
  const stage = importStage(m);
  if (stage === "activated") return m.activatedAt!;
  if (stage !== "validated") {
    throw new ImportConflictError("not-imported", `imported model is not validated yet (${m.statusMessage})`);
  }
  db.update(models)
    .set({ migrationMode: "none", activatedAt: now, status: "available", statusMessage: "", statusSince: now })
    .where(eq(models.uuid, modelUuid))
    .run();
  db.insert(statusHistory)
    .values({ modelUuid, entity: "model", kind: "model", status: "available", message: "", since: now })
    .run();
  // The model is back here (A -> B -> A): the redirect kept from when it left is stale.
  deleteRedirect(db, modelUuid);
  return now;
}

// ---- log transfer ------------------------------------------------------------

export interface LogCursor {
  sourceSeq: number;
  time: number;
  count: number;
}

export function logTransferCursor(db: Db, modelUuid: string): LogCursor | undefined {
  return db
    .select({ sourceSeq: logTransfers.sourceSeq, time: logTransfers.time, count: logTransfers.count })
    .from(logTransfers)
    .where(eq(logTransfers.modelUuid, modelUuid))
    .get();
}

export interface TransferredLog {
  /** The entry's position in the source's log. */
  seq: number;
  time: number;
  entity: string;
  level: string;
  module: string;
  message: string;
}

/**
 * Appends transferred entries (ordered by source seq) and moves the cursor,
 * in one transaction: entries at or before the cursor were stored by an
 * earlier try and are skipped, so a retried batch is not duplicated. Returns
 * how many were stored.
 */
export function appendTransferredLogs(db: Db, modelUuid: string, entries: TransferredLog[], now: number): number {
  const cursor = logTransferCursor(db, modelUuid);
  const fresh = entries.filter((e) => !cursor || e.seq > cursor.sourceSeq);
  if (!fresh.length) return 0;
  for (let i = 0; i < fresh.length; i += 500) {
    db.insert(logEntries)
      .values(
        fresh.slice(i, i + 500).map((e) => ({
          modelUuid,
          time: e.time,
          entity: e.entity,
          level: e.level,
          module: e.module,
          message: e.message,
        })),
      )
      .run();
  }
  const last = fresh[fresh.length - 1]!;
  const next = { sourceSeq: last.seq, time: last.time, count: (cursor?.count ?? 0) + fresh.length, updatedAt: now };
  db.insert(logTransfers)
    .values({ modelUuid, ...next })
    .onConflictDoUpdate({ target: logTransfers.modelUuid, set: next })
    .run();
  return fresh.length;
}

/** Forgets the log transfer cursor (the migration is over). */
export function deleteLogTransferCursor(db: Db, modelUuid: string): void {
  db.delete(logTransfers).where(eq(logTransfers.modelUuid, modelUuid)).run();
}
