// Migration export and import between two real stores, on every pair of
// engines (SQLite and PostgreSQL, each way): byte-identical re-export, one
// snapshot, chunk limits, binaries, corruption and the lifecycle of an
// imported model (validation stage, activation, abort, logs).
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DescriptionError } from "../../src/domain/description.js";
import { importStageOf } from "../../src/domain/import-stages.js";
import { exportModel, MAX_CHUNK, ModelNotFoundError, type ModelExport } from "../../src/migration/export.js";
import { generateModel, ImportConflictError, ModelImporter, type Store } from "../../src/store/index.js";
import { rawCount, rawQuery } from "../helpers/raw-sql.js";
import { ENGINES, openTestStore, type TestStore } from "../helpers/stores.js";

const PAIRS = ENGINES.flatMap((a) => ENGINES.map((b) => [a, b] as const));

describe.each(PAIRS)("export from %s, import into %s", (srcEngine, dstEngine) => {
  let ts: TestStore;
  let td: TestStore;
  let src: Store;
  let dst: Store;

  beforeEach(async () => {
    ts = await openTestStore(srcEngine);
    td = await openTestStore(dstEngine);
    src = ts.store;
    dst = td.store;
  });
  afterEach(async () => {
    await ts.cleanup();
    await td.cleanup();
  });

  /** A model with some of everything, including the awkward values. */
  async function sampleModel(t: TestStore, name = "sample"): Promise<string> {
    const g = await generateModel(t.store, { units: 40, unitsPerApplication: 10, users: ["bob"], name });
    const q = (sql: string, ...params: unknown[]) => rawQuery(t.spec, sql, params);
    await q("INSERT INTO model_config (model_uuid, key, value) VALUES (?, 'note', ?)", g.uuid, 'ünï "q"\n✓ \\ {a,"b"}');
    // Strings that an array literal or a COPY line would read as something else.
    await q("INSERT INTO model_config (model_uuid, key, value) VALUES (?, 'literal', ?)", g.uuid, "NULL");
    await q("INSERT INTO model_config (model_uuid, key, value) VALUES (?, 'empty', ?)", g.uuid, "");
    await q(
      "UPDATE model_users SET last_connection_at = 1700000000000 WHERE model_uuid = ? AND \"user\" = 'bob'",
      g.uuid,
    );
    await q("UPDATE machines SET password_hash = NULL WHERE model_uuid = ? AND id = '1'", g.uuid);
    await q(
      `UPDATE applications SET exposed = ${t.spec.engine === "sqlite" ? 1 : "true"} WHERE model_uuid = ? AND name = 'wp-0'`,
      g.uuid,
    );
    await q("UPDATE units SET workload_message = '😀 busy' WHERE model_uuid = ? AND name = 'db-0/1'", g.uuid);
    // Keys whose order differs between bytewise and dictionary collations.
    await q(
      "INSERT INTO model_config (model_uuid, key, value) VALUES (?, 'Zeta', '1'), (?, 'a-b', '2'), (?, 'ab', '3')",
      g.uuid,
      g.uuid,
      g.uuid,
    );
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
  async function importDoc(store: Store, p: ReturnType<typeof plan>, doc: Buffer, piece = MAX_CHUNK) {
    const imp = new ModelImporter(store, p);
    try {
      for (let off = 0; off < doc.length; off += piece) await imp.write(doc.subarray(off, off + piece));
      return await imp.finish();
    } catch (err) {
      await imp.discard();
      throw err;
    }
  }

  async function rowsOf(t: TestStore, uuid: string): Promise<number> {
    const tables = ["models", "model_config", "model_users", "machines", "charms", "applications", "units"];
    const more = ["application_config", "relations", "relation_endpoints", "status_history", "log_entries"];
    let n = 0;
    for (const table of [...tables, ...more]) {
      const col = table === "models" ? "uuid" : "model_uuid";
      n += await rawCount(t.spec, `SELECT count(*) FROM ${table} WHERE ${col} = ?`, [uuid]);
    }
    return n;
  }

  const byUuid = (store: Store, uuid: string) => store.read((tx) => tx.models.byUuid(uuid));
  const validate = (store: Store, uuid: string, ok: boolean) =>
    store.write(async (tx) => tx.imports.setStage((await tx.models.byUuid(uuid))!, ok ? "validated" : "imported"));
  const activate = (store: Store, uuid: string, migrationId: string, now: number) =>
    store.write((tx) => tx.imports.activate(uuid, migrationId, now));
  const removeImported = (store: Store, uuid: string) => store.write((tx) => tx.imports.removeImported(uuid));

  describe("export", () => {
    it("describes the model content, without controller-local state", async () => {
      const uuid = await sampleModel(ts);
      await rawQuery(
        ts.spec,
        "UPDATE models SET migration_mode = 'exporting', status = 'busy', status_message = 'migrating: x' WHERE uuid = ?",
        [uuid],
      );
      const ex = await exportModel(src, uuid);
      const text = (await documentOf(ex)).toString("utf8");
      await ex.close();
      const lines = text.split("\n");
      expect(lines.pop()).toBe("");
      expect(lines.length - 1).toBe(ex.entityCount);
      expect(Buffer.byteLength(text)).toBe(ex.size);
      const header = JSON.parse(lines[0]!) as Record<string, unknown>;
      expect(header).toMatchObject({ kind: "model", format: 2, uuid, name: "sample", owner: "admin" });
      for (const local of ["migrationMode", "status", "statusMessage", "importMigrationId", "activatedAt", "version"]) {
        expect(header).not.toHaveProperty(local);
      }
      expect(ex.counts).toMatchObject({ units: 40, machines: 10, applications: 4, charms: 2, users: 2, config: 9 });
      expect(text).not.toContain('"kind":"log');
      expect(text).toContain("scrypt$"); // agent credentials travel with the model
      expect(ex.binaries.map((b) => b.name).sort()).toEqual(["ferry:postgresql-3", "ferry:wordpress-3"]);
    });

    it("is deterministic, and streams the same snapshot while the store changes", async () => {
      const uuid = await sampleModel(ts);
      const a = await exportModel(src, uuid);
      // Writes after the snapshot was taken are not in it.
      await rawQuery(ts.spec, "DELETE FROM units WHERE model_uuid = ?", [uuid]);
      await rawQuery(ts.spec, "UPDATE model_config SET value = 'changed' WHERE model_uuid = ?", [uuid]);
      const doc = await documentOf(a);
      expect(doc.length).toBe(a.size);
      expect(createHash("sha256").update(doc).digest("hex")).toBe(a.sha256);
      await a.close();
      const b = await exportModel(src, uuid);
      await b.close();
      expect(b.counts.units).toBe(0);
      expect(b.sha256).not.toBe(a.sha256);
    });

    it("sends chunks of at most 1 MiB and binaries with their recorded digest", async () => {
      const uuid = (await generateModel(src, { units: 6000 })).uuid;
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
      await expect(collect(ex.binary("ferry:nope-1"))).rejects.toThrow(/no binary/);
      await ex.close();
      await expect(ex.chunks()[Symbol.asyncIterator]().next()).rejects.toThrow(/closed/);
    });

    it("fails for a model that does not exist", async () => {
      await expect(exportModel(src, "00000000-0000-4000-8000-000000000000")).rejects.toBeInstanceOf(ModelNotFoundError);
    });
  });

  describe("import", () => {
    it("round-trips: the destination's re-export is byte-identical", async () => {
      const uuid = await sampleModel(ts);
      const ex = await exportModel(src, uuid);
      const doc = await documentOf(ex);
      await ex.close();
      // Odd piece sizes split lines and UTF-8 sequences anywhere.
      const r = await importDoc(dst, plan(ex, uuid), doc, 997);
      expect(r).toMatchObject({ entityCount: ex.entityCount, sha256: ex.sha256, counts: ex.counts });
      const m = (await byUuid(dst, uuid))!;
      expect([m.migrationMode, m.importMigrationId, importStageOf(m)]).toEqual(["importing", `${uuid}:0`, "imported"]);
      const again = await exportModel(dst, uuid);
      const doc2 = await documentOf(again);
      await again.close();
      expect(doc2.equals(doc)).toBe(true);
      expect([again.sha256, again.counts]).toEqual([ex.sha256, ex.counts]);
    });

    it("records charms without their bytes until the binary is stored", async () => {
      const uuid = await sampleModel(ts);
      const ex = await exportModel(src, uuid);
      await importDoc(dst, plan(ex, uuid), await documentOf(ex));
      const missing = () => dst.read((tx) => tx.charms.missingArchives(uuid));
      expect(await missing()).toEqual(["ferry:postgresql-3", "ferry:wordpress-3"]);
      const bytes = Buffer.concat(await collect(ex.binary("ferry:wordpress-3")));
      await dst.write((tx) => tx.charms.storeArchive(uuid, "ferry:wordpress-3", bytes));
      expect(await missing()).toEqual(["ferry:postgresql-3"]);
      expect(await dst.read((tx) => tx.charms.archive(uuid, "ferry:wordpress-3"))).toEqual(bytes);
      await ex.close();
    });

    it("refuses a corrupted document and removes the partial model", async () => {
      const uuid = await sampleModel(ts);
      const ex = await exportModel(src, uuid);
      const doc = await documentOf(ex);
      await ex.close();
      const bad = Buffer.from(doc);
      const at = bad.indexOf("waiting for machine");
      bad[at] = "W".charCodeAt(0); // still valid JSON: only the digest notices
      const err = await importDoc(dst, plan(ex, uuid), bad, 4096).then(
        () => undefined,
        (e: unknown) => e as DescriptionError,
      );
      expect(err).toBeInstanceOf(DescriptionError);
      expect(err?.reason).toBe("mismatch");
      expect(err?.message).toMatch(/SHA-256 mismatch/);
      expect(await rowsOf(td, uuid)).toBe(0);
    });

    it("refuses a truncated document, a wrong size and broken lines", async () => {
      const uuid = await sampleModel(ts);
      const ex = await exportModel(src, uuid);
      const doc = await documentOf(ex);
      await ex.close();
      await expect(importDoc(dst, plan(ex, uuid), doc.subarray(0, doc.length - 10))).rejects.toThrow(/truncated/);
      await expect(importDoc(dst, { ...plan(ex, uuid), size: 100 }, doc)).rejects.toThrow(/larger than the announced/);
      const broken = Buffer.concat([doc.subarray(0, doc.indexOf("\n") + 1), Buffer.from('{"kind":"unit"}\n')]);
      await expect(importDoc(dst, { ...plan(ex, uuid), size: broken.length }, broken)).rejects.toThrow(
        /line 2: unit field/,
      );
      await expect(
        importDoc(dst, { ...plan(ex, uuid), size: 5 }, Buffer.from("{}\n\n\n").subarray(0, 5)),
      ).rejects.toThrow(/unknown kind/);
      // A line repeated: a duplicate key is the document's fault.
      const unitLine = doc.subarray(
        doc.indexOf('{"kind":"unit"'),
        doc.indexOf("\n", doc.indexOf('{"kind":"unit"')) + 1,
      );
      const dup = Buffer.concat([
        doc.subarray(0, doc.indexOf('{"kind":"unit"')),
        unitLine,
        doc.subarray(doc.indexOf('{"kind":"unit"')),
      ]);
      const dupErr = await importDoc(dst, { ...plan(ex, uuid), size: dup.length }, dup).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(dupErr).toBeInstanceOf(DescriptionError);
      expect((dupErr as DescriptionError).message).toMatch(/duplicate entity/);
      expect(await rowsOf(td, uuid)).toBe(0);
    });

    it("replaces a leftover import, but never a live model or another model's name", async () => {
      const uuid = await sampleModel(ts);
      const ex = await exportModel(src, uuid);
      const doc = await documentOf(ex);
      await ex.close();
      // A half-done import (e.g. the destination died) is replaced by the retry.
      const half = new ModelImporter(dst, plan(ex, uuid));
      await half.write(doc.subarray(0, 5000));
      await importDoc(dst, plan(ex, uuid, 1), doc);
      expect((await byUuid(dst, uuid))?.importMigrationId).toBe(`${uuid}:1`);
      // Once activated it is the destination's model: a new import is refused.
      await validate(dst, uuid, true);
      await activate(dst, uuid, `${uuid}:1`, 1234);
      await expect(importDoc(dst, plan(ex, uuid, 2), doc)).rejects.toThrow(/model with same UUID already exists/);
    });

    it("a newer import of the same model supersedes a running one, which then writes nothing", async () => {
      const uuid = await sampleModel(ts);
      const ex = await exportModel(src, uuid);
      const doc = await documentOf(ex);
      await ex.close();
      // The old import is half-way when the source retries (say, through another node of this controller).
      const old = new ModelImporter(dst, plan(ex, uuid));
      await old.write(doc.subarray(0, 5000));
      const fresh = new ModelImporter(dst, plan(ex, uuid));
      await fresh.write(doc.subarray(0, 5000));
      await expect(old.write(doc.subarray(5000, 9000))).rejects.toThrow(/superseded/);
      await old.discard(); // must not remove the newer import's rows
      for (let off = 5000; off < doc.length; off += MAX_CHUNK) await fresh.write(doc.subarray(off, off + MAX_CHUNK));
      expect((await fresh.finish()).sha256).toBe(ex.sha256);
      const again = await exportModel(dst, uuid);
      expect((await documentOf(again)).equals(doc)).toBe(true);
      await again.close();
      // An abort seizes the import too: a running import stops writing.
      await dst.write((tx) => tx.imports.removeImported(uuid));
      const late = new ModelImporter(dst, plan(ex, uuid, 1));
      await late.write(doc.subarray(0, 5000));
      await dst.write((tx) => tx.imports.removeImported(uuid));
      await expect(late.write(doc.subarray(5000))).rejects.toThrow(/superseded/);
      expect(await rowsOf(td, uuid)).toBe(0);
    });

    it("refuses a model whose owner and name are taken on the destination", async () => {
      const uuid = await sampleModel(ts);
      const ex = await exportModel(src, uuid);
      const doc = await documentOf(ex);
      await ex.close();
      await dst.write((tx) =>
        tx.models.create({
          name: "sample",
          owner: "admin",
          cloud: "c",
          cloudType: "lxd",
          region: "r",
          agentVersion: "1",
        }),
      );
      const err = await importDoc(dst, plan(ex, uuid), doc).then(
        () => undefined,
        (e: unknown) => e as ImportConflictError,
      );
      expect(err).toBeInstanceOf(ImportConflictError);
      expect(err?.conflict).toBe("name-exists");
      expect(err?.message).toBe('model named "sample" already exists on destination controller');
      expect(await rowsOf(td, uuid)).toBe(0);
    });
  });

  describe("imported model lifecycle", () => {
    let n = 0;
    async function imported(): Promise<string> {
      const uuid = await sampleModel(ts, `sample-${n++}`);
      const ex = await exportModel(src, uuid);
      await importDoc(dst, plan(ex, uuid), await documentOf(ex));
      await ex.close();
      return uuid;
    }

    it("activates only when validated, once, in one write", async () => {
      const uuid = await imported();
      await expect(activate(dst, uuid, `${uuid}:0`, 1000)).rejects.toThrow(/not validated/);
      await validate(dst, uuid, true);
      await expect(activate(dst, uuid, `${uuid}:9`, 1000)).rejects.toThrow(/not .*:9/);
      expect(await activate(dst, uuid, `${uuid}:0`, 1000)).toBe(1000);
      expect(await activate(dst, uuid, `${uuid}:0`, 2000)).toBe(1000); // idempotent
      const m = (await byUuid(dst, uuid))!;
      expect([m.migrationMode, m.activatedAt, m.status, m.statusMessage, importStageOf(m)]).toEqual([
        "none",
        1000,
        "available",
        "",
        "activated",
      ]);
    });

    it("aborts idempotently, and never removes an activated model", async () => {
      const uuid = await imported();
      expect(await removeImported(dst, uuid)).toBe(true);
      expect(await rowsOf(td, uuid)).toBe(0);
      expect(await removeImported(dst, uuid)).toBe(false);
      // After a restart of the destination, too.
      const again = await imported();
      await dst.close();
      dst = await td.reopen();
      expect(await removeImported(dst, again)).toBe(true);
      const third = await imported();
      await validate(dst, third, true);
      await activate(dst, third, `${third}:0`, 1);
      await expect(removeImported(dst, third)).rejects.toThrow(/already activated/);
      // The stage table refuses a step back from activated.
      await expect(validate(dst, third, true)).rejects.toThrow(/illegal import stage change: activated -> validated/);
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
      const logs = () => dst.read((tx) => tx.logs.read(uuid));
      const append = (entries: ReturnType<typeof entry>[]) =>
        dst.write((tx) => tx.imports.appendTransferredLogs(uuid, entries, 1));
      const before = (await logs()).length;
      expect(await append([entry(3), entry(5)])).toBe(2);
      expect(await append([entry(3), entry(5), entry(8)])).toBe(1);
      expect(await dst.read((tx) => tx.imports.logTransferCursor(uuid))).toEqual({
        sourceSeq: 8,
        time: 1008,
        count: 3,
      });
      const msgs = (await logs()).slice(before).map((r) => r.message);
      expect(msgs).toEqual(["e3", "e5", "e8"]);
    });
  });
});
