// Importing a model description (src/domain/description.ts) on the
// destination of a migration. The document is parsed as its chunks arrive
// (never buffered whole) and its rows go in a kind at a time with the
// engine's bulk insert, one transaction per chunk (a few thousand rows), into
// a model in migration mode "importing": invisible to users until the
// migration activates it. Size, SHA-256 and entity counts are checked at the
// end; a refused or interrupted import is removed by discard() (or by an
// Abort, or replaced by a retried Import after a restart).
import { createHash, randomBytes, type Hash } from "node:crypto";
import {
  DescriptionError,
  DESCRIPTION_FORMAT,
  importableFormat,
  MIN_DESCRIPTION_FORMAT,
  decodeLine,
  emptyCounts,
  LineSplitter,
  MODEL_SPEC,
  type DecodedLine,
} from "../domain/description.js";
import type { Repos } from "./repos/index.js";
import { ImportConflictError } from "./repos/imports.js";
import { isUniqueViolation, LeaseLost, type Fence, type Store } from "./store.js";
import { IMPORT_LEASE_MS, importLeaseName } from "./import-lease.js";

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

/**
 * Streams one description into the store. write() each chunk in order, then
 * finish(); on any failure call discard(). Not reentrant: one chunk at a time.
 */
export class ModelImporter {
  private readonly splitter = new LineSplitter();
  private readonly hash: Hash = createHash("sha256");
  private readonly counts = emptyCounts();
  private received = 0;
  private lineNo = 0;
  private order = -1;
  private created = false;
  private finished = false;
  private readonly holder = `import/${randomBytes(8).toString("hex")}`;
  private fence: Fence | undefined;

  constructor(
    private readonly store: Store,
    private readonly plan: ImportPlan,
  ) {}

  /** Entities stored so far (for progress). */
  get entities(): number {
    let n = 0;
    for (const v of Object.values(this.counts)) n += v;
    return n;
  }

  /** Parses and stores the complete lines of `chunk`, in one transaction. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.finished) throw new Error("import already finished");
    this.received += chunk.length;
    if (this.received > this.plan.size) {
      throw new DescriptionError("mismatch", `model description is larger than the announced ${this.plan.size} bytes`);
    }
    this.hash.update(chunk);
    const lines = this.splitter.push(chunk);
    if (!lines.length) return;
    // Decoded (and checked) before the transaction: a bad line costs nothing.
    const decoded = lines.map((text) => this.decode(text));
    const before = { created: this.created, order: this.order, counts: { ...this.counts }, fence: this.fence };
    try {
      await this.store.write(
        async (tx) => {
          // A retried transaction starts from the same place.
          this.created = before.created;
          this.fence = before.fence;
          Object.assign(this.counts, before.counts);
          await this.store_(tx, decoded);
        },
        { fence: before.fence },
      );
    } catch (err) {
      // Rolled back: a model created in this transaction no longer exists.
      this.created = before.created;
      this.fence = before.fence;
      Object.assign(this.counts, before.counts);
      if (err instanceof LeaseLost) {
        throw new ImportSuperseded("the import was superseded by a newer request for the same model");
      }
      if (isUniqueViolation(err)) {
        // A duplicate key is the document's fault, not the controller's.
        throw new DescriptionError("invalid", `model description has a duplicate entity: ${describe(err)}`);
      }
      throw err;
    }
  }

  private decode(text: string): DecodedLine {
    const d = decodeLine(text, ++this.lineNo);
    if (d.order < this.order || (d.order === 0 && this.order === 0)) {
      throw new DescriptionError("invalid", `model description line ${this.lineNo}: ${d.spec.kind} out of order`);
    }
    if (d.order !== 0 && this.order < 0) {
      throw new DescriptionError("invalid", "model description must start with the model line");
    }
    this.order = d.order;
    return d;
  }

  /** Stores decoded lines: the model line first, then runs of one kind with one bulk insert each. */
  private async store_(tx: Repos, lines: DecodedLine[]): Promise<void> {
    let i = 0;
    while (i < lines.length) {
      const d = lines[i]!;
      if (d.order === 0) {
        await this.createModel(tx, d.values);
        i++;
        continue;
      }
      if (!this.created) throw new DescriptionError("invalid", "model description must start with the model line");
      let j = i;
      while (j < lines.length && lines[j]!.spec === d.spec) j++;
      await tx.imports.insertEntities(
        this.plan.modelUuid,
        d.spec.kind,
        lines.slice(i, j).map((l) => l.values),
      );
      this.counts[d.spec.countKey]! += j - i;
      i = j;
    }
  }

