// Migration export and import between two real SQLite stores: byte-identical
// re-export, one snapshot, chunk limits, binaries, corruption and the
// lifecycle of an imported model (validation stage, activation, abort, logs).
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DescriptionError } from "../../src/domain/description.js";
import { exportModel, MAX_CHUNK, ModelNotFoundError, type ModelExport } from "../../src/migration/export.js";
import { findModelByUuid } from "../../src/store/access-repo.js";
import { openStore, type Store } from "../../src/store/db.js";
import { generateModel } from "../../src/store/fixtures.js";
import { createModelRow } from "../../src/store/model-repo.js";
import { ModelImporter } from "../../src/store/import-repo.js";
import {
  activateImport,
  appendTransferredLogs,
  ImportConflictError,
  importStage,
  logTransferCursor,
  missingBinaries,
  removeImportedModel,
  setValidated,
  storeCharmArchive,
} from "../../src/store/import-state-repo.js";
import { readLogEntries } from "../../src/store/log-repo.js";

let dir: string;
let src: Store;
let dst: Store;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ferry-export-"));
  src = openStore(join(dir, "src.db"));
  dst = openStore(join(dir, "dst.db"));
});
afterEach(() => {
  src.close();
  dst.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A model with some of everything, including the awkward values. */
function sampleModel(store: Store, name = "sample"): string {
  const g = generateModel(store, { units: 40, unitsPerApplication: 10, users: ["bob"], name });
  const s = store.sqlite;
  s.prepare("INSERT INTO model_config (model_uuid, key, value) VALUES (?, 'note', ?)").run(g.uuid, 'ünï "q"\n✓');
  s.prepare("UPDATE model_users SET last_connection_at = 1700000000000 WHERE model_uuid = ? AND user = 'bob'").run(
    g.uuid,
  );
  s.prepare("UPDATE machines SET password_hash = NULL WHERE model_uuid = ? AND id = '1'").run(g.uuid);
  s.prepare("UPDATE applications SET exposed = 1 WHERE model_uuid = ? AND name = 'wp-0'").run(g.uuid);
  s.prepare("UPDATE units SET workload_message = '😀 busy' WHERE model_uuid = ? AND name = 'db-0/1'").run(g.uuid);
  return g.uuid;
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(Buffer.from(c));
  return parts;
}

async function documentOf(ex: ModelExport): Promise<Buffer> {
  return Buffer.concat(await collect(ex.chunks()));
}

function plan(ex: ModelExport, uuid: string, attempt = 0) {
  return {
    modelUuid: uuid,
    migrationId: `${uuid}:${attempt}`,
    size: ex.size,
    sha256: ex.sha256,
    entityCount: ex.entityCount,
  };
}

/** Imports `doc` into `store` in pieces of `piece` bytes. */
function importDoc(store: Store, p: ReturnType<typeof plan>, doc: Buffer, piece = MAX_CHUNK) {
  const imp = new ModelImporter(store, p);
  try {
    for (let off = 0; off < doc.length; off += piece) imp.write(doc.subarray(off, off + piece));
    return imp.finish();
  } catch (err) {
    imp.discard();
    throw err;
  }
}

function rowsOf(store: Store, uuid: string): number {
  const tables = ["models", "model_config", "model_users", "machines", "charms", "applications", "units"];
  const more = ["application_config", "relations", "relation_endpoints", "status_history", "log_entries"];
  let n = 0;
  for (const t of [...tables, ...more]) {
    const col = t === "models" ? "uuid" : "model_uuid";
    n += store.sqlite.prepare(`SELECT count(*) FROM ${t} WHERE ${col} = ?`).pluck().get(uuid) as number;
  }
  return n;
}

describe("export", () => {
  it("describes the model content, without controller-local state", async () => {
    const uuid = sampleModel(src);
    src.sqlite
      .prepare(
        "UPDATE models SET migration_mode = 'exporting', status = 'busy', status_message = 'migrating: x' WHERE uuid = ?",
      )
      .run(uuid);
    const ex = await exportModel(src, uuid);
    const text = (await documentOf(ex)).toString("utf8");
    ex.close();
    const lines = text.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.length - 1).toBe(ex.entityCount);
    expect(Buffer.byteLength(text)).toBe(ex.size);
    const header = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(header).toMatchObject({ kind: "model", format: 1, uuid, name: "sample", owner: "admin" });
    for (const local of ["migrationMode", "status", "statusMessage", "importMigrationId", "activatedAt"]) {
      expect(header).not.toHaveProperty(local);
    }
    expect(ex.counts).toMatchObject({ units: 40, machines: 10, applications: 4, charms: 2, users: 2, config: 4 });
    expect(text).not.toContain('"kind":"log');
    expect(text).toContain("scrypt$"); // agent credentials travel with the model
    expect(ex.binaries.map((b) => b.name).sort()).toEqual(["ferry:postgresql-3", "ferry:wordpress-3"]);
  });

  it("is deterministic, and streams the same snapshot while the store changes", async () => {
    const uuid = sampleModel(src);
    const a = await exportModel(src, uuid);
    // Writes after the snapshot was taken are not in it.
    src.sqlite.prepare("DELETE FROM units WHERE model_uuid = ?").run(uuid);
    src.sqlite.prepare("UPDATE model_config SET value = 'changed' WHERE model_uuid = ?").run(uuid);
    const doc = await documentOf(a);
    expect(doc.length).toBe(a.size);
    expect(createHash("sha256").update(doc).digest("hex")).toBe(a.sha256);
    a.close();
    const b = await exportModel(src, uuid);
    b.close();
    expect(b.counts.units).toBe(0);
    expect(b.sha256).not.toBe(a.sha256);
  });

  it("sends chunks of at most 1 MiB and binaries with their recorded digest", async () => {
    const uuid = generateModel(src, { units: 6000 }).uuid;
    const ex = await exportModel(src, uuid);
    let chunks = 0;
    for await (const c of ex.chunks()) {
      expect(c.length).toBeLessThanOrEqual(MAX_CHUNK);
      chunks++;
    }
    expect(chunks).toBeGreaterThan(1);
    for (const b of ex.binaries) {
      const h = createHash("sha256");
      let n = 0;
      for await (const c of ex.binary(b.name)) {
        h.update(c);
        n += c.length;
      }
      expect([n, h.digest("hex")]).toEqual([b.size, b.sha256]);
    }
    expect(() => ex.binary("ferry:nope-1")).toThrow(/no binary/);
    ex.close();
    await expect(ex.chunks()[Symbol.asyncIterator]().next()).rejects.toThrow(/closed/);
  });

  it("fails for a model that does not exist", async () => {
    await expect(exportModel(src, "00000000-0000-4000-8000-000000000000")).rejects.toBeInstanceOf(ModelNotFoundError);
  });
});

describe("import", () => {
  it("round-trips: the destination's re-export is byte-identical", async () => {
    const uuid = sampleModel(src);
    const ex = await exportModel(src, uuid);
    const doc = await documentOf(ex);
    ex.close();
    // Odd piece sizes split lines and UTF-8 sequences anywhere.
    const r = importDoc(dst, plan(ex, uuid), doc, 997);
    expect(r).toMatchObject({ entityCount: ex.entityCount, sha256: ex.sha256, counts: ex.counts });
    const m = findModelByUuid(dst.db, uuid)!;
    expect([m.migrationMode, m.importMigrationId, importStage(m)]).toEqual(["importing", `${uuid}:0`, "imported"]);
    const again = await exportModel(dst, uuid);
    const doc2 = await documentOf(again);
    again.close();
    expect(doc2.equals(doc)).toBe(true);
    expect([again.sha256, again.counts]).toEqual([ex.sha256, ex.counts]);
  });

  it("records charms without their bytes until the binary is stored", async () => {
    const uuid = sampleModel(src);
    const ex = await exportModel(src, uuid);
    importDoc(dst, plan(ex, uuid), await documentOf(ex));
    expect(missingBinaries(dst.db, uuid)).toEqual(["ferry:postgresql-3", "ferry:wordpress-3"]);
    const bytes = Buffer.concat(await collect(ex.binary("ferry:wordpress-3")));
    storeCharmArchive(dst.db, uuid, "ferry:wordpress-3", bytes);
    expect(missingBinaries(dst.db, uuid)).toEqual(["ferry:postgresql-3"]);
    ex.close();
  });

  it("refuses a corrupted document and removes the partial model", async () => {
    const uuid = sampleModel(src);
    const ex = await exportModel(src, uuid);
    const doc = await documentOf(ex);
    ex.close();
    const bad = Buffer.from(doc);
    const at = bad.indexOf("waiting for machine");
    bad[at] = "W".charCodeAt(0); // still valid JSON: only the digest notices
    const err = (() => {
      try {
        importDoc(dst, plan(ex, uuid), bad, 4096);
      } catch (e) {
        return e as DescriptionError;
      }
    })();
    expect(err).toBeInstanceOf(DescriptionError);
    expect(err?.reason).toBe("mismatch");
    expect(err?.message).toMatch(/SHA-256 mismatch/);
    expect(rowsOf(dst, uuid)).toBe(0);
  });

  it("refuses a truncated document, a wrong size and broken lines", async () => {
    const uuid = sampleModel(src);
    const ex = await exportModel(src, uuid);
    const doc = await documentOf(ex);
    ex.close();
    expect(() => importDoc(dst, plan(ex, uuid), doc.subarray(0, doc.length - 10))).toThrow(/truncated/);
    expect(() => importDoc(dst, { ...plan(ex, uuid), size: 100 }, doc)).toThrow(/larger than the announced/);
    const broken = Buffer.concat([doc.subarray(0, doc.indexOf("\n") + 1), Buffer.from('{"kind":"unit"}\n')]);
    expect(() => importDoc(dst, { ...plan(ex, uuid), size: broken.length }, broken)).toThrow(/line 2: unit field/);
    expect(() => importDoc(dst, { ...plan(ex, uuid), size: 5 }, Buffer.from("{}\n\n\n").subarray(0, 5))).toThrow(
      /unknown kind/,
    );
    expect(rowsOf(dst, uuid)).toBe(0);
  });

  it("replaces a leftover import, but never a live model or another model's name", async () => {
    const uuid = sampleModel(src);
    const ex = await exportModel(src, uuid);
    const doc = await documentOf(ex);
    ex.close();
    // A half-done import (e.g. the destination died) is replaced by the retry.
    const half = new ModelImporter(dst, plan(ex, uuid));
    half.write(doc.subarray(0, 5000));
    importDoc(dst, plan(ex, uuid, 1), doc);
    expect(findModelByUuid(dst.db, uuid)?.importMigrationId).toBe(`${uuid}:1`);
    // Once activated it is the destination's model: a new import is refused.
    setValidated(dst.db, uuid, true);
    dst.tx((db) => activateImport(db, uuid, `${uuid}:1`, 1234));
    expect(() => importDoc(dst, plan(ex, uuid, 2), doc)).toThrow(/model with same UUID already exists/);
  });

  it("refuses a model whose owner and name are taken on the destination", async () => {
    const uuid = sampleModel(src);
    const ex = await exportModel(src, uuid);
    const doc = await documentOf(ex);
    ex.close();
    dst.tx((db) =>
      createModelRow(db, {
        name: "sample",
        owner: "admin",
        cloud: "c",
        cloudType: "lxd",
        region: "r",
        agentVersion: "1",
      }),
    );
    const err = (() => {
      try {
        importDoc(dst, plan(ex, uuid), doc);
      } catch (e) {
        return e as ImportConflictError;
      }
    })();
    expect(err).toBeInstanceOf(ImportConflictError);
    expect(err?.conflict).toBe("name-exists");
    expect(err?.message).toBe('model named "sample" already exists on destination controller');
    expect(rowsOf(dst, uuid)).toBe(0);
  });
});

describe("imported model lifecycle", () => {
  let n = 0;
  async function imported(): Promise<string> {
    const uuid = sampleModel(src, `sample-${n++}`);
    const ex = await exportModel(src, uuid);
    importDoc(dst, plan(ex, uuid), await documentOf(ex));
    ex.close();
    return uuid;
  }

  it("activates only when validated, once, in one write", async () => {
    const uuid = await imported();
    expect(() => dst.tx((db) => activateImport(db, uuid, `${uuid}:0`, 1000))).toThrow(/not validated/);
    setValidated(dst.db, uuid, true);
    expect(() => dst.tx((db) => activateImport(db, uuid, `${uuid}:9`, 1000))).toThrow(/not .*:9/);
    expect(dst.tx((db) => activateImport(db, uuid, `${uuid}:0`, 1000))).toBe(1000);
    expect(dst.tx((db) => activateImport(db, uuid, `${uuid}:0`, 2000))).toBe(1000); // idempotent
    const m = findModelByUuid(dst.db, uuid)!;
    expect([m.migrationMode, m.activatedAt, m.status, m.statusMessage, importStage(m)]).toEqual([
      "none",
      1000,
      "available",
      "",
      "activated",
    ]);
  });

  it("aborts idempotently, and never removes an activated model", async () => {
    const uuid = await imported();
    expect(dst.tx((db) => removeImportedModel(db, uuid))).toBe(true);
    expect(rowsOf(dst, uuid)).toBe(0);
    expect(dst.tx((db) => removeImportedModel(db, uuid))).toBe(false);
    // After a restart of the destination, too.
    const again = await imported();
    dst.close();
    dst = openStore(join(dir, "dst.db"));
    expect(dst.tx((db) => removeImportedModel(db, again))).toBe(true);
    const third = await imported();
    setValidated(dst.db, third, true);
    dst.tx((db) => activateImport(db, third, `${third}:0`, 1));
    expect(() => dst.tx((db) => removeImportedModel(db, third))).toThrow(/already activated/);
  });

  it("transfers logs resumably: a retried batch is not stored twice", async () => {
    const uuid = await imported();
    const entry = (seq: number) => ({
      seq,
      time: 1000 + seq,
      entity: "model",
      level: "INFO",
      module: "m",
      message: `e${seq}`,
    });
    const before = readLogEntries(dst.db, uuid).length;
    expect(dst.tx((db) => appendTransferredLogs(db, uuid, [entry(3), entry(5)], 1))).toBe(2);
    expect(dst.tx((db) => appendTransferredLogs(db, uuid, [entry(3), entry(5), entry(8)], 1))).toBe(1);
    expect(logTransferCursor(dst.db, uuid)).toEqual({ sourceSeq: 8, time: 1008, count: 3 });
    const msgs = readLogEntries(dst.db, uuid)
      .slice(before)
      .map((r) => r.message);
    expect(msgs).toEqual(["e3", "e5", "e8"]);
  });
});
