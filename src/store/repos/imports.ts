// The destination side of a migration in the store: the imported model's
// rows going in (a description at a time, see ../model-import.ts), its stage
// (models.import_stage, transitions in domain/import-stages.ts), binaries,
// activation (the commit point), removal on abort, and the log transfer
// cursor. Every step is one transaction, so it survives a restart.
import { randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { checkImportTransition, importStageOf, type ImportStage } from "../../domain/import-stages.js";
import type { ModelRow } from "../rows.js";
import { first } from "../session.js";
import { KIND_TABLES } from "../model-tables.js";
import { IMPORT_LEASE_MS, importLeaseName } from "../import-lease.js";
import { Repo } from "./base.js";

/** Status messages of a model while it is imported (display only: nobody sees the model until it is activated). */
export const IMPORT_STATUS: Readonly<Record<Exclude<ImportStage, "activated">, string>> = {
  importing: "importing",
  imported: "imported, waiting for validation",
  validated: "validated, waiting for activation",
};

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

export interface LogCursor {
  sourceSeq: number;
  time: number;
  count: number;
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

export class ImportRepo extends Repo {
  /** Where a model with this UUID stands, if one exists (an import may replace only its own leftovers). */
  async existing(modelUuid: string): Promise<{ mode: string; migrationId: string | null } | undefined> {
    const { models } = this.t;
    return first(
      await this.db
        .select({ mode: models.migrationMode, migrationId: models.importMigrationId })
        .from(models)
        .where(eq(models.uuid, modelUuid)),
    );
  }

  /**
   * Inserts the model line of a description as a model in "importing" mode
   * (invisible to users) and stage "importing"; `values` follow
   * KIND_TABLES.model's columns.
   */
  async createImportedModel(values: readonly unknown[], migrationId: string, now: number): Promise<void> {
    const t = KIND_TABLES.model!;
    const modelUuid = values[0] as string;
    await this.s.insertRows(
      "models",
      [
        ...t.columns,
        "status",
        "status_message",
        "status_since",
        "migration_mode",
        "import_migration_id",
        "import_stage",
      ],
      [[...values, "busy", IMPORT_STATUS.importing, now, "importing", migrationId, "importing"]],
    );
    // A log transfer cursor left from an earlier stay of this model here is not this migration's.
    await this.db.delete(this.t.logTransfers).where(eq(this.t.logTransfers.modelUuid, modelUuid));
    this.s.touch(modelUuid, "status");
  }

  /** Inserts rows of one description kind (values in the kind's field order) into an imported model. */
  async insertEntities(modelUuid: string, kind: string, rows: readonly (readonly unknown[])[]): Promise<void> {
    if (!rows.length) return;
    const t = KIND_TABLES[kind];
    if (!t) throw new Error(`unknown description kind ${kind}`);
    // Charms arrive without their archive (it is uploaded as a binary): an
    // empty one, whose length differs from `size`, marks it as missing.
    const extra = kind === "charm" ? ["archive"] : [];
    const empty = Buffer.alloc(0);
    await this.s.insertRows(
      t.table,
      ["model_uuid", ...t.columns, ...extra],
      rows.map((v) => (kind === "charm" ? [modelUuid, ...v, empty] : [modelUuid, ...v])),
    );
    this.s.touch(modelUuid, "status");
  }

  /**
   * Moves an import to `to` (refusing edges the stage table does not have);
   * the model's status message follows for display.
   */
  async setStage(m: Pick<ModelRow, "uuid" | "importStage">, to: Exclude<ImportStage, "activated">): Promise<void> {
    const from = importStageOf(m);
    if (from === "native") throw new ImportConflictError("not-imported", "model is not a migration import");
    checkImportTransition(from, to);
    const { models } = this.t;
    await this.db
      .update(models)
      .set({ importStage: to, statusMessage: IMPORT_STATUS[to] })
      .where(and(eq(models.uuid, m.uuid), eq(models.migrationMode, "importing")));
    this.s.touch(m.uuid, "status");
  }

  /**
   * Removes a model that was imported but not activated (an abort). Returns
   * false when there is nothing to remove; refuses an activated import and a
   * model that was never an import.
   */
  async removeImported(modelUuid: string, migrationId?: string): Promise<boolean> {
    const m = await this.r.models.byUuid(modelUuid);
    if (!m) return false;
    const stage = importStageOf(m);
    // Another attempt's import (a late cleanup of an earlier attempt): not ours to remove.
    if (migrationId && stage !== "native" && m.importMigrationId !== migrationId) return false;
    if (stage === "activated") {
      throw new ImportConflictError("activated", "model was already activated on the destination controller");
    }
    if (stage === "native") {
      throw new ImportConflictError("not-imported", "model on the destination controller is not a migration import");
    }
    // An import still running (on this node or another) must not go on writing into what is removed here.
    await this.r.leases.seize(importLeaseName(modelUuid), `abort/${randomBytes(8).toString("hex")}`, IMPORT_LEASE_MS);
    await this.r.models.deleteAll(modelUuid);
    return true;
  }

  /**
   * Activates a validated import: the commit point of the migration
   * (migration mode none, stage activated, activation time, status available
   * with its history row). Idempotent: activating again returns the first
   * activation time. Throws ImportConflictError when the model is not a
   * validated import of `migrationId`.
   */
  async activate(modelUuid: string, migrationId: string, now: number): Promise<number> {
    const m = await this.r.models.byUuid(modelUuid);
    if (!m) throw new ImportConflictError("not-imported", "no imported model to activate");
    if (m.importMigrationId !== migrationId) {
      throw new ImportConflictError(
        "not-imported",
        `model was imported by migration ${m.importMigrationId ?? "(none)"}, not ${migrationId}`,
      );
    }
    const stage = importStageOf(m);
    if (stage === "activated") return m.activatedAt!;
    if (stage !== "validated") {
      throw new ImportConflictError("not-imported", `imported model is not validated yet (it is ${stage})`);
    }
    checkImportTransition(stage, "activated");
    const { models } = this.t;
    await this.db
      .update(models)
      .set({
        migrationMode: "none",
        importStage: "activated",
        activatedAt: now,
        status: "available",
        statusMessage: "",
        statusSince: now,
      })
      .where(eq(models.uuid, modelUuid));
    await this.r.status.append(modelUuid, "model", "model", "available", "", now);
    // The model is back here (A -> B -> A): the redirect kept from when it left is stale.
    await this.r.redirects.delete(modelUuid);
    this.s.touch(modelUuid, "status");
    return now;
  }

  async logTransferCursor(modelUuid: string): Promise<LogCursor | undefined> {
    const { logTransfers } = this.t;
    return first(
      await this.db
        .select({ sourceSeq: logTransfers.sourceSeq, time: logTransfers.time, count: logTransfers.count })
        .from(logTransfers)
        .where(eq(logTransfers.modelUuid, modelUuid)),
    );
  }

  /**
   * Appends transferred entries (ordered by source seq) and moves the cursor,
   * in one transaction: entries at or before the cursor were stored by an
   * earlier try and are skipped, so a retried batch is not duplicated. Returns
   * how many were stored.
   */
  async appendTransferredLogs(modelUuid: string, entries: TransferredLog[], now: number): Promise<number> {
    const { logTransfers } = this.t;
    const cursor = await this.logTransferCursor(modelUuid);
    const fresh = entries.filter((e) => !cursor || e.seq > cursor.sourceSeq);
    if (!fresh.length) return 0;
    await this.s.insertRows(
      "log_entries",
      ["model_uuid", "time", "entity", "level", "module", "message"],
      fresh.map((e) => [modelUuid, e.time, e.entity, e.level, e.module, e.message]),
    );
    const last = fresh[fresh.length - 1]!;
    const next = { sourceSeq: last.seq, time: last.time, count: (cursor?.count ?? 0) + fresh.length, updatedAt: now };
    await this.db
      .insert(logTransfers)
      .values({ modelUuid, ...next })
      .onConflictDoUpdate({ target: logTransfers.modelUuid, set: next });
    this.s.touch(modelUuid, "log");
    return fresh.length;
  }

  /** Forgets the log transfer cursor (the migration is over). */
  async deleteLogTransferCursor(modelUuid: string): Promise<void> {
    const { logTransfers } = this.t;
    await this.db.delete(logTransfers).where(eq(logTransfers.modelUuid, modelUuid));
  }
}