  /** The model line: replaces a leftover import of this model, then creates the importing model. */
  private async createModel(tx: Repos, v: unknown[]): Promise<void> {
    const f = Object.fromEntries(MODEL_SPEC.fields.map(([k], i) => [k, v[i]])) as Record<string, unknown>;
    if (typeof f.format !== "number" || !importableFormat(f.format)) {
      throw new DescriptionError(
        "invalid",
        `unsupported model description format ${String(f.format)} (this release imports ${MIN_DESCRIPTION_FORMAT} to ${DESCRIPTION_FORMAT})`,
      );
    }
    if (f.uuid !== this.plan.modelUuid) {
      throw new DescriptionError(
        "invalid",
        `model description is for model ${String(f.uuid)}, not ${this.plan.modelUuid}`,
      );
    }
    if (f.isController) throw new DescriptionError("invalid", "controller model cannot be migrated");
    await tx.lockModel(this.plan.modelUuid);
    // This import supersedes any other of the model, wherever it runs.
    this.fence = await tx.leases.seize(importLeaseName(this.plan.modelUuid), this.holder, IMPORT_LEASE_MS);
    const existing = await tx.imports.existing(this.plan.modelUuid);
    if (existing) {
      if (existing.mode !== "importing") {
        throw new ImportConflictError("uuid-exists", "model with same UUID already exists");
      }
      // A leftover of an earlier try (a retry after a failure or a restart):
      // never activated, invisible, so it is replaced.
      await tx.models.deleteAll(this.plan.modelUuid);
    }
    if (await tx.models.byName(String(f.owner), String(f.name))) {
      throw new ImportConflictError(
        "name-exists",
        `model named "${String(f.name)}" already exists on destination controller`,
      );
    }
    await tx.imports.createImportedModel(v.slice(1), this.plan.migrationId, this.plan.now ?? Date.now());
    this.created = true;
  }

  /** Verifies the whole document against the plan and marks the import complete. */
  async finish(): Promise<ImportResult> {
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
    await this.store
      .write(
        async (tx) => {
          await tx.lockModel(this.plan.modelUuid);
          const m = await tx.models.byUuid(this.plan.modelUuid);
          if (m && m.importMigrationId === this.plan.migrationId) await tx.imports.setStage(m, "imported");
        },
        { fence: this.fence },
      )
      .catch((err: unknown) => {
        if (err instanceof LeaseLost) {
          throw new ImportSuperseded("the import was superseded by a newer request for the same model");
        }
        throw err;
      });
    this.finished = true;
    return { counts: { ...this.counts }, entityCount, sha256, size: this.received };
  }

  /** Removes what this import stored (nothing when it never got to create the model). */
  async discard(): Promise<void> {
    if (!this.created || this.finished) return;
    try {
      await this.store.write(
        async (tx) => {
          await tx.lockModel(this.plan.modelUuid);
          const row = await tx.imports.existing(this.plan.modelUuid);
          // Only our own, still importing, rows: never a model someone else created since.
          if (row && row.mode === "importing" && row.migrationId === this.plan.migrationId) {
            await tx.models.deleteAll(this.plan.modelUuid);
          }
        },
        { fence: this.fence },
      );
    } catch (err) {
      // A newer import owns the model now: its rows are not ours to remove.
      if (!(err instanceof LeaseLost)) throw err;
    }
    this.created = false;
  }
}

/** A newer Import (or an Abort) of the same model took over; this one stopped without writing. */
export class ImportSuperseded extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImportSuperseded";
  }
}

function describe(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  const e = cause instanceof Error ? cause : err;
  return e instanceof Error ? e.message.split("\n")[0]! : String(e);
}
