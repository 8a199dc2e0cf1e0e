// Importing a model description (src/domain/description.ts) on the
// destination of a migration. The document is parsed as its chunks arrive
// (never buffered whole) and its rows go in with raw prepared statements, one
// transaction per chunk (a few thousand rows), into a model in migration mode
// "importing": invisible to users until the migration activates it. Size,
// SHA-256 and entity counts are checked at the end; a refused or interrupted
// import is removed by discard() (or by an Abort, or replaced by a retried
// Import after a restart).
import { createHash, type Hash } from "node:crypto";
import {
  DescriptionError,
  DESCRIPTION_FORMAT,
  decodeLine,
  emptyCounts,
  ENTITY_SPECS,
  LineSplitter,
  MODEL_SPEC,
} from "../domain/description.js";
import type Database from "better-sqlite3";
import type { Store } from "./db.js";
import { KIND_TABLES } from "./export-repo.js";
import { IMPORT_STATUS, ImportConflictError, removeModelRows } from "./import-state-repo.js";

export interface ImportPlan {
  modelUuid: string;
  migrationId: string;
  /** What the header announced: document bytes, digest and entity count. */
  size: number;
  sha256: string;
  entityCount: number;
  now?: number;
}

export interface ImportResult {
  counts: Record<string, number>;
  entityCount: number;
  sha256: string;
  size: number;
}

type Insert = (values: unknown[]) => void;

/** Statements that write one kind's rows for a model. */
function inserters(sqlite: Database.Database, modelUuid: string): Map<string, Insert> {
  const out = new Map<string, Insert>();
  for (const spec of ENTITY_SPECS) {
    const t = KIND_TABLES[spec.kind]!;
    // Charms arrive without their archive (it is uploaded as a binary): an
    // empty blob whose length differs from `size` marks it as missing.
    const extraCols = spec.kind === "charm" ? ", archive" : "";
    const extraVals = spec.kind === "charm" ? ", X''" : "";
    const stmt = sqlite.prepare(
      `INSERT INTO ${t.table} (model_uuid, ${t.columns.join(", ")}${extraCols}) ` +
        `VALUES (?${", ?".repeat(t.columns.length)}${extraVals})`,
    );
    out.set(spec.kind, (values) => stmt.run(modelUuid, ...values));
  }
  return out;
}

/**
 * Streams one description into the store. write() each chunk in order, then
 * finish(); on any failure call discard(). Not reentrant: one chunk at a time.
 */
export class ModelImporter {
  private readonly splitter = new LineSplitter();
  private readonly hash: Hash = createHash("sha256");
  private readonly counts = emptyCounts();
  private readonly inserts: Map<string, Insert>;
  private received = 0;
  private lineNo = 0;
  private order = -1;
  private created = false;
  private finished = false;

  constructor(
    private readonly store: Store,
    private readonly plan: ImportPlan,
  ) {
    this.inserts = inserters(store.sqlite, plan.modelUuid);
  }

  /** Entities stored so far (for progress). */
  get entities(): number {
    let n = 0;
    for (const v of Object.values(this.counts)) n += v;
    return n;
  }

  /** Parses and stores the complete lines of `chunk`, in one transaction. */
  write(chunk: Uint8Array): void {
    if (this.finished) throw new Error("import already finished");
    this.received += chunk.length;
    if (this.received > this.plan.size) {
      throw new DescriptionError("mismatch", `model description is larger than the announced ${this.plan.size} bytes`);
    }
    this.hash.update(chunk);
    const lines = this.splitter.push(chunk);
    if (!lines.length) return;
    const created = this.created;
    try {
      this.store.sqlite
        .transaction(() => {
          for (const text of lines) this.line(text);
        })
        .immediate();
    } catch (err) {
      // Rolled back: a model created in this transaction no longer exists.
      this.created = created;
      throw err;
    }
  }

  private line(text: string): void {
    const d = decodeLine(text, ++this.lineNo);
    if (d.order < this.order || (d.order === 0 && this.order === 0)) {
      throw new DescriptionError("invalid", `model description line ${this.lineNo}: ${d.spec.kind} out of order`);
    }
    this.order = d.order;
    if (d.order === 0) return this.createModel(d.values);
    if (!this.created) {
      throw new DescriptionError("invalid", "model description must start with the model line");
    }
    try {
      this.inserts.get(d.spec.kind)!(d.values);
    } catch (err) {
      // A duplicate key is the document's fault, not the controller's.
      if ((err as { code?: string }).code?.startsWith("SQLITE_CONSTRAINT")) {
        throw new DescriptionError(
          "invalid",
          `model description line ${this.lineNo}: ${d.spec.kind}: ${String((err as Error).message)}`,
        );
      }
      throw err;
    }
    this.counts[d.spec.countKey]!++;
  }

  /** The model line: replaces a leftover import of this model, then creates the importing model. */
  private createModel(v: unknown[]): void {
    const f = Object.fromEntries(MODEL_SPEC.fields.map(([k], i) => [k, v[i]])) as Record<string, unknown>;
    if (f.format !== DESCRIPTION_FORMAT) {
      throw new DescriptionError("invalid", `unsupported model description format ${String(f.format)}`);
    }
    if (f.uuid !== this.plan.modelUuid) {
      throw new DescriptionError(
        "invalid",
        `model description is for model ${String(f.uuid)}, not ${this.plan.modelUuid}`,
      );
    }
    if (f.isController) throw new DescriptionError("invalid", "controller model cannot be migrated");
    const sqlite = this.store.sqlite;
    const existing = sqlite
      .prepare("SELECT migration_mode AS mode, import_migration_id AS migrationId FROM models WHERE uuid = ?")
      .get(this.plan.modelUuid) as { mode: string; migrationId: string | null } | undefined;
    if (existing) {
      if (existing.mode !== "importing")
        throw new ImportConflictError("uuid-exists", "model with same UUID already exists");
      // A leftover of an earlier try (a retry after a failure or a restart):
      // never activated, invisible, so it is replaced.
      removeModelRows(this.store.db, this.plan.modelUuid);
    }
    const named = sqlite.prepare("SELECT uuid FROM models WHERE owner = ? AND name = ?").get(f.owner, f.name);
    if (named) {
      throw new ImportConflictError(
        "name-exists",
        `model named "${String(f.name)}" already exists on destination controller`,
      );
    }
    const t = KIND_TABLES.model!;
    const now = this.plan.now ?? Date.now();
    sqlite
      .prepare(
        `INSERT INTO models (${t.columns.join(", ")}, status, status_message, status_since, migration_mode, import_migration_id)
         VALUES (${t.columns.map(() => "?").join(", ")}, 'busy', ?, ?, 'importing', ?)`,
      )
      .run(...v.slice(1), IMPORT_STATUS.importing, now, this.plan.migrationId);
    // A log transfer cursor left from an earlier stay of this model here is not this migration's.
    sqlite.prepare("DELETE FROM log_transfers WHERE model_uuid = ?").run(this.plan.modelUuid);
    this.created = true;
  }

  /** Verifies the whole document against the plan and marks the import complete. */
  finish(): ImportResult {
    if (this.splitter.pending > 0) {
      throw new DescriptionError("mismatch", "model description is truncated (last line has no newline)");
    }
    if (this.received !== this.plan.size) {
      throw new DescriptionError(
        "mismatch",
        `model description is truncated: received ${this.received} of ${this.plan.size} bytes`,
      );
    }
    const sha256 = this.hash.digest("hex");
    if (sha256 !== this.plan.sha256) {
      throw new DescriptionError(
        "mismatch",
        `model description SHA-256 mismatch: received ${sha256}, expected ${this.plan.sha256}`,
      );
    }
    if (!this.created) throw new DescriptionError("invalid", "model description is empty");
    const entityCount = this.entities;
    if (entityCount !== this.plan.entityCount) {
      throw new DescriptionError(
        "mismatch",
        `model description has ${entityCount} entities, header announced ${this.plan.entityCount}`,
      );
    }
    this.store.sqlite
      .prepare("UPDATE models SET status_message = ? WHERE uuid = ? AND import_migration_id = ?")
      .run(IMPORT_STATUS.imported, this.plan.modelUuid, this.plan.migrationId);
    this.finished = true;
    return { counts: { ...this.counts }, entityCount, sha256, size: this.received };
  }

  /** Removes what this import stored (nothing when it never got to create the model). */
  discard(): void {
    if (!this.created || this.finished) return;
    this.store.tx((db) => {
      const row = this.store.sqlite
        .prepare("SELECT import_migration_id AS id, migration_mode AS mode FROM models WHERE uuid = ?")
        .get(this.plan.modelUuid) as { id: string | null; mode: string } | undefined;
      // Only our own, still importing, rows: never a model someone else created since.
      if (row && row.mode === "importing" && row.id === this.plan.migrationId) removeModelRows(db, this.plan.modelUuid);
    });
    this.created = false;
  }
}
